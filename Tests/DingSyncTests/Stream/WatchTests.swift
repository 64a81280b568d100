@testable import DingSync
import DingTalkSimulator
import Foundation
import MySQLClient
import XCTest

/// `dingsync watch` against the simulator's Stream over a real WebSocket and a real MariaDB:
/// pushed closes reach the table within seconds through a get, whatever the delivery does.
class WatchTests: XCTestCase {
    /// The first pass loads the form; then closes are pushed, each fetched once, and the table
    /// equals DingTalk. Only the closed instances are fetched: while the connection is healthy
    /// the open ones are not revisited.
    func testPushedClosesReachTheTableAndOnlyThemAreFetched() throws {
        let job = try JobFixture.streaming(instances: JobFixture.generate(count: 40, days: 20, seed: 1801))
        let watch = WatchHarness(job)
        XCTAssertTrue(job.simulator.waitUntilConnected(timeout: 10), watch.captured.stderr)
        XCTAssertTrue(eventually { job.differencesNow().isEmpty && watch.passes >= 1 }, "first pass: \(job.differencesNow())")
        let getsBefore = job.simulator.calls(.get) + job.simulator.calls(.v1Get)
        let closed = job.closeOpen(3)
        XCTAssertEqual(closed.count, 3)
        XCTAssertTrue(eventually { job.differencesNow().isEmpty }, "closes pushed: \(job.differencesNow())\n\(watch.captured.stderr)")
        XCTAssertEqual(job.simulator.calls(.get) + job.simulator.calls(.v1Get) - getsBefore, 3, "one get per pushed close, no revisit")
        let status = try job.run(["status"])
        XCTAssertTrue(status.stdout.contains("stream:           connected since"), status.stdout)
        XCTAssertTrue(status.stdout.contains("pushes:           3 today, 3 this month (of the organisation's 3000)"), status.stdout)
        let json = try JSONSerialization.jsonObject(with: Data(try job.run(["status", "--format", "json"]).stdout.utf8)) as? [String: Any]
        let stream = json?["stream"] as? [String: Any]
        XCTAssertEqual(stream?["state"] as? String, "up")
        XCTAssertEqual(stream?["events_month"] as? Int, 3)
        XCTAssertNotNil(stream?["last_event_ms"] as? Int)
        XCTAssertEqual(watch.stop(), 0, watch.captured.stderr)
        XCTAssertTrue(try job.run(["status"]).stdout.contains("stream:           disconnected since"))
        let conn = try job.connect()
        XCTAssertEqual(try conn.query("SELECT COUNT(*) FROM dingsync_events WHERE served_ms IS NOT NULL").first?.first??.description, "3")
        XCTAssertEqual(try conn.query("SELECT state FROM dingsync_stream").first?.first ?? nil, "down", "stopped: the span ended")
        let opens = try conn.query("SELECT SUM(calls) FROM dingsync_ledger WHERE endpoint = 'stream_open'").first?.first ?? nil
        XCTAssertEqual(opens.flatMap { Int($0) }, job.simulator.streamStats.connectionsOpened, "every connections/open is in the ledger")
        XCTAssertTrue(watch.captured.stderr.contains("Stream connected"), watch.captured.stderr)
        for secret in [job.env["DINGTALK_APP_SECRET"]!, job.env["MYSQL_PASSWORD"]!] {
            XCTAssertFalse(watch.captured.stderr.contains(secret) || watch.captured.stdout.contains(secret), "a secret in the output")
        }
    }

