import Foundation
import HTTPClient
import XCTest
@testable import DingTalkSimulator

/// The v1.0 endpoints through real libcurl: same world, token store, faults and quota as legacy.
final class V1Tests: XCTestCase {
    var curl: CurlHTTPClient!
    override func setUpWithError() throws { curl = try CurlHTTPClient() }

    func v1(_ sim: DingTalkSimulator, _ method: HTTPClient.HTTPRequest.Method, _ path: String, token: String? = nil,
            body: [String: Any]? = nil) throws -> (status: Int, json: [String: Any]?) {
        var headers = [("Content-Type", "application/json")]
        if let token { headers.append(("x-acs-dingtalk-access-token", token)) }
        let data = try body.map { try JSONSerialization.data(withJSONObject: $0) }
        let r = try curl.send(HTTPClient.HTTPRequest(method: method, url: sim.baseURL + path, headers: headers, body: data, timeoutMs: 5_000))
        return (r.status, try? JSONSerialization.jsonObject(with: r.body) as? [String: Any])
    }

    func token(_ sim: DingTalkSimulator) throws -> String {
        let r = try v1(sim, .post, "/v1.0/oauth2/accessToken", body: ["appKey": sim.options.appKey, "appSecret": sim.options.appSecret])
        XCTAssertEqual(r.status, 200)
        XCTAssertEqual(r.json?["expireIn"] as? Int, 7200)
        return try XCTUnwrap(r.json?["accessToken"] as? String)
    }

    func query(_ sim: DingTalkSimulator, _ token: String, _ extra: [String: Any] = [:]) throws -> (status: Int, json: [String: Any]?) {
        var body: [String: Any] = ["processCode": sim.options.processCode, "startTime": fixedNow - 10 * day,
                                   "endTime": fixedNow, "nextToken": 0, "maxResults": 20]
        body.merge(extra) { $1 }
        return try v1(sim, .post, "/v1.0/workflow/processes/instanceIds/query", token: token, body: body)
    }

    /// Open and closed instances, one minute apart, every third one still RUNNING.
    func world(_ n: Int) throws -> (DingTalkSimulator, open: [String]) {
        let sim = try startSim()
        var list = plainInstances((0..<n).map { fixedNow - day + Int64($0) * 60_000 })
        for i in list.indices where i % 3 != 0 {
            list[i].status = "COMPLETED"; list[i].result = "agree"; list[i].finishTimeMs = list[i].createTimeMs + 30_000
        }
        sim.add(list)
        return (sim, list.filter { $0.status == "RUNNING" }.map(\.id))
    }

    func testTokenIsSharedWithGettokenInBothDirections() throws {
        let (sim, _) = try world(3)
        let legacy = try DingClient(sim)
        legacy.fetchToken()
        XCTAssertEqual(try token(sim), legacy.token, "one token store: a valid token is handed out again")
        XCTAssertEqual(try query(sim, legacy.token).status, 200)
        sim.expireToken()
        let fresh = try token(sim)
        legacy.token = fresh
        XCTAssertEqual(errcode(legacy.listIds(["start_time": fixedNow - day])), 0, "a v1 token works on topapi")
        let wrong = try v1(sim, .post, "/v1.0/oauth2/accessToken", body: ["appKey": sim.options.appKey, "appSecret": "no"])
        XCTAssertEqual(wrong.status, 400)
        XCTAssertEqual(sim.calls(.v1Token), 3)
    }

    func testQueryPagesWithBothCursorSpellingsAndFiltersOnCurrentStatus() throws {
        let (sim, open) = try world(45)
        let t = try token(sim)
        var ids: [String] = [], spellings: Set<String> = [], cursor: Any = 0
        while true {
            let r = try query(sim, t, ["nextToken": cursor])
            XCTAssertEqual(r.json?["success"] as? Bool, true)
            let result = try XCTUnwrap(r.json?["result"] as? [String: Any])
            ids += result["list"] as? [String] ?? []
            guard let next = result["nextToken"] else { break }
            spellings.insert(next is String ? "string" : "number")
            cursor = Int("\(next)")!
        }
        XCTAssertEqual(ids.count, 45)
        XCTAssertEqual(ids, ids.sorted(), "oldest first, as listids")
        XCTAssertEqual(spellings, ["string", "number"])
        let running = try query(sim, t, ["statuses": ["RUNNING", "NEW"]])
        XCTAssertEqual((running.json?["result"] as? [String: Any])?["list"] as? [String], open)
        XCTAssertEqual(open.count, 15)
        XCTAssertEqual(sim.calls(.v1Query), 4)
        XCTAssertTrue(sim.statsJSON().contains("\"v1_query\":4"), sim.statsJSON())
    }

