@testable import DingSync
import DingSyncMapping
import Foundation
import HTTPClient
import XCTest

/// The v1 codec against literal answers: requests it builds, answers it decodes, errors it classifies.
final class V1CodecTests: XCTestCase {
    func answer(_ status: Int, _ text: String) -> HTTPResponse {
        HTTPResponse(status: status, body: Data(text.utf8))
    }

    func answer(_ text: String) -> HTTPResponse { answer(200, text) }

    func body(_ r: HTTPRequest) throws -> [String: Any] {
        try XCTUnwrap(JSONSerialization.jsonObject(with: XCTUnwrap(r.body)) as? [String: Any])
    }

    func testRequestsCarryTheSpecNamesAndTheTokenHeader() throws {
        let t = V1Codec.tokenRequest(baseURL: "http://h", appKey: "k", appSecret: "s")
        XCTAssertEqual(t.method, .post)
        XCTAssertEqual(t.url, "http://h/v1.0/oauth2/accessToken")
        XCTAssertEqual(try body(t) as? [String: String], ["appKey": "k", "appSecret": "s"])

        let q = V1Codec.queryRequest(baseURL: "http://h", token: "T", processCode: "P", startMs: 1, endMs: 2,
                                     cursor: 40, maxResults: 20, statuses: ["RUNNING", "NEW"])
        XCTAssertEqual(q.url, "http://h/v1.0/workflow/processes/instanceIds/query")
        XCTAssertTrue(q.headers.contains { $0.0 == "x-acs-dingtalk-access-token" && $0.1 == "T" })
        let b = try body(q)
        XCTAssertEqual(b["processCode"] as? String, "P")
        XCTAssertEqual(b["startTime"] as? Int, 1)
        XCTAssertEqual(b["endTime"] as? Int, 2)
        XCTAssertEqual(b["nextToken"] as? Int, 40)
        XCTAssertEqual(b["statuses"] as? [String], ["RUNNING", "NEW"])
        XCTAssertNil(b["userIds"], "absent means every originator; an empty list is not sent")

        let g = V1Codec.getRequest(baseURL: "http://h", token: "T", id: "a/b c")
        XCTAssertEqual(g.method, .get)
        XCTAssertEqual(g.url, "http://h/v1.0/workflow/processInstances?processInstanceId=a%2Fb%20c")
        XCTAssertTrue(g.headers.contains { $0.0 == "x-acs-dingtalk-access-token" && $0.1 == "T" })
    }

