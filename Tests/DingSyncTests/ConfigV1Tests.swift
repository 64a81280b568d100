@testable import DingSync
import Foundation
import XCTest

/// `dingtalk.api` and `dingtalk.v1_base_url` (config.md): which family, and where v1 goes.
final class ConfigV1Tests: XCTestCase {
    let env = ["DINGTALK_APP_KEY": "key-1234", "DINGTALK_APP_SECRET": "secret-5678", "MYSQL_PASSWORD": "pw-9999"]

    func load(_ change: (inout [String: Any]) -> Void) throws -> DingTalkSettings {
        try ConfigLoader.parse(try data(change), source: "job.json", env: env).dingtalk
    }

    func data(_ change: (inout [String: Any]) -> Void) throws -> Data {
        var c = try JobFixture.referenceConfig()
        var d = c["dingtalk"] as! [String: Any]
        change(&d)
        c["dingtalk"] = d
        return try JSONSerialization.data(withJSONObject: c)
    }

    func problem(_ change: (inout [String: Any]) -> Void) throws -> String {
        do {
            _ = try ConfigLoader.parse(try data(change), source: "job.json", env: env)
            XCTFail("expected a config error")
            return ""
        } catch let error as DingSyncError {
            XCTAssertEqual(error.status, .config)
            return error.message
        }
    }

    func testDefaultsAreTopapiAndTheV1Host() throws {
        let d = try load { $0["base_url"] = nil; $0["api"] = nil; $0["v1_base_url"] = nil }
        XCTAssertEqual(d.api, .topapi)
        XCTAssertEqual(d.baseURL, "https://oapi.dingtalk.com")
        XCTAssertEqual(d.v1BaseURL, "https://api.dingtalk.com")
    }

    func testExplicitDefaultBaseURLStillSendsV1ToTheV1Host() throws {
        let d = try load { $0["base_url"] = "https://oapi.dingtalk.com/"; $0["api"] = "v1" }
        XCTAssertEqual(d.api, .v1)
        XCTAssertEqual(d.v1BaseURL, "https://api.dingtalk.com")
    }

    func testMovedBaseURLCarriesV1AlongUnlessV1BaseURLIsSet() throws {
        let followed = try load { $0["base_url"] = "http://127.0.0.1:8089/"; $0["api"] = "v1" }
        XCTAssertEqual(followed.v1BaseURL, "http://127.0.0.1:8089")
        let own = try load { $0["base_url"] = "http://127.0.0.1:8089"; $0["v1_base_url"] = "http://127.0.0.1:9000/" }
        XCTAssertEqual(own.v1BaseURL, "http://127.0.0.1:9000")
        XCTAssertEqual(own.baseURL, "http://127.0.0.1:8089")
    }

    func testUnknownAPINamesTheKeyAndTheChoices() throws {
        let m = try problem { $0["api"] = "v2" }
        XCTAssertTrue(m.contains("dingtalk.api: \"v2\" is not one of topapi, v1"), m)
    }

    func testV1BaseURLMustBeHTTP() throws {
        let m = try problem { $0["v1_base_url"] = "api.dingtalk.com" }
        XCTAssertTrue(m.contains("dingtalk.v1_base_url: must start with https://"), m)
    }

    func testAPIMustBeAString() throws {
        let m = try problem { $0["api"] = 1 }
        XCTAssertTrue(m.contains("dingtalk.api: must be a string"), m)
    }
}
