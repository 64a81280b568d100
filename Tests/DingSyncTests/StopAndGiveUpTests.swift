import DingSync
import DingTalkSimulator
import Foundation
import XCTest

/// A fatal answer stops the run at once, however long the other workers' back-offs; a deleted
/// instance stops costing calls.
class StopAndGiveUpTests: XCTestCase {
    static let hour: Int64 = 3_600_000

    /// Workers sleep in long retry back-offs (half the answers are HTTP 500) when one get is
    /// refused for permission: the run ends with 77 within seconds, not after the back-offs,
    /// and starts no call after the refusal beyond the ones already in flight.
    func testAFatalAnswerStopsTheRunWithinSeconds() throws {
        // With v1, a legacy get refused for permission falls back to v1's GET (dingtalk-api-v1.md)
        // rather than ending the run (V1SyncTests): there the fatal answer is the monthly quota.
        let (fatal, exit): (Int, Int32) = TestAPI.isV1 ? (90020, 75) : (60011, 77)
        var options = SimulatorOptions()
        options.latencyMs = 50
        let instances = JobFixture.generate(count: 80, days: 5, seed: 401)
        let job = try JobFixture(instances: instances, simulatorOptions: options) { c in
            setting(&c, "dingtalk", "concurrency", 8)
            setting(&c, "dingtalk", "retry", ["max_attempts": 8, "base_delay_ms": 20_000, "max_delay_ms": 60_000])
        }
        // A first sync fetches as it lists, oldest first: the first four answer "busy" (-1) and
        // their workers sleep in back-off (up to 20 s); the fifth is refused for permission.
        let ids = instances.sorted { $0.createTimeMs < $1.createTimeMs }.map(\.id)
        for id in ids.prefix(4) { job.simulator.failGets(of: id, times: 100, errcode: -1) }
        job.simulator.failGets(of: ids[4], times: 100, errcode: fatal)
        let started = Date()
        let r = try job.run(["sync"])
        let elapsed = Date().timeIntervalSince(started)
        XCTAssertEqual(r.code, exit, r.stderr)
        XCTAssertEqual(r.stderr.components(separatedBy: "dingsync: error:").count - 1, 1, r.stderr)
        XCTAssertLessThan(elapsed, 5, "the back-offs (up to 30 s) must not hold a failed run")
        XCTAssertLessThanOrEqual(job.simulator.calls(.get), 8 + 8, "no new get after the refusal beyond those in flight")
    }

    /// An instance DingTalk keeps answering as gone is asked again hours apart, given up after
    /// three answers over more than a day, shown by status, and never fetched again.
    func testADeletedInstanceIsGivenUpAndStopsCostingCalls() throws {
        let instances = JobFixture.generate(count: 30, days: 5, seed: 402)
        let job = try JobFixture(instances: instances)
        let victim = instances[3].id
        job.simulator.failGets(of: victim, times: 10_000)  // 400002 "实例不存在"
        var answers: [Int] = []
        // Runs 7 h apart: the retry comes after 12 h, so every other run asks.
        for round in 0..<7 {
            job.simulator.resetCounters()
            let r = try job.run(["sync"])
            XCTAssertTrue([0, 65].contains(r.code), "round \(round): \(r.stderr)")
            answers.append(job.simulator.getCalls(for: victim))
            job.advance(7 * Self.hour)
        }
        XCTAssertEqual(answers, [2, 0, 1, 0, 1, 0, 0],
                       "asked once more in its first run only, then every 12 h; given up after 3 answers over 28 h")
        let conn = try job.connect()
        XCTAssertEqual(try conn.query("SELECT reason FROM dingsync_pending WHERE instance_id = '\(victim)'").first?.first, "abandoned")
        XCTAssertTrue(try job.rejects(conn).isEmpty, "no longer a pending reject")
        let last = try job.run(["sync"])
        XCTAssertEqual(last.code, 0, last.stderr)
        let status = try job.run(["status"])
        XCTAssertTrue(status.stdout.contains("given up:         1 instance"), status.stdout)
    }

    /// A "gone" answer whose second ask the run can no longer pay for still counts: dropped,
    /// the id would stay owed a first get, outrank everything, and cost a call on every run
    /// without ever reaching the give-up rule (the benchmark caught one doing so all month).
    func testAGoneAnswerTheAllowanceCannotAskAgainIsStillRecorded() throws {
        let instances = JobFixture.generate(count: 30, days: 5, seed: 403)
        let job = try JobFixture(instances: instances)
        // An instance alone in its minute, so that a backfill of that minute lists just it.
        let victim = try XCTUnwrap(instances.first { i in
            instances.filter { abs($0.createTimeMs - i.createTimeMs) <= 60_000 }.count == 1
        })
        job.simulator.failGets(of: victim.id, times: 10_000)
        // One listing page and one get: the second ask is over the cap.
        let r = try job.run(["backfill", "--from", JobFixture.isoUTC(victim.createTimeMs - 30_000),
                             "--to", JobFixture.isoUTC(victim.createTimeMs + 30_000), "--max-calls", "2"])
        XCTAssertEqual(r.code, 65, r.stderr)
        XCTAssertEqual(job.simulator.getCalls(for: victim.id), 1)
        let conn = try job.connect()
        XCTAssertEqual(try conn.query("SELECT reason, tries FROM dingsync_pending WHERE instance_id = '\(victim.id)'").first, ["gone", "1"])
        job.simulator.resetCounters()
        _ = try job.run(["sync"])
        XCTAssertEqual(job.simulator.getCalls(for: victim.id), 0, "asked again only after the gone retry interval")
    }
}
