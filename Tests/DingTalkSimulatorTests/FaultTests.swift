import Foundation
import XCTest
@testable import DingTalkSimulator

final class FaultTests: XCTestCase {
    /// A simulator with one instance and a client that already holds a token.
    private func setUpSim(_ faults: (inout FaultOptions) -> Void, clock: TestClock = TestClock(fixedNow)) throws -> (DingTalkSimulator, DingClient) {
        let sim = try startSim(clock: clock)
        sim.add(plainInstances([fixedNow - 1000]))
        let client = try DingClient(sim)
        client.fetchToken()
        var f = FaultOptions()
        faults(&f)
        sim.setFaults(f)
        return (sim, client)
    }

    func testHTTP500() throws {
        let (sim, client) = try setUpSim { $0.http500Rate = 1 }
        let r = try XCTUnwrap(client.get("inst-000000"))
        XCTAssertEqual(r.status, 500)
        XCTAssertNil(r.json)
        XCTAssertEqual(sim.faultCount(.http500), 1)
        XCTAssertEqual(client.get("inst-000000")?.status, 500, "the connection stays usable after a 500")
    }

    func testErrcodeMinus1AndSystemError() throws {
        let (sim, client) = try setUpSim { $0.errcodeMinus1Rate = 1 }
        let r = try XCTUnwrap(client.listIds(["start_time": fixedNow - day])?.json)
        XCTAssertEqual(r["errcode"] as? Int, -1)
        XCTAssertEqual(r["errmsg"] as? String, "系统繁忙")
        var f = FaultOptions(); f.systemErrorRate = 1
        sim.setFaults(f)
        XCTAssertEqual(errcode(client.listIds(["start_time": fixedNow - day, "cursor": 0])), 400001)
        sim.setFaults(FaultOptions())
        XCTAssertEqual(errcode(client.listIds(["start_time": fixedNow - day, "cursor": 0])), 0, "the same page succeeds on retry")
        XCTAssertEqual(sim.faultCount(.errcodeMinus1), 1)
        XCTAssertEqual(sim.faultCount(.systemError), 1)
    }

    func testRandomThrottle() throws {
        let (sim, client) = try setUpSim { $0.throttleRate = 1 }
        XCTAssertEqual(errcode(client.get("inst-000000")), 90018)
        XCTAssertEqual(sim.faultCount(.throttle), 1)
    }

    func testTruncatedBodyAnnouncesMoreThanItSends() throws {
        let (sim, client) = try setUpSim { $0.truncatedBodyRate = 1 }
        let r = try XCTUnwrap(client.get("inst-000000"))
        XCTAssertEqual(r.status, 200)
        XCTAssertTrue(r.truncated)
        XCTAssertGreaterThan(r.body.count, 0)
        XCTAssertNil(r.json, "half a JSON document does not parse")
        XCTAssertTrue(client.conn.isClosedByPeer())
        XCTAssertEqual(sim.faultCount(.truncatedBody), 1)
    }

    func testDroppedConnection() throws {
        let (sim, client) = try setUpSim { $0.dropConnectionRate = 1 }
        XCTAssertNil(client.get("inst-000000"), "closed without an answer")
        XCTAssertEqual(sim.faultCount(.dropConnection), 1)
        XCTAssertEqual(sim.getCalls(for: "inst-000000"), 1, "faulted calls are counted")
    }

    func testSlowAnswerStillAnswers() throws {
        let (sim, client) = try setUpSim { $0.slowRate = 1; $0.slowMs = 20 }
        XCTAssertEqual(errcode(client.get("inst-000000")), 0)
        XCTAssertEqual(sim.faultCount(.slow), 1)
    }

    func testStopWakesASlowHandler() throws {
        let (sim, client) = try setUpSim { $0.slowRate = 1; $0.slowMs = 600_000 }
        let conn = client.conn
        let body = #"{"process_instance_id":"inst-000000"}"#
        conn.sendRaw("POST /topapi/processinstance/get?access_token=\(client.token) HTTP/1.1\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)")
        while sim.faultCount(.slow) == 0 { usleep(1000) }
        // stop() waits for every handler thread, so returning at all means the ten-minute sleep
        // was interrupted (a regression hangs the test until the runner's timeout).
        sim.stop()
        // The woken handler must not deliver a late answer: the client sees the connection closed.
        XCTAssertNil(conn.readResponse(), "a stopped simulator closes the slow connection without answering")
        // And the simulator really stopped: nobody listens on its port any more.
        XCTAssertThrowsError(try RawConnection(port: sim.port), "the listener is closed after stop()")
    }

    func testIPBanAnswersBothStylesWithoutErrcodeForEveryAPI() throws {
        let (sim, client) = try setUpSim { $0.ipBan = true }
        let json = try XCTUnwrap(client.get("inst-000000"))
        let ban = try XCTUnwrap(json.json)
        XCTAssertNil(ban["errcode"])
        XCTAssertEqual(ban["status"] as? Int, 1111)
        XCTAssertEqual(ban["punish"] as? String, "deny")
        XCTAssertEqual(ban["wait"] as? Int, 5)
        let html = try XCTUnwrap(client.listIds(["start_time": fixedNow - day]))
        XCTAssertNil(html.json)
        XCTAssertTrue(html.text.contains("<html"))
        XCTAssertTrue(html.headers["content-type"]?.hasPrefix("text/html") ?? false)
        let token = client.conn.request("GET", "/gettoken?appkey=sim-app-key&appsecret=sim-app-secret")
        XCTAssertNil(token?.json?["access_token"], "gettoken is banned too")
        XCTAssertEqual(sim.faultCount(.ipBan), 3)
    }