    func testQueryParameterErrors() throws {
        let (sim, _) = try world(1)
        let t = try token(sim)
        let cases: [([String: Any], String)] = [
            (["maxResults": 21], "InvalidParameter"),
            (["startTime": fixedNow - 130 * day], "InvalidParameter"),
            (["startTime": fixedNow - 400 * day, "endTime": fixedNow - 390 * day], "InvalidParameter"),
            (["statuses": ["DONE"]], "InvalidParameter"),
        ]
        for (extra, code) in cases {
            let r = try query(sim, t, extra)
            XCTAssertEqual(r.status, 400, "\(extra)")
            XCTAssertEqual(r.json?["code"] as? String, code, "\(extra)")
            XCTAssertNotNil(r.json?["requestid"])
        }
        let missing = try v1(sim, .post, "/v1.0/workflow/processes/instanceIds/query", token: t, body: ["startTime": 1])
        XCTAssertEqual(missing.json?["code"] as? String, "MissingParameter")
    }

    func testGetRendersCamelCaseAndUTCMinutes() throws {
        let (sim, open) = try world(2)
        let t = try token(sim)
        let r = try v1(sim, .get, "/v1.0/workflow/processInstances?processInstanceId=\(open[0])", token: t)
        XCTAssertEqual(r.status, 200)
        let result = try XCTUnwrap(r.json?["result"] as? [String: Any])
        // fixedNow − 1 day is 2026-05-27 08:26:40 Beijing = 00:26 UTC, seconds dropped.
        XCTAssertEqual(result["createTime"] as? String, "2026-05-27T00:26Z")
        XCTAssertEqual(result["status"] as? String, "RUNNING")
        XCTAssertNotNil(result["originatorUserId"])
        XCTAssertNotNil(result["bizAction"])
        let c = try XCTUnwrap((result["formComponentValues"] as? [[String: Any]])?.first)
        XCTAssertEqual(c["componentType"] as? String, "MoneyField")
        XCTAssertEqual(c["value"] as? String, "1200")
        XCTAssertNotNil(c["bizAlias"])
        XCTAssertNil(result["create_time"])
        let unknown = try v1(sim, .get, "/v1.0/workflow/processInstances?processInstanceId=nope", token: t)
        XCTAssertEqual(unknown.status, 400)
        XCTAssertEqual(sim.calls(.v1Get), 2)
    }

    func testErrorFormsOfTheSharedFaults() throws {
        let (sim, _) = try world(1)
        let t = try token(sim)
        func code(_ f: (inout FaultOptions) -> Void) throws -> (Int, String?) {
            var faults = FaultOptions()
            f(&faults)
            sim.setFaults(faults)
            let r = try query(sim, t)
            return (r.status, r.json?["code"] as? String)
        }
        XCTAssertEqual(try code { $0.throttleRate = 1 }.0, 429)
        XCTAssertEqual(try code { $0.throttleRate = 1 }.1, "Throttling")
        XCTAssertEqual(try code { $0.permissionDenied = true }.1, "Forbidden.AccessDenied.AccessTokenPermissionDenied")
        XCTAssertEqual(try code { $0.errcodeMinus1Rate = 1 }.0, 503)
        XCTAssertEqual(try code { $0.systemErrorRate = 1 }.1, "SystemBusy")
        let qps = try code { $0.qpsLimitPerAPI = 0 }
        XCTAssertEqual(qps.0, 403)
        XCTAssertTrue(qps.1?.hasPrefix("Forbidden.AccessDenied.QpsLimit") ?? false)
        sim.setFaults(FaultOptions())
        let bad = try query(sim, "not-a-token")
        XCTAssertEqual(bad.status, 401)
        XCTAssertEqual(bad.json?["code"] as? String, "InvalidAuthentication")
        var truncated = FaultOptions(); truncated.truncatedBodyRate = 1
        sim.setFaults(truncated)
        XCTAssertThrowsError(try query(sim, t), "half a body is a transfer error, as on topapi")
    }

    func testQuotaIsSharedWithLegacyCalls() throws {
        let (sim, _) = try world(1)
        let t = try token(sim)
        var f = FaultOptions(); f.quotaRemaining = 2
        sim.setFaults(f)
        let legacy = try DingClient(sim)
        legacy.token = t
        XCTAssertEqual(errcode(legacy.listIds(["start_time": fixedNow - day])), 0)
        XCTAssertEqual(try query(sim, t).status, 200)
        let over = try query(sim, t)
        XCTAssertEqual(over.status, 403)
        XCTAssertEqual(over.json?["code"] as? String, "Forbidden.AccessDenied.ApiCountLimitForOrg")
        XCTAssertEqual(errcode(legacy.listIds(["start_time": fixedNow - day])), 90020, "one quota for both families")
    }
}
