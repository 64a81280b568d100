import DingSync
import DingTalkSimulator
import Foundation
import MySQLClient
import XCTest

/// 不漏单: whatever happens between and during runs, the table ends up equal to DingTalk.
/// The simulator keeps the wall clock as its `now`; "time passing" is simulated by changing
/// old instances and adding new ones a few minutes in the past (inside the sync overlap).
class IncrementalTests: XCTestCase {
    static let day: Int64 = 86_400_000

    /// A month of approvals: old ones close, new ones arrive, approved ones are modified and
    /// revoked; after every run the table equals the simulator, column by column.
    func testSimulatedMonthKeepsTheTableEqualToDingTalk() throws {
        let start = wallClockMs()
        let job = try JobFixture(instances: JobFixture.generate(count: 300, days: 40, seed: 21, nowMs: start)) { c in
            setting(&c, "sync", "window_days", 10)
        }
        let sim = job.simulator
        let conn = try job.connect()
        var previousMark: Int64 = 0

        func syncAndCheck(_ round: String, file: StaticString = #filePath, line: UInt = #line) throws {
            let before = job.nowMs()
            let r = try job.run(["sync"])
            XCTAssertEqual(r.code, 0, "\(round): \(r.stderr)", file: file, line: line)
            try job.assertTableEqualsTruth(conn, round, file: file, line: line)
            let mark = try XCTUnwrap(job.watermark(conn), round, file: file, line: line)
            XCTAssertGreaterThanOrEqual(mark, before - 1_000, "\(round): the watermark reaches the run's start", file: file, line: line)
            XCTAssertGreaterThan(mark, previousMark, "\(round): the watermark moves forward", file: file, line: line)
            previousMark = mark
        }
        func newInstances(_ count: Int, seed: UInt64) -> [SimInstance] {
            var g = ReferenceFormGenerator(seed: seed)
            let now = job.nowMs()
            return g.make(count: count, fromMs: now - 5 * 60_000, toMs: now - 30_000)
        }
        func openIds(olderThanDays days: Int64 = 0) -> [String] {
            let cutoff = job.nowMs() - days * Self.day
            return sim.instances().filter { !$0.isFinal && $0.createTimeMs < cutoff }.map(\.id)
        }

        try syncAndCheck("first run")

        // A week passes between rounds: every open instance is due again by then.
        job.advance(7 * Self.day)
        // Week 1: the oldest open approvals (30+ days, beyond one window) finally close; new
        // ones arrive; an approved one is modified, which DingTalk records as a new instance.
        let oldOpen = openIds(olderThanDays: 30)
        XCTAssertFalse(oldOpen.isEmpty, "the generator must leave old instances open")
        for id in oldOpen { sim.update(id) { $0.close(atMs: job.nowMs() - 60_000) } }
        sim.add(newInstances(15, seed: 101))
        let approved = sim.instances().filter { $0.status == "COMPLETED" && $0.result == "agree" && $0.createTimeMs < start - 20 * Self.day }
        XCTAssertGreaterThanOrEqual(approved.count, 2)
        let original = approved[0]
        let modified = sim.modify(originalId: original.id, at: job.nowMs() - 120_000, biz: "MODIFY") { $0.set("充值金额", "88.80") }
        // Only the follow-up of main_process_instance_id can notice this: the original is final
        // and far behind the watermark, so neither listing nor the open-instance revisit sees it.
        sim.update(original.id) { $0.set("费用说明", "已被修改，见 \(modified.id)") }
        sim.resetCounters()
        try syncAndCheck("week 1")
        XCTAssertGreaterThanOrEqual(sim.getCalls(for: original.id), 1, "the original of a MODIFY is fetched again")
        for id in oldOpen { XCTAssertEqual(sim.getCalls(for: id), 1, "open instance \(id) re-fetched once") }

        job.advance(7 * Self.day)
        // Week 2: everything open closes in one way or another; more arrive; a revocation.
        for (n, id) in openIds().enumerated() {
            let outcome = [("COMPLETED", "agree"), ("COMPLETED", "refuse"), ("TERMINATED", ""), ("CANCELED", "")][n % 4]
            sim.update(id) { $0.close(status: outcome.0, result: outcome.1, atMs: job.nowMs() - 30_000) }
        }
        sim.add(newInstances(10, seed: 202))
        let revoked = sim.modify(originalId: approved[1].id, at: job.nowMs() - 90_000, biz: "REVOKE")
        try syncAndCheck("week 2")

        job.advance(7 * Self.day)
        // Week 3: the last open ones (the revocation among them) close.
        XCTAssertTrue(openIds().contains(revoked.id))
        for id in openIds() { sim.update(id) { $0.close(atMs: job.nowMs() - 10_000) } }
        try syncAndCheck("week 3")

        // Nothing changed: a re-run lists, skips every final instance, and fetches nothing.
        sim.resetCounters()
        try syncAndCheck("no change")
        XCTAssertEqual(sim.calls(.get), 0, "a no-change run spends no get on final instances")
        XCTAssertGreaterThan(sim.listingCalls, 0)
    }