    func testPermissionDenied() throws {
        let (sim, client) = try setUpSim { $0.permissionDenied = true }
        let r = try XCTUnwrap(client.listIds(["start_time": fixedNow - day])?.json)
        XCTAssertEqual(r["errcode"] as? Int, 88)
        XCTAssertEqual(r["sub_code"] as? String, "60011")
        XCTAssertEqual(sim.faultCount(.permissionDenied), 1)
    }

    func testQPSLimitPerAPIPerSecond() throws {
        let clock = TestClock(fixedNow)
        let (sim, client) = try setUpSim({ $0.qpsLimitPerAPI = 3 }, clock: clock)
        let first = (0..<5).map { _ in errcode(client.get("inst-000000")) }
        XCTAssertEqual(first, [0, 0, 0, 90018, 90018])
        XCTAssertEqual(errcode(client.listIds(["start_time": fixedNow - day])), 0, "the limit is per API")
        clock.advance(ms: 1000)
        XCTAssertEqual(errcode(client.get("inst-000000")), 0, "a new second, a new budget")
        XCTAssertEqual(sim.faultCount(.qpsLimit), 2)
        XCTAssertEqual(sim.calls(.get), 6)
    }

    func testQuotaRunsOutAndThrottledCallsDoNotCount() throws {
        let clock = TestClock(fixedNow)
        let (sim, client) = try setUpSim({ $0.quotaRemaining = 2; $0.qpsLimitPerAPI = 1 }, clock: clock)
        XCTAssertEqual(errcode(client.get("inst-000000")), 0)
        XCTAssertEqual(errcode(client.get("inst-000000")), 90018)
        XCTAssertEqual(sim.quotaRemaining(), 1)
        clock.advance(ms: 1000)
        XCTAssertEqual(errcode(client.get("inst-000000")), 0)
        clock.advance(ms: 1000)
        let r = try XCTUnwrap(client.listIds(["start_time": fixedNow - day])?.json)
        XCTAssertEqual(r["errcode"] as? Int, 90020)
        XCTAssertEqual(r["errmsg"] as? String, "本月api调用量已超过限制")
        XCTAssertEqual(sim.quotaRemaining(), 0)
        XCTAssertEqual(sim.faultCount(.quotaExceeded), 1)
        client.fetchToken()
        XCTAssertFalse(client.token.isEmpty, "gettoken does not use the approval quota")
    }

    func testGettokenIsNotFaulted() throws {
        let (sim, client) = try setUpSim { $0.http500Rate = 1; $0.dropConnectionRate = 1; $0.errcodeMinus1Rate = 1 }
        XCTAssertEqual(client.fetchToken()["errcode"] as? Int, 0)
        XCTAssertEqual(sim.faultCount(.http500) + sim.faultCount(.dropConnection), 0)
    }

    /// Same seed, same faults on the same request sequence; another seed, another pattern.
    func testRandomFaultsAreDeterministicForASeed() throws {
        func pattern(seed: UInt64) throws -> [Int] {
            let (_, client) = try setUpSim { $0.seed = seed; $0.errcodeMinus1Rate = 0.3; $0.throttleRate = 0.2 }
            return (0..<60).map { _ in errcode(client.get("inst-000000")) ?? 999 }
        }
        let a = try pattern(seed: 11), b = try pattern(seed: 11), c = try pattern(seed: 12)
        XCTAssertEqual(a, b)
        XCTAssertNotEqual(a, c)
        XCTAssertTrue(a.contains(0) && a.contains(-1) && a.contains(90018), "\(a)")
    }

    func testCountersCountEveryRequestAndReset() throws {
        let (sim, client) = try setUpSim { $0.errcodeMinus1Rate = 0.5 }
        for _ in 0..<10 { _ = client.get("inst-000000") }
        _ = client.get("other")
        _ = client.listIds(["start_time": fixedNow - day])
        XCTAssertEqual(sim.calls(.token), 1)
        XCTAssertEqual(sim.calls(.get), 11)
        XCTAssertEqual(sim.calls(.listids), 1)
        XCTAssertEqual(sim.getCalls(for: "inst-000000"), 10)
        XCTAssertEqual(sim.getCalls(for: "other"), 1)
        XCTAssertEqual(sim.getCalls(for: "never"), 0)
        XCTAssertGreaterThan(sim.faultCount(.errcodeMinus1), 0)
        sim.resetCounters()
        XCTAssertEqual(sim.calls(.get), 0)
        XCTAssertEqual(sim.getCalls(for: "inst-000000"), 0)
        XCTAssertEqual(sim.faultCount(.errcodeMinus1), 0)
    }

    func testLatencyOptionStillAnswers() throws {
        let sim = try startSim { $0.latencyMs = 5 }
        let client = try DingClient(sim)
        XCTAssertEqual(client.fetchToken()["errcode"] as? Int, 0)
    }
}
