@testable import DingSync
import Foundation
import XCTest

final class LogHandlerTests: XCTestCase {
    func testTimestampIsISO8601UTCWithMilliseconds() {
        XCTAssertEqual(StderrLogHandler.timestamp(nowMs: 1_780_243_200_042), "2026-05-31T16:00:00.042Z")
        XCTAssertEqual(StderrLogHandler.timestamp(nowMs: 1_780_243_200_999), "2026-05-31T16:00:00.999Z")
        XCTAssertEqual(StderrLogHandler.timestamp(nowMs: 0), "1970-01-01T00:00:00.000Z")
    }

    func testQuotedFieldsAreJSONStrings() throws {
        let text = "a\"b\\c\n\t😀 部门 \u{01}"
        let line = "[" + StderrLogHandler.quote(text) + "]"
        let parsed = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String])
        XCTAssertEqual(parsed, [text])
    }
}
