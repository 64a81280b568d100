@testable import DingSync
import Foundation
import XCTest

final class RawJSONMemberTests: XCTestCase {
    func raw(_ body: String, _ key: String = "process_instance") -> String? {
        RawJSONMember.value(of: key, in: Data(body.utf8)).map { String(decoding: $0, as: UTF8.self) }
    }

    func testFindsTheTopLevelMemberVerbatim() {
        XCTAssertEqual(raw(#"{"errcode":0,"process_instance":{"a":"x"},"request_id":"r"}"#), #"{"a":"x"}"#)
        XCTAssertEqual(raw(#"{ "process_instance" : { "b" : [1, {"c": "}"}] } , "errcode": 0 }"#),
                       #"{ "b" : [1, {"c": "}"}] }"#)
        XCTAssertEqual(raw(#"{"errcode":0,"request_id":"r","process_instance":{"t":"say \"hi\" \\ {"}}"#),
                       #"{"t":"say \"hi\" \\ {"}"#)
        XCTAssertEqual(raw(#"{"errcode":0,"errmsg":"ok"}"#, "errmsg"), #""ok""#)
        XCTAssertEqual(raw(#"{"errmsg":"ok","errcode":0}"#, "errcode"), "0")
    }

    func testIgnoresNestedKeysAndKeyLookalikeValues() {
        XCTAssertNil(raw(#"{"result":{"process_instance":{"x":1}}}"#))
        XCTAssertNil(raw(#"{"errmsg":"process_instance","x":1}"#))
        XCTAssertEqual(raw(#"{"errmsg":"process_instance","process_instance":{"y":2}}"#), #"{"y":2}"#)
    }

    func testTheOfficialFixtureRoundTrips() throws {
        let url = TestEnvironment.repoRoot.appendingPathComponent("Tests/DingSyncMappingTests/Fixtures/get-official.json")
        let body = try Data(contentsOf: url)
        let rawValue = try XCTUnwrap(RawJSONMember.value(of: "process_instance", in: body))
        let whole = try XCTUnwrap(JSONSerialization.jsonObject(with: body) as? [String: Any])
        let part = try XCTUnwrap(JSONSerialization.jsonObject(with: rawValue) as? [String: Any])
        XCTAssertEqual(part as NSDictionary, whole["process_instance"] as? NSDictionary)
    }
}