    func testTokenAnswer() throws {
        let t = try V1Codec.decodeToken(answer(#"{"accessToken":"abc","expireIn":7000}"#))
        XCTAssertEqual(t.token, "abc")
        XCTAssertEqual(t.expiresInSeconds, 7000)
        XCTAssertThrowsError(try V1Codec.decodeToken(answer(#"{"expireIn":7000}"#)))
    }

    func testNextTokenAsNumberStringOrAbsent() throws {
        let s = try V1Codec.decodeQuery(answer(#"{"result":{"list":["a","b"],"nextToken":"20"},"success":true}"#))
        XCTAssertEqual(s, ListPage(ids: ["a", "b"], nextCursor: 20))
        let n = try V1Codec.decodeQuery(answer(#"{"result":{"list":["c"],"nextToken":40},"success":true}"#))
        XCTAssertEqual(n, ListPage(ids: ["c"], nextCursor: 40))
        let last = try V1Codec.decodeQuery(answer(#"{"result":{"list":["d"]},"success":true}"#))
        XCTAssertEqual(last, ListPage(ids: ["d"], nextCursor: nil))
        let empty = try V1Codec.decodeQuery(answer(#"{"result":{"list":[],"nextToken":""},"success":true}"#))
        XCTAssertEqual(empty, ListPage(ids: [], nextCursor: nil))
        XCTAssertThrowsError(try V1Codec.decodeQuery(answer(#"{"result":{"list":[],"nextToken":"x1"},"success":true}"#)))
    }

    func testDetailIsReshapedToTheLegacyNamesAndBeijingTime() throws {
        let text = #"""
        {"result":{"title":"T","businessId":"2022","originatorUserId":"u1","originatorDeptId":"-1",
         "status":"COMPLETED","result":"agree","createTime":"2022-08-31T11:52Z","finishTime":"2022-12-31T16:05Z",
         "bizAction":"MODIFY","mainProcessInstanceId":"main-1","attachedProcessInstanceIds":["x1"],
         "formComponentValues":[{"id":"M-1","name":"金额","value":"12.5","extValue":"{}","componentType":"MoneyField","bizAlias":"amt"}]},
         "success":true}
        """#
        let d = try V1Codec.decodeGet(answer(text), id: "I1", processCode: "P1")
        XCTAssertEqual(d.id, "I1")
        XCTAssertEqual(d.attributes["process_code"], "P1")
        XCTAssertEqual(d.attributes["create_time"], "2022-08-31 19:52:00")
        XCTAssertEqual(d.attributes["finish_time"], "2023-01-01 00:05:00", "the +8 h crosses the year")
        XCTAssertEqual(d.attributes["originator_userid"], "u1")
        XCTAssertEqual(d.attributes["business_id"], "2022")
        XCTAssertEqual(d.bizAction, "MODIFY")
        XCTAssertEqual(d.attributes["main_process_instance_id"], "main-1")
        XCTAssertEqual(d.attachedInstanceIds, ["x1"])
        XCTAssertEqual(d.components, [FormComponent(name: "金额", id: "M-1", componentType: "MoneyField", value: "12.5", extValue: "{}")])
        XCTAssertTrue(d.isFinal)
        let raw = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(d.rawJSON.utf8)) as? [String: Any])
        XCTAssertEqual(raw["create_time"] as? String, "2022-08-31 19:52:00")
        XCTAssertNotNil(raw["form_component_values"], "the stored detail keeps the legacy shape for remap")
        XCTAssertNil(raw["formComponentValues"])
    }

    func testErrorFormsAreClassified() {
        func cls(_ status: Int, _ code: String) -> DingTalkError.Class? {
            do {
                _ = try V1Codec.decodeQuery(answer(status, #"{"code":"\#(code)","message":"m","requestid":"R1"}"#))
                return nil
            } catch {
                return error.errorClass
            }
        }
        XCTAssertEqual(cls(401, "InvalidAuthentication"), .token)
        XCTAssertEqual(cls(429, "Throttling.User"), .throttled)
        XCTAssertEqual(cls(403, "Forbidden.AccessDenied.QpsLimitForApi"), .throttled)
        XCTAssertEqual(cls(403, "Forbidden.AccessDenied.ApiCountLimitForOrg"), .quota)
        XCTAssertEqual(cls(403, "Forbidden.AccessDenied.AccessTokenPermissionDenied"), .permission)
        XCTAssertEqual(cls(400, "InvalidParameter"), .configuration)
        XCTAssertEqual(cls(400, "MissingParameter"), .configuration)
        XCTAssertEqual(cls(503, "ServiceUnavailable"), .transient)
        XCTAssertEqual(cls(500, "SystemBusy"), .transient)
        XCTAssertEqual(V1Errors.classify(api: V1Codec.getAPI, status: 400, body: Data(#"{"code":"InvalidParameter"}"#.utf8)).errorClass,
                       .instance, "a refused id concerns that instance only")
        // The token request refused for its credentials: 77, as legacy's 40089 (found running
        // check's bad-secret test against v1, which said 78).
        let creds = V1Errors.classify(api: V1Codec.tokenAPI, status: 400, body: Data(#"{"code":"invalidClientIdOrSecret","message":"m"}"#.utf8))
        XCTAssertEqual(creds.errorClass, .permission)
        XCTAssertEqual(creds.exitStatus, .permission)
        XCTAssertEqual(V1Errors.classify(api: V1Codec.tokenAPI, status: 503, body: Data(#"{"code":"ServiceUnavailable"}"#.utf8)).errorClass, .transient)
        XCTAssertEqual(V1Errors.classify(api: V1Codec.tokenAPI, status: 429, body: Data(#"{"code":"Throttling"}"#.utf8)).errorClass, .throttled)
        // DingTalk's IP ban, whichever family meets it.
        XCTAssertEqual(V1Errors.classify(api: V1Codec.queryAPI, status: 200, body: Data("<html><body>banned</body></html>".utf8)).errorClass, .ipBan)
        XCTAssertEqual(V1Errors.classify(api: V1Codec.queryAPI, status: 200, body: Data(#"{"status":1111,"punish":"deny","wait":5}"#.utf8)).errorClass, .ipBan)
    }

    func testTruncatedAndUnknownAnswers() {
        XCTAssertThrowsError(try V1Codec.decodeQuery(answer(200, #"{"result":{"list":["a""#))) { e in
            XCTAssertEqual((e as? DingTalkError)?.errorClass, .transient)
        }
        XCTAssertThrowsError(try V1Codec.decodeQuery(answer(418, #"{"code":"Teapot","message":"short and stout","requestid":"R9"}"#))) { e in
            let m = (e as? DingTalkError)?.message ?? ""
            XCTAssertTrue(m.contains("HTTP 418") && m.contains("Teapot") && m.contains("short and stout") && m.contains("R9"), m)
            XCTAssertEqual((e as? DingTalkError)?.errorClass, .configuration)
        }
    }
}
