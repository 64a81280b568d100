@testable import DingSync
import DingTalkSimulator
import Foundation
import MySQLClient
import XCTest

/// `dingtalk.api: v1` end to end (issue 11): the same table as topapi for the same world,
/// closes found by RUNNING listings with a get only for the rows that closed, and a job that
/// switches API back and forth loses nothing and re-fetches nothing final.
final class V1SyncTests: XCTestCase {
    static let day: Int64 = 86_400_000

    func useAPI(_ job: JobFixture, _ api: String) throws {
        var config = try JSONSerialization.jsonObject(with: Data(contentsOf: job.configURL)) as! [String: Any]
        setting(&config, "dingtalk", "api", api)
        try job.writeConfig(config)
    }

    func newInstances(_ job: JobFixture, _ count: Int, seed: UInt64) -> [SimInstance] {
        var g = ReferenceFormGenerator(seed: seed)
        let now = job.nowMs()
        return g.make(count: count, fromMs: now - 5 * 60_000, toMs: now - 30_000)
    }

    func finalIds(_ conn: MySQLConnection) throws -> Set<String> {
        Set(try conn.query("SELECT `instance_id` FROM `dingsync_instances` WHERE `is_final` = 1").compactMap { $0.first ?? nil })
    }

    func testV1SyncsTheSameTableAndFetchesOnlyWhatClosed() throws {
        let instances = JobFixture.generate(count: 150, days: 30, seed: 31, nowMs: wallClockMs())
        let job = try JobFixture(instances: instances)
        try useAPI(job, "v1")
        let sim = job.simulator
        let conn = try job.connect()

        var r = try job.run(["sync"])
        XCTAssertEqual(r.code, 0, r.stderr)
        try job.assertTableEqualsTruth(conn, "first v1 run")
        XCTAssertGreaterThan(sim.calls(.v1Query), 0, "v1 lists with instanceIds/query")
        XCTAssertEqual(sim.calls(.listids), 0, "and never with the legacy listids")
        XCTAssertEqual(sim.calls(.v1Get), 0, "details come from the legacy get: seconds kept")

        // A day passes: some open approvals close, some stay open, new ones arrive.
        job.advance(Self.day)
        let open = sim.instances().filter { !$0.isFinal }.map(\.id)
        XCTAssertGreaterThan(open.count, 10)
        let closing = Array(open.prefix(open.count / 2)), staying = Array(open.dropFirst(open.count / 2))
        for id in closing { sim.update(id) { $0.close(atMs: job.nowMs() - 60_000) } }
        let arrivals = newInstances(job, 8, seed: 77)
        sim.add(arrivals)
        let finalBefore = try finalIds(conn)
        sim.resetCounters()
        r = try job.run(["sync"])
        XCTAssertEqual(r.code, 0, r.stderr)
        try job.assertTableEqualsTruth(conn, "after a day")
        XCTAssertTrue(r.stderr.contains("(closes found \(closing.count))"), "the summary says what the RUNNING listings found: \(r.stderr)")
        for id in closing { XCTAssertEqual(sim.getCalls(for: id), 1, "closed \(id): one get") }
        for id in staying { XCTAssertEqual(sim.getCalls(for: id), 0, "still open \(id): confirmed by the RUNNING listing, no get") }
        for id in finalBefore { XCTAssertEqual(sim.getCalls(for: id), 0, "final \(id) is never fetched again") }
        for a in arrivals { XCTAssertEqual(sim.getCalls(for: a.id), 1, "arrival \(a.id) fetched once") }
        let confirmed = try conn.query("SELECT COUNT(*) FROM `dingsync_running`").first?.first??.description
        XCTAssertEqual(confirmed.flatMap { Int($0) }, staying.count, "every open row is recorded as confirmed running")
        // The ledger keeps v1 calls under their own name; the run's budget counts them.
        let ledger = try conn.query("SELECT `endpoint`, SUM(`calls`) FROM `dingsync_ledger` GROUP BY `endpoint`")
            .reduce(into: [String: Int]()) { $0[$1[0]!] = Int($1[1]!) }
        XCTAssertGreaterThan(ledger["v1_query"] ?? 0, 0)
        XCTAssertNil(ledger["listids"])
        let status = try job.run(["status", "--format", "json"])
        XCTAssertEqual(status.code, 0, status.stderr)
        let spent = CallCounters.metered(ledger)
        XCTAssertTrue(status.stdout.contains("\"spent\":\(spent)") || status.stdout.contains("\"spent\" : \(spent)"),
                      "status sums both families: \(spent) in \(status.stdout.prefix(600))")
    }