    /// At-least-once delivery: every push comes twice, out of order; each close costs one get.
    func testDuplicatesAndDisorderCostOneGetEach() throws {
        var options = SimulatorOptions()
        options.stream.faults.duplicateRate = 1
        options.stream.faults.outOfOrderRate = 0.5
        let job = try JobFixture.streaming(instances: JobFixture.generate(count: 30, days: 10, seed: 1802), simulatorOptions: options)
        let watch = WatchHarness(job)
        XCTAssertTrue(eventually { job.differencesNow().isEmpty && watch.passes >= 1 })
        let getsBefore = job.simulator.calls(.get) + job.simulator.calls(.v1Get)
        let closed = job.closeOpen(4)
        // A held-back push goes out after the next one, or at its redelivery time (20 s).
        XCTAssertTrue(eventually { job.simulator.streamStats.acks >= 2 })
        job.advance(25_000)
        XCTAssertTrue(eventually { job.differencesNow().isEmpty && job.simulator.streamStats.duplicatesSent >= closed.count && job.simulator.pendingAcks == 0 },
                      "\(job.differencesNow()) \(job.simulator.streamStats) \((try? job.connect().query("SELECT instance_id, type, received_ms, served_ms FROM dingsync_events")) ?? []) \(watch.captured.stderr)")
        usleep(1_000_000)  // a duplicate that triggered a pass would have fetched by now
        XCTAssertEqual(job.simulator.calls(.get) + job.simulator.calls(.v1Get) - getsBefore, closed.count)
        XCTAssertEqual(watch.stop(), 0)
        let dup = try job.connect().query("SELECT SUM(duplicates) FROM dingsync_event_days").first?.first ?? nil
        XCTAssertGreaterThanOrEqual(dup.flatMap { Int($0) } ?? 0, closed.count, "duplicates are counted")
    }

    /// MySQL is down when the push arrives: it is answered LATER (never acknowledged unrecorded),
    /// DingTalk pushes it again, and once MySQL is back it is recorded and written.
    func testMySQLDownWhenAPushArrivesIsAnsweredLaterThenWritten() throws {
        let script = try XCTUnwrap(TestEnvironment.env["DINGSYNC_TEST_MARIADB_SCRIPT"], "run the suite with `make test`")
        let job = try JobFixture.streaming(instances: JobFixture.generate(count: 20, days: 10, seed: 1803))
        let name = try XCTUnwrap(job.database).name
        // The fixture's admin connection dies with the server: drop the database on a new one.
        addTeardownBlock { try? job.connect().execute("DROP DATABASE IF EXISTS `\(name)`") }
        let watch = WatchHarness(job)
        XCTAssertTrue(eventually { job.differencesNow().isEmpty && watch.passes >= 1 })
        try ResilienceTests.mariadb(script, "stop")
        var restarted = false
        defer { if !restarted { try? ResilienceTests.mariadb(script, "start") } }
        let closed = job.closeOpen(1)
        XCTAssertEqual(closed.count, 1)
        XCTAssertTrue(eventually { job.simulator.streamStats.laters >= 1 }, "\(job.simulator.streamStats)\n\(watch.captured.stderr)")
        XCTAssertEqual(job.simulator.streamStats.acks, 0, "nothing acknowledged that was not recorded")
        try ResilienceTests.mariadb(script, "start")
        restarted = true
        job.advance(25_000)  // past the simulator's redelivery delay
        XCTAssertTrue(eventually(timeout: 30) { job.differencesNow().isEmpty }, "\(job.differencesNow())\n\(watch.captured.stderr)")
        XCTAssertGreaterThanOrEqual(job.simulator.streamStats.redeliveries, 1)
        XCTAssertEqual(watch.stop(), 0)
    }

    /// DingTalk's `disconnect`, an abrupt TCP close and a socket that goes silent: each time a
    /// new ticket, a new connection, and pushes keep arriving.
    func testReconnectsAfterDisconnectDropAndAStaleSocket() throws {
        let job = try JobFixture.streaming(instances: JobFixture.generate(count: 20, days: 10, seed: 1804))
        let watch = WatchHarness(job)
        XCTAssertTrue(eventually { job.differencesNow().isEmpty && watch.passes >= 1 })
        XCTAssertEqual(job.simulator.streamStats.connectionsOpened, 1)
        job.simulator.sendDisconnect()
        XCTAssertTrue(eventually { job.simulator.streamStats.connectionsOpened == 2 && job.simulator.streamStats.connected == 1 }, "\(job.simulator.streamStats)")
        job.simulator.dropConnections()
        XCTAssertTrue(eventually { job.simulator.streamStats.connectionsOpened == 3 && job.simulator.streamStats.connected == 1 }, "\(job.simulator.streamStats)")
        job.simulator.goStale()
        XCTAssertTrue(eventually { job.simulator.streamStats.connectionsOpened == 4 }, "a silent socket is a dead socket: \(job.simulator.streamStats)")
        XCTAssertTrue(job.simulator.waitUntilConnected(timeout: 10))
        _ = job.closeOpen(2)
        XCTAssertTrue(eventually { job.differencesNow().isEmpty }, "\(job.differencesNow())")
        XCTAssertEqual(watch.stop(), 0)
        let spans = try job.connect().query("SELECT COUNT(*) FROM dingsync_stream_spans").first?.first ?? nil
        XCTAssertEqual(spans.flatMap { Int($0) }, 4, "one span per connection")
        XCTAssertTrue(watch.captured.stderr.contains("Stream disconnected"))
    }

