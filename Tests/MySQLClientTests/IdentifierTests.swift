import MySQLClient
import XCTest

final class IdentifierTests: XCTestCase {
    func testQuotesValidNames() throws {
        XCTAssertEqual(try MySQLIdentifier.quote("approvals"), "`approvals`")
        XCTAssertEqual(try MySQLIdentifier.quote("审批_实例"), "`审批_实例`")
        XCTAssertEqual(try MySQLIdentifier.quote("with space-and.dot"), "`with space-and.dot`")
        XCTAssertEqual(try MySQLIdentifier.quote(String(repeating: "a", count: 64)),
                       "`" + String(repeating: "a", count: 64) + "`")
        XCTAssertEqual(try MySQLIdentifier.quote(String(repeating: "表", count: 64)).count, 66)
    }

    func testRejectsBadNamesAndNamesThem() {
        let bad = ["", String(repeating: "a", count: 65), "a`b", "a\u{0}b", "tab\tname", "new\nline",
                   "trailing ", "emoji😀", "del\u{7F}"]
        for name in bad {
            XCTAssertThrowsError(try MySQLIdentifier.quote(name), "accepted \(String(reflecting: name))") { error in
                let text = String(describing: error)
                XCTAssertTrue(text.contains(String(reflecting: name)), "message does not name it: \(text)")
                XCTAssertEqual((error as? MySQLIdentifierError)?.name, name)
            }
        }
    }
}

final class IdentifierDatabaseTests: DatabaseTestCase {
    func testQuotedUnusualNamesWorkOnTheServer() throws {
        let table = try MySQLIdentifier.quote("审批 table-1.v2")
        let column = try MySQLIdentifier.quote("select")
        try db.execute("CREATE TABLE \(table) (\(column) VARCHAR(10))")
        try db.prepare("INSERT INTO \(table) (\(column)) VALUES (?)").execute([.text("ok")])
        XCTAssertEqual(try db.query("SELECT \(column) FROM \(table)"), [["ok"]])
    }
}