    /// SIGKILL at several points of a run; every re-run resumes, and the watermark never vouches
    /// for an instance that is not in the table.
    func testKilledRunsResumeWithoutLossOrDuplicates() throws {
        var options = SimulatorOptions()
        options.latencyMs = 15
        let job = try JobFixture(instances: JobFixture.generate(count: 400, days: 60, seed: 31), simulatorOptions: options) { c in
            setting(&c, "sync", "window_days", 8)
            setting(&c, "mysql", "batch_size", 25)
        }
        let sim = job.simulator
        let conn = try job.connect()
        var marks: [Int64] = []
        // Kill points: gets served in that run (the first before any fetch, while listing).
        for killAt in [0, 40, 120, 60, 200] {
            sim.resetCounters()
            let run = try job.start(["sync"])
            if killAt == 0 {
                run.wait { sim.listingCalls >= 1 }
            } else {
                XCTAssertTrue(run.wait { sim.calls(.get) >= killAt }, "run ended before \(killAt) gets")
            }
            run.kill()
            let r = run.finish()
            XCTAssertTrue(run.wasKilled, "killed at \(killAt) gets: \(r.stderr)")

            // The watermark is never ahead of the data: behind it, every instance is in the
            // table or recorded as owed its first get.
            let stored = try job.storedRows(conn)
            let owed = try job.owedIds(conn)
            if let mark = try job.watermark(conn) {
                marks.append(mark)
                for s in sim.instances() where s.createTimeMs < mark {
                    XCTAssertTrue(stored[s.id] != nil || owed.contains(s.id), "instance \(s.id) is behind the watermark but neither in the table nor owed a get (killed at \(killAt))")
                }
            }
            // Whatever was written is written whole and right.
            let present = sim.instances().filter { stored[$0.id] != nil }
            try job.assertTableEqualsTruth(conn, expected: present, "partial table after a kill at \(killAt)")
        }
        XCTAssertFalse(marks.isEmpty, "some kill should come after a window was committed")
        XCTAssertEqual(marks, marks.sorted(), "the watermark never goes back")

        let last = try job.run(["sync"])
        XCTAssertEqual(last.code, 0, last.stderr)
        try job.assertTableEqualsTruth(conn, "after the final run")
        XCTAssertEqual(try conn.query("SELECT COUNT(*), COUNT(DISTINCT bfn_id) FROM master_wan_recharge").first, ["400", "400"])
        XCTAssertEqual(try conn.query("SELECT COUNT(*) FROM dingsync_instances").first, ["400"])
    }

    /// 10,050 instances in one window: past DingTalk's 10,000-id cursor cap, nothing is lost.
    func testWindowOverTheCapIsListedCompletely() throws {
        var g = ReferenceFormGenerator(seed: 41)
        let now = wallClockMs()
        // Twelve hours of instances at the start of a one-day window (sync.start is an hour
        // before the oldest): one split leaves halves under the cap, so the re-list stays cheap.
        let instances = g.make(count: 10_050, fromMs: now - 6 * Self.day, toMs: now - 6 * Self.day + Self.day / 2)
        let job = try JobFixture(instances: instances) { c in
            setting(&c, "dingtalk", "concurrency", 8)
            setting(&c, "sync", "window_days", 1)
        }
        let r = try job.run(["sync"])
        XCTAssertEqual(r.code, 0, r.stderr)
        XCTAssertEqual(job.simulator.calls(.get), 10_050, "every id fetched exactly once")
        XCTAssertGreaterThan(job.simulator.listingCalls, 10_000 / 20, "the cap forced a re-list")
        try job.assertTableEqualsTruth(nil, "10,050 in one window")
    }