    /// A wrong secret: 77 with one line naming the credentials. Stream mode off: 78 with the
    /// console steps and the job's filter rule.
    func testBadCredentialsAndStreamNotEnabled() throws {
        let job = try JobFixture.streaming(instances: JobFixture.generate(count: 5, days: 5, seed: 1805))
        job.env["DINGTALK_APP_SECRET"] = "wrong-secret-value"
        let bad = WatchHarness(job)
        XCTAssertEqual(bad.finish(timeout: 15), 77, bad.captured.stderr)
        XCTAssertTrue(bad.captured.stderr.contains("dingsync: error:") && bad.captured.stderr.contains("app_secret"), bad.captured.stderr)
        XCTAssertFalse(bad.captured.stderr.contains("wrong-secret-value"))

        var off = SimulatorOptions()
        off.stream.enabled = false
        let disabled = try JobFixture.streaming(instances: JobFixture.generate(count: 5, days: 5, seed: 1806), simulatorOptions: off)
        let w = WatchHarness(disabled)
        XCTAssertEqual(w.finish(timeout: 15), 78, w.captured.stderr)
        let line = w.captured.stderr.split(separator: "\n").last { $0.hasPrefix("dingsync: error:") } ?? ""
        XCTAssertTrue(line.contains("Stream 模式推送") && line.contains("/v1.0/event/bpms_instance_change/processCode/\(off.processCode)/type/{finish,terminate}"), String(line))
    }

    func testConfigsOfDifferentAppKeysAreRefused() throws {
        let a = try JobFixture.streaming(instances: JobFixture.generate(count: 2, days: 2, seed: 1807))
        try a.adjustConfig { c in setting(&c, "dingtalk", "app_key", "another-app-key"); c["job"] = "other-job" }
        let b = try JobFixture.streaming(instances: JobFixture.generate(count: 2, days: 2, seed: 1808))
        let w = WatchHarness(b, configs: [b.configURL, a.configURL])
        XCTAssertEqual(w.finish(), 78)
        XCTAssertTrue(w.captured.stderr.contains("one app key"), w.captured.stderr)
    }
}

/// The same against the v1 backend (on Linux a subclass is found only when it declares a test
/// of its own, hence the check that its fixtures are v1).
final class WatchV1Tests: WatchTests {
    override func setUp() { super.setUp(); JobFixture.api = "v1" }
    override func tearDown() { JobFixture.api = nil; super.tearDown() }
    func testTheFixturesOfThisCaseUseV1() throws { try assertStreamingFixturesUseV1() }
}

func assertStreamingFixturesUseV1(file: StaticString = #filePath, line: UInt = #line) throws {
    let job = try JobFixture.streaming(instances: JobFixture.generate(count: 1, days: 1, seed: 1))
    let config = try JSONSerialization.jsonObject(with: Data(contentsOf: job.configURL)) as? [String: Any]
    XCTAssertEqual((config?["dingtalk"] as? [String: Any])?["api"] as? String, "v1", file: file, line: line)
}

