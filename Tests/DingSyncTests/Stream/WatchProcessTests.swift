@testable import DingSync
import DingTalkSimulator
import Foundation
import XCTest

/// The real `dingsync watch` executable as systemd runs it: SIGTERM, kill -9 mid-pass.
class WatchProcessTests: XCTestCase {
    /// SIGTERM while a pass is fetching: exit 0 within 10 s, the socket closed, the lock free
    /// (a sync right after runs), and what was committed stays.
    func testSIGTERMExitsZeroWithinTenSeconds() throws {
        var options = SimulatorOptions()
        options.latencyMs = 20
        let job = try JobFixture.streaming(instances: JobFixture.generate(count: 200, days: 30, seed: 1811), simulatorOptions: options)
        let watch = try job.start(["watch"])
        XCTAssertTrue(watch.wait { job.simulator.calls(.get) + job.simulator.calls(.v1Get) >= 20 }, "the first pass never fetched")
        XCTAssertTrue(job.simulator.waitUntilConnected(timeout: 10))
        let signalled = Date()
        watch.kill(SIGTERM)
        let result = watch.finish(timeout: 15)
        XCTAssertEqual(result.code, 0, result.stderr)
        XCTAssertLessThan(Date().timeIntervalSince(signalled), 10, "stopped within 10 s")
        XCTAssertFalse(watch.wasKilled)
        XCTAssertTrue(eventually(timeout: 5) { job.simulator.streamStats.connected == 0 }, "the socket is closed")
        let sync = try job.run(["sync"])
        XCTAssertEqual(sync.code, 0, "the lock was released: \(sync.stderr)")
        try job.assertTableEqualsTruth(nil, "after SIGTERM and a sync")
        for secret in [job.env["DINGTALK_APP_SECRET"]!, job.env["MYSQL_PASSWORD"]!] {
            XCTAssertFalse(result.stderr.contains(secret) || result.stdout.contains(secret), "a secret in the output")
        }
    }

    /// kill -9 in the middle of the first pass, closes pushed while nobody was connected (lost:
    /// Stream has no replay), then a restart: the polling safety net finds them, nothing is
    /// lost, no row is written twice.
    func testKillNineMidPassThenRestartLosesNothing() throws {
        var options = SimulatorOptions()
        options.latencyMs = 20
        let job = try JobFixture.streaming(instances: JobFixture.generate(count: 200, days: 30, seed: 1812), simulatorOptions: options)
        let first = try job.start(["watch"])
        XCTAssertTrue(first.wait { job.simulator.calls(.get) + job.simulator.calls(.v1Get) >= 60 }, "the first pass never fetched")
        first.kill()
        _ = first.finish()
        XCTAssertTrue(first.wasKilled)
        let closed = job.closeOpen(3)
        XCTAssertGreaterThan(job.simulator.streamStats.lost + job.simulator.streamStats.pushes, 0)
        let second = try job.start(["watch"])
        let conn = try job.connect()
        XCTAssertTrue(eventually(timeout: 60) { (try? job.differences(conn).isEmpty) == true }, "\((try? job.differences(conn)) ?? [])")
        second.kill(SIGTERM)
        XCTAssertEqual(second.finish(timeout: 15).code, 0)
        _ = try job.storedRows(conn)  // fails on a duplicate key
        XCTAssertEqual(closed.count, 3)
    }
}

final class WatchProcessV1Tests: WatchProcessTests {
    override func setUp() { super.setUp(); JobFixture.api = "v1" }
    override func tearDown() { JobFixture.api = nil; super.tearDown() }
    func testTheFixturesOfThisCaseUseV1() throws { try assertStreamingFixturesUseV1() }
}
