import DingSync
import DingTalkSimulator
import Foundation
import XCTest

/// A quota block (90020) is probed with one call at most every 6 hours, and `check` probes on
/// demand: an organisation that buys an add-on pack mid-month is not left dark until the 1st.
final class QuotaProbeTests: XCTestCase {
    static let hour: Int64 = 3_600_000

    func testBlockedJobProbesEverySixHoursAndResumesOnceTheQuotaIsLifted() throws {
        let job = try blockedJob(seed: 193)
        // The 90020 that set the block was its first probe: none for 6 hours.
        let early = try job.run(["sync"])
        XCTAssertEqual(early.code, 75, early.stderr)
        XCTAssertEqual(job.simulator.approvalCalls, 0, "no call until the next probe")
        let due = try XCTUnwrap(OutstandingRejectsTests.time(after: "the next probe of the quota is due at ", in: early.stderr), early.stderr)
        XCTAssertEqual(Double(due - job.nowMs()), Double(6 * Self.hour), accuracy: 120_000, early.stderr)
        let status = try job.run(["status"])
        XCTAssertTrue(status.stdout.contains("quota probe:      last probe "), status.stdout)

        job.advance(due - job.nowMs() - 60_000)
        XCTAssertEqual(try job.run(["sync"]).code, 75)
        XCTAssertEqual(job.simulator.approvalCalls, 0, "a minute before the probe is due, still no call")

        job.advance(61_000)
        let probed = try job.run(["sync"])
        XCTAssertEqual(probed.code, 75, probed.stderr)
        XCTAssertTrue(probed.stderr.contains("probed now: still exhausted"), probed.stderr)
        XCTAssertEqual(job.simulator.approvalCalls, 1, "one probe")

        job.simulator.liftQuota()
        job.advance(6 * Self.hour + 60_000)
        let resumed = try job.run(["sync"])
        XCTAssertEqual(resumed.code, 0, resumed.stderr)
        XCTAssertTrue(resumed.stderr.contains("quota is back"), resumed.stderr)
        try job.assertTableEqualsTruth(nil, "after the probe found the quota lifted")
    }

    func testCheckProbesOnDemand() throws {
        let job = try blockedJob(seed: 194)
        let still = try job.run(["check"])
        XCTAssertEqual(still.code, 75, still.stdout + still.stderr)
        XCTAssertTrue(still.stdout.contains("probed now by the listing above: still exhausted"), still.stdout)

        job.simulator.liftQuota()
        let lifted = try job.run(["check"])
        XCTAssertEqual(lifted.code, 0, lifted.stdout + lifted.stderr)
        XCTAssertTrue(lifted.stdout.contains("lifted:"), lifted.stdout)
        job.simulator.resetCounters()
        let sync = try job.run(["sync"])
        XCTAssertEqual(sync.code, 0, sync.stderr)
        XCTAssertGreaterThan(job.simulator.approvalCalls, 0)
        try job.assertTableEqualsTruth(nil, "after check lifted the block")
    }

    /// A synced job whose next run met 90020, with new instances still to fetch.
    private func blockedJob(seed: UInt64) throws -> JobFixture {
        let job = try JobFixture(instances: JobFixture.generate(count: 20, days: 3, seed: seed))
        XCTAssertEqual(try job.run(["sync"]).code, 0)
        var g = ReferenceFormGenerator(seed: seed + 1_000)
        let now = job.nowMs()
        job.simulator.add(g.make(count: 10, fromMs: now - 300_000, toMs: now - 30_000))
        job.simulator.setFaults({ var f = FaultOptions(); f.quotaRemaining = 0; return f }())
        let blocked = try job.run(["sync"])
        XCTAssertEqual(blocked.code, 75, blocked.stderr)
        job.simulator.resetCounters()
        return job
    }
}
