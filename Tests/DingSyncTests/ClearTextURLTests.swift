@testable import DingSync
import Foundation
import XCTest

final class ClearTextURLTests: XCTestCase {
    let env = ["DINGTALK_APP_KEY": "key-1234", "DINGTALK_APP_SECRET": "secret-5678", "MYSQL_PASSWORD": "pw-9999"]

    func load(_ change: (inout [String: Any]) -> Void) throws -> DingSyncError? {
        var c = try JobFixture.referenceConfig()
        change(&c)
        let data = try JSONSerialization.data(withJSONObject: c)
        do {
            _ = try ConfigLoader.parse(data, source: "job.json", env: env)
            return nil
        } catch { return error }
    }

    func testRule() {
        for ok in ["https://oapi.dingtalk.com", "http://127.0.0.1:8080", "http://127.9.8.7/x", "http://localhost:1",
                   "http://[::1]:9000/robot/send?access_token=a"] {
            XCTAssertNil(ClearTextURLRule.problem(ok), ok)
        }
        for bad in ["http://oapi.dingtalk.com", "http://10.0.0.1:8080", "http://128.0.0.1", "http://127.0.0.1.evil.com",
                    "ftp://127.0.0.1", "http://"] {
            XCTAssertNotNil(ClearTextURLRule.problem(bad), bad)
        }
    }

    func testClearTextBaseURLIsAConfigErrorNamingTheKey() throws {
        let error = try XCTUnwrap(try load { c in
            var d = c["dingtalk"] as! [String: Any]
            d["base_url"] = "http://oapi.dingtalk.com"
            c["dingtalk"] = d
        })
        XCTAssertEqual(error.status, .config)
        XCTAssertTrue(error.message.contains("dingtalk.base_url: http:// is allowed only for a loopback host"), error.message)
    }

    func testClearTextWebhookIsAConfigErrorNamingTheKey() throws {
        let error = try XCTUnwrap(try load { c in
            c["alert"] = ["webhook": "http://oapi.dingtalk.com/robot/send?access_token=t"]
        })
        XCTAssertEqual(error.status, .config)
        XCTAssertTrue(error.message.contains("alert.webhook: http:// is allowed only"), error.message)
        XCTAssertFalse(error.message.contains("access_token=t"), "the token must not be echoed: \(error.message)")
    }

    func testLoopbackWebhookLoads() throws {
        XCTAssertNil(try load { c in c["alert"] = ["webhook": "http://127.0.0.1:9/robot/send?access_token=t"] })
    }
}