    /// An app without the legacy approval permission still syncs with v1: the first refusal
    /// of the legacy get turns the run to v1's GET, and the run says what that costs (seconds).
    func testALegacyGetRefusedForPermissionFallsBackToV1sGETAndSaysSo() throws {
        let instances = JobFixture.generate(count: 20, days: 5, seed: 51, nowMs: wallClockMs())
        let job = try JobFixture(instances: instances) { c in setting(&c, "dingtalk", "concurrency", 1) }
        try useAPI(job, "v1")
        for i in instances { job.simulator.failGets(of: i.id, times: 1_000, errcode: 60011) }
        let r = try job.run(["sync"])
        XCTAssertEqual(r.code, 0, r.stderr)
        XCTAssertEqual(job.simulator.calls(.get), 1, "one refusal, then v1's GET for the rest of the run")
        XCTAssertEqual(job.simulator.calls(.v1Get), instances.count)
        XCTAssertEqual(r.stderr.components(separatedBy: "details came from v1's GET, whose times are to the minute").count - 1, 1,
                       "said once a run, not once a get: \(r.stderr)")
        let conn = try job.connect()
        XCTAssertEqual(try conn.query("SELECT COUNT(*) FROM `master_wan_recharge`").first?.first??.description, "\(instances.count)")
        // A run that never needed the fallback does not say it.
        job.advance(3_600_000)
        let quiet = try job.run(["sync"])
        XCTAssertEqual(quiet.code, 0, quiet.stderr)
        XCTAssertFalse(quiet.stderr.contains("v1's GET"), quiet.stderr)
    }

    func testSwitchingTopapiToV1AndBackLosesNothingAndRefetchesNothingFinal() throws {
        let instances = JobFixture.generate(count: 120, days: 30, seed: 41, nowMs: wallClockMs())
        let job = try JobFixture(instances: instances)
        let sim = job.simulator
        let conn = try job.connect()
        var r = try job.run(["sync"])
        XCTAssertEqual(r.code, 0, r.stderr)
        try job.assertTableEqualsTruth(conn, "topapi")

        for (round, api) in [(1, "v1"), (2, "topapi"), (3, "v1")] {
            try useAPI(job, api)
            job.advance(Self.day)
            let open = sim.instances().filter { !$0.isFinal }.map(\.id)
            for id in open.prefix(max(1, open.count / 3)) { sim.update(id) { $0.close(atMs: job.nowMs() - 60_000) } }
            sim.add(newInstances(job, 5, seed: 500 + UInt64(round)))
            let finalBefore = try finalIds(conn)
            let markBefore = try job.watermark(conn)
            sim.resetCounters()
            r = try job.run(["sync"])
            XCTAssertEqual(r.code, 0, "\(api): \(r.stderr)")
            try job.assertTableEqualsTruth(conn, "round \(round), \(api)")
            for id in finalBefore { XCTAssertEqual(sim.getCalls(for: id), 0, "round \(round) (\(api)): final \(id) re-fetched") }
            XCTAssertGreaterThan(try XCTUnwrap(job.watermark(conn)), try XCTUnwrap(markBefore), "round \(round): the watermark moves on")
            XCTAssertEqual(api == "v1" ? sim.calls(.listids) : sim.calls(.v1Query), 0, "round \(round): only \(api) lists")
            // The token of a day ago has expired: one new one, from the family in use.
            XCTAssertLessThanOrEqual(sim.calls(.token) + sim.calls(.v1Token), 1, "round \(round): one token request at most")
        }
    }

    func testCheckAndFieldsWorkWithV1AndCheckNamesTheAPIAndThePermission() throws {
        let job = try JobFixture(instances: JobFixture.generate(count: 30, days: 5))
        try useAPI(job, "v1")
        let good = try job.run(["check"])
        XCTAssertEqual(good.code, 0, good.stdout + good.stderr)
        let lines = Dictionary(uniqueKeysWithValues: OperatorCommandTests.checkLines(good.stdout))
        XCTAssertTrue(lines["token"]?.hasPrefix("ok (api v1: ids listed by status at \(job.simulator.baseURL)") ?? false, good.stdout)
        XCTAssertTrue(lines["v1 query"]?.contains("the app may list by status") ?? false, good.stdout)
        XCTAssertNil(lines["listids"], "a v1 job does not check the legacy listing")
        XCTAssertGreaterThan(job.simulator.calls(.v1Query), 0)
        XCTAssertEqual(job.simulator.calls(.listids), 0)

        let fields = try job.run(["fields", "--sample", "2"])
        XCTAssertEqual(fields.code, 0, fields.stderr)
        XCTAssertTrue(fields.stdout.contains("充值金额"), fields.stdout)

        // The app lacks the workflow permission: 77, and the line says which.
        job.simulator.setFaults({ var f = FaultOptions(); f.permissionDenied = true; return f }())
        let denied = try job.run(["check"])
        XCTAssertEqual(denied.code, 77, denied.stdout + denied.stderr)
        let deniedLines = Dictionary(uniqueKeysWithValues: OperatorCommandTests.checkLines(denied.stdout))
        XCTAssertTrue(deniedLines["v1 query"]?.contains("AccessTokenPermissionDenied") ?? false, denied.stdout)
        XCTAssertTrue(deniedLines["v1 query"]?.contains("qyapi_get_process") ?? false, denied.stdout)
    }
}
