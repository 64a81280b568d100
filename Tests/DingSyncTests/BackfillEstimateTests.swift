import DingSync
import DingTalkSimulator
import Foundation
import XCTest

/// A backfill spends what it printed: its new or non-final instances. A modification's
/// original and a second ask after "cannot be fetched" are owed calls the estimate cannot
/// foresee; they stay recorded and `sync` pays them on its schedule.
final class BackfillEstimateTests: XCTestCase {
    static let day: Int64 = 86_400_000

    func testBackfillFetchesExactlyItsEstimate() throws {
        let instances = JobFixture.generate(count: 60, days: 20, seed: 197)
        let job = try JobFixture(instances: instances)
        XCTAssertEqual(try job.run(["sync"]).code, 0)
        let from = job.nowMs() - 15 * Self.day, to = job.nowMs()
        // A stored final instance is modified (the modification is new in the range), and a
        // late arrival answers "cannot be fetched" once.
        let original = try XCTUnwrap(instances.first { $0.isFinal && $0.createTimeMs >= from })
        let modification = job.simulator.modify(originalId: original.id, at: to - 3_600_000, biz: "MODIFY")
        var g = ReferenceFormGenerator(seed: 198)
        let late = g.make(count: 1, fromMs: from, toMs: to - 60_000)
        job.simulator.add(late)
        job.simulator.failGets(of: late[0].id, times: 1)
        job.simulator.resetCounters()

        let r = try job.run(["backfill", "--from", JobFixture.isoUTC(from), "--to", JobFixture.isoUTC(to)])
        let estimate = try XCTUnwrap(r.stderr.range(of: #"(\d+) to fetch: about (\d+) call\(s\)"#, options: .regularExpression)
            .map { Int(r.stderr[$0].prefix { $0.isNumber })! }, r.stderr)
        XCTAssertEqual(job.simulator.calls(.get), estimate, "fetched what it printed: \(r.stderr)")
        XCTAssertEqual(job.simulator.getCalls(for: original.id), 0, "the original is left to sync")
        XCTAssertEqual(job.simulator.getCalls(for: modification.id), 1)
        let conn = try job.connect()
        XCTAssertTrue(try job.owedIds(conn).isSuperset(of: [original.id, late[0].id]), "both stay owed a get")

        // sync pays them when due (the second ask after the gone retry interval).
        job.advance(13 * 3_600_000)
        let sync = try job.run(["sync"])
        XCTAssertEqual(sync.code, 0, sync.stderr)
        try job.assertTableEqualsTruth(conn, "after sync paid what the backfill left")
    }
}
