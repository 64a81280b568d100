import Foundation
import XCTest
@testable import DingTalkSimulator

final class TokenTests: XCTestCase {
    func testIssuesAnUnguessableTokenAndReusesItWhileValid() throws {
        let sim = try startSim()
        let client = try DingClient(sim)
        let first = client.fetchToken()
        XCTAssertEqual(first["errcode"] as? Int, 0)
        XCTAssertEqual(first["errmsg"] as? String, "ok")
        XCTAssertEqual(first["expires_in"] as? Int, 7200)
        let token = try XCTUnwrap(first["access_token"] as? String)
        XCTAssertGreaterThanOrEqual(token.count, 32)
        client.fetchToken()
        XCTAssertEqual(client.token, token)
        XCTAssertEqual(sim.tokensIssued(), 1)

        let other = try startSim()
        XCTAssertNotEqual(try DingClient(other).fetchToken()["access_token"] as? String, token, "tokens are random")
    }

    func testWrongKeyOrSecretIs40089() throws {
        let sim = try startSim()
        let conn = try RawConnection(port: sim.port)
        XCTAssertEqual(errcode(conn.request("GET", "/gettoken?appkey=sim-app-key&appsecret=wrong")), 40089)
        XCTAssertEqual(errcode(conn.request("GET", "/gettoken?appkey=wrong&appsecret=sim-app-secret")), 40089)
        XCTAssertEqual(errcode(conn.request("GET", "/gettoken")), 40089)
        let body = conn.request("GET", "/gettoken?appkey=sim-app-key&appsecret=wrong")!.text
        XCTAssertFalse(body.contains("sim-app-secret"), "the secret is never echoed")
    }

    func testTokenExpiresByTimeAndBothErrorStylesOccur() throws {
        let clock = TestClock(fixedNow)
        let sim = try startSim(clock: clock)
        sim.add(plainInstances([fixedNow - 1000]))
        let client = try DingClient(sim)
        client.fetchToken()
        let old = client.token
        XCTAssertEqual(errcode(client.listIds(["start_time": fixedNow - day])), 0)

        clock.advance(ms: 7200 * 1000)
        let a = try XCTUnwrap(client.listIds(["start_time": fixedNow - day])?.json)
        XCTAssertEqual(a["errcode"] as? Int, 88)
        XCTAssertEqual(a["sub_code"] as? String, "42001")
        XCTAssertNotNil(a["sub_msg"] as? String)
        let b = try XCTUnwrap(client.get("inst-000000")?.json)
        XCTAssertEqual(b["errcode"] as? Int, 40014)
        XCTAssertEqual(b["errmsg"] as? String, "不合法的access_token")
        XCTAssertEqual(sim.faultCount(.tokenRejected), 2)

        client.fetchToken()
        XCTAssertNotEqual(client.token, old, "an expired token is replaced")
        XCTAssertEqual(errcode(client.get("inst-000000")), 0)
    }

    func testAskingAgainRenewsTheLifetime() throws {
        let clock = TestClock(fixedNow)
        let sim = try startSim(clock: clock)
        let client = try DingClient(sim)
        client.fetchToken()
        let token = client.token
        clock.advance(ms: 7000 * 1000)
        client.fetchToken()
        XCTAssertEqual(client.token, token)
        clock.advance(ms: 7000 * 1000)
        XCTAssertEqual(errcode(client.listIds(["start_time": clock.now - day])), 0, "renewed at t+7000 s, valid at t+14000 s")
    }

    func testTokenDiesAfterConfiguredNumberOfCalls() throws {
        let sim = try startSim { $0.faults.tokenExpiresAfterCalls = 3 }
        sim.add(plainInstances([fixedNow - 1000]))
        let client = try DingClient(sim)
        client.fetchToken()
        let first = client.token
        for _ in 0..<3 { XCTAssertEqual(errcode(client.get("inst-000000")), 0) }
        XCTAssertEqual(errcode(client.get("inst-000000")), 88)
        XCTAssertEqual(errcode(client.get("inst-000000")), 40014, "the token stays dead")
        client.fetchToken()
        XCTAssertNotEqual(client.token, first)
        XCTAssertEqual(errcode(client.get("inst-000000")), 0)
        XCTAssertEqual(sim.tokensIssued(), 2)
    }

    func testFixedErrorStylesAndUnknownOrMissingToken() throws {
        let only88 = try startSim { $0.tokenErrorStyle = .errcode88 }
        let c88 = try DingClient(only88)
        c88.token = "not-a-token"
        XCTAssertEqual(errcode(c88.get("x")), 88)
        XCTAssertEqual(errcode(c88.get("x")), 88)

        let only40014 = try startSim { $0.tokenErrorStyle = .errcode40014 }
        let c40014 = try DingClient(only40014)
        c40014.token = "not-a-token"
        XCTAssertEqual(errcode(c40014.listIds(["start_time": fixedNow - day])), 40014)
        XCTAssertEqual(errcode(c40014.listIds(["start_time": fixedNow - day])), 40014)

        c40014.token = ""
        XCTAssertEqual(errcode(c40014.get("x")), 41001)
    }

    func testExpireTokenKillsTheCurrentToken() throws {
        let sim = try startSim()
        let client = try DingClient(sim)
        client.fetchToken()
        sim.expireToken()
        XCTAssertNotEqual(errcode(client.get("x")), 0)
    }
}
