import DingTalkSimulator
import Foundation
import MySQLClient
import XCTest

/// Survive the real world: a misbehaving DingTalk, a crashing MySQL, bad data, refusals.
class ResilienceTests: XCTestCase {
    static let day: Int64 = 86_400_000

    func testSyncThroughAFaultStormEndsWithTheFullTable() throws {
        var options = SimulatorOptions()
        options.faults.seed = 2024
        options.faults.http500Rate = 0.10
        options.faults.errcodeMinus1Rate = 0.05
        options.faults.throttleRate = 0.05
        options.faults.truncatedBodyRate = 0.02
        options.faults.slowRate = 0.02
        options.faults.slowMs = 600
        options.faults.tokenExpiresAfterCalls = 150
        let job = try JobFixture(instances: JobFixture.generate(count: 200, days: 20, seed: 61), simulatorOptions: options) { c in
            setting(&c, "dingtalk", "timeout_ms", 300)
            setting(&c, "dingtalk", "retry", ["max_attempts": 10, "base_delay_ms": 10, "max_delay_ms": 200])
        }
        let r = try job.run(["sync"])
        XCTAssertEqual(r.code, 0, r.stderr)
        try job.assertTableEqualsTruth(nil, "after the fault storm")
        let sim = job.simulator
        for kind: FaultKind in [.http500, .errcodeMinus1, .throttle, .truncatedBody, .slow, .tokenRejected] {
            XCTAssertGreaterThan(sim.faultCount(kind), 0, "the storm must include \(kind)")
        }
        XCTAssertGreaterThanOrEqual(sim.tokensIssued(), 2, "the token expired at least once")
    }

    /// The server is SIGKILLed and restarted mid-run: the run reconnects or ends with 69, and at
    /// most one re-run completes the table.
    func testMariaDBCrashMidRunLosesNothing() throws {
        let script = try XCTUnwrap(TestEnvironment.env["DINGSYNC_TEST_MARIADB_SCRIPT"], "run the suite with `make test`")
        var options = SimulatorOptions()
        options.latencyMs = 20
        let job = try JobFixture(instances: JobFixture.generate(count: 300, days: 30, seed: 71), simulatorOptions: options) { c in
            setting(&c, "mysql", "batch_size", 20)
            setting(&c, "dingtalk", "retry", ["max_attempts": 10, "base_delay_ms": 200, "max_delay_ms": 2000])
        }
        let name = try XCTUnwrap(job.database).name
        // The fixture's admin connection dies with the server: drop the database on a new one.
        addTeardownBlock { try? job.connect().execute("DROP DATABASE IF EXISTS `\(name)`") }

        let run = try job.start(["sync"])
        XCTAssertTrue(run.wait { job.simulator.calls(.get) >= 100 }, "the run ended before the crash")
        try Self.mariadb(script, "restart")
        let first = run.finish()
        print("MariaDB crash: the first run exited \(first.code)")
        XCTAssertTrue([0, 69].contains(first.code), "either reconnects or gives up with 69: \(first.stderr)")
        XCTAssertTrue(first.stderr.contains("MySQL"), "the crash was noticed: \(first.stderr)")
        if first.code == 69 {
            XCTAssertTrue(first.stderr.contains("dingsync: error:"), first.stderr)
            let second = try job.run(["sync"])
            XCTAssertEqual(second.code, 0, second.stderr)
        }
        try job.assertTableEqualsTruth(nil, "after the MySQL crash (first run exited \(first.code))")
    }

    /// The server stays down longer than the retry budget: 69 with the one error line, the
    /// watermark not past what was written, and the run after the server is back completes.
    func testMariaDBDownPastTheBudgetEndsWith69() throws {
        let script = try XCTUnwrap(TestEnvironment.env["DINGSYNC_TEST_MARIADB_SCRIPT"], "run the suite with `make test`")
        var options = SimulatorOptions()
        options.latencyMs = 20
        let job = try JobFixture(instances: JobFixture.generate(count: 300, days: 30, seed: 72), simulatorOptions: options) { c in
            setting(&c, "mysql", "batch_size", 20)
            setting(&c, "sync", "window_days", 5)
            setting(&c, "dingtalk", "retry", ["max_attempts": 3, "base_delay_ms": 10, "max_delay_ms": 50])
        }
        let name = try XCTUnwrap(job.database).name
        addTeardownBlock { try? job.connect().execute("DROP DATABASE IF EXISTS `\(name)`") }

        let run = try job.start(["sync"])
        XCTAssertTrue(run.wait { job.simulator.calls(.get) >= 120 }, "the run ended before the server went down")
        var restarted = false
        defer { if !restarted { try? Self.mariadb(script, "start") } }
        try Self.mariadb(script, "stop")
        let first = run.finish()
        try Self.mariadb(script, "start")
        restarted = true
        XCTAssertEqual(first.code, 69, first.stderr)
        XCTAssertTrue(first.stderr.contains("dingsync: error:") && first.stderr.contains("MySQL"), first.stderr)

        let conn = try job.connect()
        let stored = try job.storedRows(conn)
        let owed = try job.owedIds(conn)
        if let mark = try job.watermark(conn) {
            for s in job.simulator.instances() where s.createTimeMs < mark {
                XCTAssertTrue(stored[s.id] != nil || owed.contains(s.id), "instance \(s.id) is behind the watermark but neither in the table nor owed a get")
            }
        }
        let second = try job.run(["sync"])
        XCTAssertEqual(second.code, 0, second.stderr)
        try job.assertTableEqualsTruth(conn, "after the server came back")
    }