    func testConcurrentRunsTakeTurnsThroughTheLock() throws {
        var options = SimulatorOptions()
        options.latencyMs = 20
        let job = try JobFixture(instances: JobFixture.generate(count: 200, days: 20, seed: 51), simulatorOptions: options)
        let a = try job.start(["sync"]), b = try job.start(["sync"])
        let ra = a.finish(), rb = b.finish()
        XCTAssertEqual([ra.code, rb.code].sorted(), [0, 75], "a: \(ra.stderr)\nb: \(rb.stderr)")
        let loser = ra.code == 75 ? ra : rb
        XCTAssertTrue(loser.stderr.contains("another run"), loser.stderr)
        XCTAssertEqual(job.simulator.calls(.get), 200, "the refused run fetched nothing")
        try job.assertTableEqualsTruth(nil, "after two concurrent runs")
    }

    func testHeldLockRefusesTheRunUntilReleased() throws {
        let job = try JobFixture(instances: JobFixture.generate(count: 50, days: 10, seed: 52))
        let holder = try job.connect()
        XCTAssertEqual(try holder.query("SELECT GET_LOCK('dingsync:wan-recharge', 0)").first, ["1"])
        let refused = try job.run(["sync"])
        XCTAssertEqual(refused.code, 75, refused.stderr)
        XCTAssertTrue(refused.stderr.contains("dingsync: error: another run of job wan-recharge is in progress"), refused.stderr)
        XCTAssertEqual(job.simulator.approvalCalls, 0, "a refused run calls no approval API")
        XCTAssertEqual(try holder.query("SELECT COUNT(*) FROM master_wan_recharge").first, ["0"])

        XCTAssertEqual(try holder.query("SELECT RELEASE_LOCK('dingsync:wan-recharge')").first, ["1"])
        let ok = try job.run(["sync"])
        XCTAssertEqual(ok.code, 0, ok.stderr)
        try job.assertTableEqualsTruth(holder, "after the lock was released")
    }

    /// A run gives its lock back before its connection closes: the next run must not depend on
    /// how soon the server handles the disconnect. Another connection's lock is left alone.
    func testALockIsGivenBackBeforeItsConnectionCloses() throws {
        let job = try JobFixture(instances: [])
        let first = StateStore(db: try job.connect(), job: "wan-recharge")
        XCTAssertTrue(try first.lock())
        let other = StateStore(db: try job.connect(), job: "wan-recharge")
        XCTAssertFalse(try other.lock(), "held by the first connection")
        try other.unlock()
        XCTAssertFalse(try other.lock(), "unlock of a lock this connection does not hold frees nothing")
        try first.unlock()
        XCTAssertTrue(try other.lock(), "freed while the first connection is still open")
    }

    /// DingTalk refuses start_time more than 365 days back: refuse it first, naming the date.
    func testStartBeyondTheHorizonIsAConfigurationError() throws {
        let job = try JobFixture(instances: JobFixture.generate(count: 10, days: 5, seed: 53))
        let now = wallClockMs()
        try job.adjustConfig { setting(&$0, "sync", "start", JobFixture.isoUTC(now - 400 * Self.day)) }
        // The allowed date, in the job's zone, as of just before and just after the runs.
        let allowed = Set([now, now + 600_000].map { String(ReferenceTruth.beijing($0 - 365 * Self.day + 3_600_000).prefix(10)) })

        let sync = try job.run(["sync"])
        XCTAssertEqual(sync.code, 78, sync.stderr)
        XCTAssertTrue(sync.stderr.contains("sync.start"), sync.stderr)
        XCTAssertTrue(allowed.contains { sync.stderr.contains($0) }, "names the allowed date \(allowed): \(sync.stderr)")

        let backfill = try job.run(["backfill", "--from", JobFixture.isoUTC(now - 366 * Self.day), "--to", JobFixture.isoUTC(now)])
        XCTAssertEqual(backfill.code, 78, backfill.stderr)
        XCTAssertTrue(backfill.stderr.contains("--from"), backfill.stderr)
        XCTAssertTrue(allowed.contains { backfill.stderr.contains($0) }, "names the allowed date \(allowed): \(backfill.stderr)")
        XCTAssertEqual(job.simulator.listingCalls, 0, "refused before calling DingTalk")
    }
}