/// `check` on a job with `events`: one connection opened and closed, the filter rule printed.
final class WatchCheckTests: XCTestCase {
    func testCheckOpensOneStreamConnectionAndPrintsTheFilterRule() throws {
        let job = try JobFixture.streaming(instances: JobFixture.generate(count: 5, days: 5, seed: 1821))
        XCTAssertEqual(try job.run(["sync"]).code, 0)
        let check = try job.run(["check"])
        XCTAssertEqual(check.code, 0, check.stdout + check.stderr)
        let line = check.stdout.split(separator: "\n").first { $0.hasPrefix("stream") } ?? ""
        XCTAssertTrue(line.contains("ok") && line.contains("/processCode/\(job.env["DINGTALK_PROCESS_CODE"]!)/type/{finish,terminate}"), String(line))
        XCTAssertEqual(job.simulator.streamStats.socketsAccepted, 1)
        let opens = try job.connect().query("SELECT SUM(calls) FROM dingsync_ledger WHERE endpoint = 'stream_open'").first?.first ?? nil
        XCTAssertEqual(opens, "1", "the connections/open call is in the ledger")

        var off = SimulatorOptions()
        off.stream.enabled = false
        let disabled = try JobFixture.streaming(instances: JobFixture.generate(count: 5, days: 5, seed: 1822), simulatorOptions: off)
        let failed = try disabled.run(["check"])
        XCTAssertEqual(failed.code, 78, failed.stdout + failed.stderr)
        XCTAssertTrue(failed.stdout.contains("事件订阅"), failed.stdout)
    }
}

/// Pushes DingTalk fails to deliver: the safety net finds the closes, counts them as missed,
/// and past a few percent of the day's closes the planner stops trusting events.
final class WatchMissedPushTests: XCTestCase {
    func testClosesThatWereNeverPushedAreCountedAndDistrustEvents() throws {
        var options = SimulatorOptions()
        options.stream.faults.lossRate = 1
        let job = try JobFixture.streaming(instances: JobFixture.generate(count: 30, days: 10, seed: 1831), simulatorOptions: options)
        let watch = WatchHarness(job)
        XCTAssertTrue(eventually { job.differencesNow().isEmpty && watch.passes >= 1 })
        let closed = job.closeOpen(3)
        XCTAssertTrue(eventually { job.simulator.streamStats.dropped == closed.count })
        usleep(500_000)
        XCTAssertFalse(job.differencesNow().isEmpty, "lost in transit: not in the table yet")
        job.advance(8 * 86_400_000)  // past the weekly safety net; the next regular pass is due
        XCTAssertTrue(eventually(timeout: 30) { job.differencesNow().isEmpty }, "\(job.differencesNow())")
        let passes = watch.passes
        job.advance(11 * 60_000)  // the next regular pass plans with today's misses
        XCTAssertTrue(eventually { watch.passes > passes && watch.captured.stderr.contains("never pushed") }, watch.captured.stderr)
        // The next day has found no miss yet, and still polls: the week's share is judged too.
        let before = watch.passes
        job.advance(86_400_000)
        XCTAssertTrue(eventually { watch.passes > before && watch.captured.stderr.contains("in the last 7 days (0 today)") }, watch.captured.stderr)
        XCTAssertEqual(watch.stop(), 0)
        let missed = try job.connect().query("SELECT SUM(missed) FROM dingsync_event_days").first?.first ?? nil
        XCTAssertEqual(missed, "\(closed.count)", "every close polling found inside the span is a missed push")
    }
}

/// `watch --metrics-file`: the connection gauge and the event counters beside the passes' figures.
final class WatchMetricsTests: XCTestCase {
    func testTheMetricsFileShowsTheConnectionAndTheEvents() throws {
        let job = try JobFixture.streaming(instances: JobFixture.generate(count: 20, days: 10, seed: 1841))
        var options = WatchHarness.testOptions
        let path = job.dir.appendingPathComponent("watch.prom").path
        options.metricsFile = path
        let watch = WatchHarness(job, options: options)
        XCTAssertTrue(eventually { job.differencesNow().isEmpty && watch.passes >= 1 })
        _ = job.closeOpen(2)
        XCTAssertTrue(eventually { job.differencesNow().isEmpty })
        func metrics() -> String { (try? String(contentsOfFile: path, encoding: .utf8)) ?? "" }
        XCTAssertTrue(eventually { metrics().contains(#"dingsync_stream_events_total{job="wan-recharge",outcome="recorded"} 2"#) }, metrics())
        XCTAssertTrue(metrics().contains(#"dingsync_stream_connected{job="wan-recharge"} 1"#), metrics())
        XCTAssertTrue(metrics().contains(#"dingsync_instances_total{job="wan-recharge",stage="written"}"#), metrics())
        XCTAssertEqual(watch.stop(), 0)
        XCTAssertTrue(metrics().contains(#"dingsync_stream_connected{job="wan-recharge"} 0"#), metrics())
    }
}