    static func mariadb(_ script: String, _ command: String) throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: script)
        p.arguments = [command]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 0, "mariadb.sh \(command) failed")
    }

    func testThrottlingPastTheBudgetEndsWith75() throws {
        var options = SimulatorOptions()
        options.faults.throttleRate = 1.0
        let job = try JobFixture(instances: JobFixture.generate(count: 20, days: 5, seed: 85), simulatorOptions: options) { c in
            setting(&c, "dingtalk", "retry", ["max_attempts": 2, "base_delay_ms": 10, "max_delay_ms": 50])
        }
        let r = try job.run(["sync"])
        XCTAssertEqual(r.code, 75, r.stderr)
        XCTAssertTrue(r.stderr.contains("dingsync: error:") && r.stderr.contains(TestAPI.isV1 ? "429 Throttling" : "90018"), r.stderr)
        XCTAssertEqual(job.simulator.listingCalls, 2, "max_attempts counts the first try")
    }

    func testIPBanEndsTheRunWith75AtOnce() throws {
        var options = SimulatorOptions()
        options.faults.ipBan = true
        let job = try JobFixture(instances: JobFixture.generate(count: 20, days: 5, seed: 81), simulatorOptions: options)
        // The ban alternates a JSON answer and an HTML page: one run meets each.
        for _ in 0..<2 {
            let r = try job.run(["sync"])
            XCTAssertEqual(r.code, 75, r.stderr)
            XCTAssertTrue(r.stderr.contains("dingsync: error:") && r.stderr.contains("banned"), r.stderr)
        }
        XCTAssertEqual(job.simulator.tokenCalls, 2, "a ban is not retried: one call per run")
        XCTAssertNil(try job.watermark(job.connect()))
    }

    func testQuotaEndsTheRunWith75AndKeepsTheWatermark() throws {
        let job = try JobFixture(instances: JobFixture.generate(count: 100, days: 10, seed: 82))
        let conn = try job.connect()
        XCTAssertEqual(try job.run(["sync"]).code, 0)
        let mark = try XCTUnwrap(job.watermark(conn))

        var g = ReferenceFormGenerator(seed: 83)
        let now = wallClockMs()
        job.simulator.add(g.make(count: 50, fromMs: now - 300_000, toMs: now - 30_000))
        var f = FaultOptions()
        f.quotaRemaining = 12  // the listing and a few gets, then 90020
        job.simulator.setFaults(f)
        let r = try job.run(["sync"])
        XCTAssertEqual(r.code, 75, r.stderr)
        XCTAssertTrue(r.stderr.contains("quota"), r.stderr)
        XCTAssertGreaterThan(job.simulator.faultCount(.quotaExceeded), 0)
        // The watermark may move past what was listed before the quota ran out (those ids are
        // owed a get), never past an instance that is neither written nor owed.
        let owed = try job.owedIds(conn), stored = try job.storedRows(conn)
        if let moved = try job.watermark(conn) {
            for s in job.simulator.instances() where s.createTimeMs < moved {
                XCTAssertTrue(stored[s.id] != nil || owed.contains(s.id), "instance \(s.id) behind the watermark is lost")
            }
        }
        XCTAssertTrue(r.stderr.contains("resets at"), "says when the quota resets: \(r.stderr)")
        XCTAssertEqual(r.stderr.components(separatedBy: "dingsync: error:").count - 1, 1, r.stderr)

        // Before the 1st (Beijing) the next run stops at once: 75 and not a single call.
        job.simulator.setFaults(FaultOptions())
        job.simulator.resetCounters()
        let blocked = try job.run(["sync"])
        XCTAssertEqual(blocked.code, 75, blocked.stderr)
        XCTAssertTrue(blocked.stderr.contains("quota"), blocked.stderr)
        XCTAssertEqual(job.simulator.tokenCalls + job.simulator.approvalCalls, 0)

        // The 1st of next month: the quota is back and the run completes.
        job.advance(job.nextBeijingMonthMs() - job.nowMs() + 60_000)
        let next = try job.run(["sync"])
        XCTAssertEqual(next.code, 0, next.stderr)
        try job.assertTableEqualsTruth(conn, "after the quota came back")
        XCTAssertGreaterThan(try XCTUnwrap(job.watermark(conn)), mark)
    }

    func testMissingAPIPermissionEndsWith77() throws {
        var options = SimulatorOptions()
        options.faults.permissionDenied = true
        let job = try JobFixture(instances: JobFixture.generate(count: 20, days: 5, seed: 84), simulatorOptions: options)
        let r = try job.run(["sync"])
        XCTAssertEqual(r.code, 77, r.stderr)
        XCTAssertTrue(r.stderr.contains("dingsync: error:") && r.stderr.contains("permission"), r.stderr)
        XCTAssertEqual(try job.connect().query("SELECT COUNT(*) FROM master_wan_recharge").first, ["0"])
    }

    /// An amount DingTalk should never send: the instance is recorded, everything else is
    /// written, and the next run after the data is fixed writes it and clears the reject.
    func testUnmappableAmountIsRecordedAndRetriedUntilFixed() throws {
        let instances = JobFixture.generate(count: 120, days: 10, seed: 91)
        let job = try JobFixture(instances: instances)
        let conn = try job.connect()
        // A final instance: only the reject bookkeeping brings it back, not the open revisit.
        let bad = try XCTUnwrap(instances.first { $0.isFinal })
        job.simulator.update(bad.id) { $0.set("充值金额", "abc") }

        let r = try job.run(["sync"])
        XCTAssertEqual(r.code, 65, r.stderr)
        XCTAssertNotNil(try job.watermark(conn), "a reject does not hold the watermark back")
        let others = job.simulator.instances().filter { $0.id != bad.id }
        try job.assertTableEqualsTruth(conn, expected: others, "every other row is written")
        let rejects = try job.rejects(conn)
        XCTAssertEqual(rejects.count, 1)
        XCTAssertEqual(Array(rejects.first?.prefix(4) ?? []), ["wan-recharge", bad.id, "recharge_amount", "abc"])
        XCTAssertFalse((rejects.first?[4] ?? "").isEmpty, "the reason is recorded")

        // Not fixed yet: still rejected, still 65, still recorded once.
        let again = try job.run(["sync"])
        XCTAssertEqual(again.code, 65, again.stderr)
        XCTAssertEqual(try job.rejects(conn).count, 1)

        // Rejects are fetched again on their own schedule (hours, not every run): the
        // retry above remapped the stored copy, with no call.
        XCTAssertEqual(job.simulator.getCalls(for: bad.id), 1, "not fetched again by the immediate re-run")
        job.simulator.update(bad.id) { $0.set("充值金额", "321.50") }
        job.simulator.resetCounters()
        job.advance(7 * 3_600_000)
        let fixed = try job.run(["sync"])
        XCTAssertEqual(fixed.code, 0, fixed.stderr)
        XCTAssertEqual(job.simulator.getCalls(for: bad.id), 1)
        try job.assertTableEqualsTruth(conn, "after the fix")
        XCTAssertEqual(try job.rejects(conn).count, 0, "the reject row is gone")
    }

    /// A value MySQL refuses (300 characters into VARCHAR(255)): that row only is rejected,
    /// with the column MySQL named. The reference table has TEXT there (what `schema` makes);
    /// a DBA's narrower column is the case where MySQL refuses.
    func testRowMySQLRefusesIsRecordedWithItsColumn() throws {
        let instances = JobFixture.generate(count: 120, days: 10, seed: 92)
        let job = try JobFixture(instances: instances)
        let conn = try job.connect()
        try conn.execute("ALTER TABLE master_wan_recharge MODIFY payee_name VARCHAR(255) NULL")
        let bad = instances[7]
        let long = String(repeating: "张", count: 300)
        job.simulator.update(bad.id) { $0.set("收款人姓名", long) }

        let r = try job.run(["sync"])
        XCTAssertEqual(r.code, 65, r.stderr)
        try job.assertTableEqualsTruth(conn, expected: job.simulator.instances().filter { $0.id != bad.id }, "every other row is written")
        let rejects = try job.rejects(conn)
        XCTAssertEqual(rejects.count, 1)
        XCTAssertEqual(Array(rejects.first?.prefix(4) ?? []), ["wan-recharge", bad.id, "payee_name", long])
        XCTAssertTrue((rejects.first?[4] ?? "").contains("payee_name"), "\(rejects)")

        job.simulator.update(bad.id) { $0.set("收款人姓名", "张三") }
        job.advance(7 * 3_600_000)
        let fixed = try job.run(["sync"])
        XCTAssertEqual(fixed.code, 0, fixed.stderr)
        try job.assertTableEqualsTruth(conn, "after the fix")
        XCTAssertEqual(try job.rejects(conn).count, 0)
    }
}
