import Foundation
import MySQLClient
import XCTest

final class StatementTests: DatabaseTestCase {
    static let awkwardStrings: [String] = [
        "😀 emoji 👨‍👩‍👧‍👦 family 🀄",
        "it's \"quoted\" `ticked`",
        #"back\slash \\ double \n not-a-newline \0 \' \""#,
        "'; DROP TABLE t; -- ",
        "Robert'); DELETE FROM t WHERE ('1'='1",
        "?, ?, ? placeholders ? and %s %d",
        "\u{1}\u{2}\u{7} control \t tab \r\n crlf \u{7F} del \u{FFFD}",
        "e\u{301} decomposed vs é precomposed",
        "",
        " leading and trailing spaces ",
        String(repeating: "钉钉审批同步", count: 500),
    ]

    func testTextRoundTripsByteForByte() throws {
        XCTAssertEqual(Self.awkwardStrings.last?.count, 3000)
        try db.execute("CREATE TABLE t (id INT PRIMARY KEY, v LONGTEXT NULL) DEFAULT CHARSET=utf8mb4")
        let insert = try db.prepare("INSERT INTO t (id, v) VALUES (?, ?)")
        XCTAssertEqual(insert.parameterCount, 2)
        for (id, text) in Self.awkwardStrings.enumerated() {
            XCTAssertEqual(try insert.execute([.int(Int64(id)), .text(text)]), 1)
        }
        let select = try db.prepare("SELECT v, HEX(v), CHAR_LENGTH(v) FROM t WHERE id = ?")
        for (id, text) in Self.awkwardStrings.enumerated() {
            let rows = try select.query([.int(Int64(id))])
            XCTAssertEqual(rows.count, 1)
            // Compare bytes, not Strings: Swift's == would hide normalisation changes.
            XCTAssertEqual(rows[0][0].map { Array($0.utf8) }, Array(text.utf8), "prepared read of #\(id)")
            XCTAssertEqual(rows[0][1], hex(text), "bytes stored by the server for #\(id)")
            XCTAssertEqual(rows[0][2], String(text.unicodeScalars.count))
        }
        // The text protocol reads the same bytes.
        let all = try db.query("SELECT v FROM t ORDER BY id")
        XCTAssertEqual(all.map { $0[0].map { Array($0.utf8) } }, Self.awkwardStrings.map { Array($0.utf8) })
    }

    func testNullIntegersDecimalsAndDates() throws {
        try db.execute("""
            CREATE TABLE t (id INT PRIMARY KEY, big BIGINT NULL, amount DECIMAL(18,2) NULL,
                            at DATETIME NULL, day DATE NULL, note VARCHAR(10) NULL)
            """)
        let insert = try db.prepare("INSERT INTO t VALUES (?, ?, ?, ?, ?, ?)")
        try insert.execute([.int(1), .int(Int64.min), .text("1234567890123456.78"),
                            .datetime(year: 2024, month: 2, day: 29, hour: 23, minute: 59, second: 58),
                            .date(year: 1999, month: 12, day: 31), .text("")])
        try insert.execute([.int(2), .int(Int64.max), .text("-0.01"),
                            .datetime(year: 1970, month: 1, day: 1, hour: 0, minute: 0, second: 0),
                            .date(year: 2038, month: 1, day: 19), .null])
        try insert.execute([.int(3), .null, .null, .null, .null, .null])
        let select = "SELECT id, big, amount, at, day, note FROM t ORDER BY id"
        let expected: [[String?]] = [
            ["1", "-9223372036854775808", "1234567890123456.78", "2024-02-29 23:59:58", "1999-12-31", ""],
            ["2", "9223372036854775807", "-0.01", "1970-01-01 00:00:00", "2038-01-19", nil],
            ["3", nil, nil, nil, nil, nil],
        ]
        XCTAssertEqual(try db.query(select), expected)
        XCTAssertEqual(try db.prepare(select).query([]), expected)
        // Parameters compare correctly too (NULL is not equal to NULL, so no row for .null).
        let byDate = try db.prepare("SELECT id FROM t WHERE at = ? OR day = ? OR big = ?")
        XCTAssertEqual(try byDate.query([.datetime(year: 2024, month: 2, day: 29, hour: 23, minute: 59, second: 58),
                                         .date(year: 2038, month: 1, day: 19), .null]).map { $0[0] },
                       ["1", "2"])
    }

    func testInvalidDateParameterIsADataErrorBeforeReachingTheServer() throws {
        try db.execute("CREATE TABLE t (at DATETIME)")
        let insert = try db.prepare("INSERT INTO t VALUES (?)")
        let error = expectMySQLError {
            try insert.execute([.datetime(year: 2024, month: 13, day: 1, hour: 0, minute: 0, second: 0)])
        }
        XCTAssertEqual(error?.isDataError, true)
        XCTAssertEqual(error?.context, "bind")
        XCTAssertEqual(try scalar("SELECT COUNT(*) FROM t"), "0")
    }

    func testWrongParameterCountIsRejected() throws {
        let statement = try db.prepare("SELECT ?, ?")
        XCTAssertEqual(statement.parameterCount, 2)
        let error = expectMySQLError { _ = try statement.query([.int(1)]) }
        XCTAssertEqual(error?.code, 2034)
        XCTAssertEqual(try statement.query([.int(1), .text("x")]), [["1", "x"]])
    }

    func testMultiRowReplaceWith12000ParametersIsReusable() throws {
        let columns = (1...23).map { "c\($0)" }
        try db.execute("CREATE TABLE t (id BIGINT PRIMARY KEY, "
                       + columns.map { "\($0) VARCHAR(64) NOT NULL" }.joined(separator: ", ") + ")")
        let rowPlaceholder = "(" + Array(repeating: "?", count: 24).joined(separator: ",") + ")"
        let sql = "REPLACE INTO t VALUES " + Array(repeating: rowPlaceholder, count: 500).joined(separator: ",")
        let replace = try db.prepare(sql)
        XCTAssertEqual(replace.parameterCount, 12_000)

        func params(version: Int) -> [MySQLValue] {
            (0..<500).flatMap { row -> [MySQLValue] in
                [.int(Int64(row))] + (1...23).map { .text("v\(version)-r\(row)-c\($0)-审批😀") }
            }
        }
        XCTAssertEqual(try replace.execute(params(version: 1)), 500)
        // REPLACE over existing keys reports delete + insert for each row.
        XCTAssertEqual(try replace.execute(params(version: 2)), 1000)
        XCTAssertEqual(try scalar("SELECT COUNT(*) FROM t"), "500")
        XCTAssertEqual(try scalar("SELECT COUNT(*) FROM t WHERE c1 LIKE 'v2-%'"), "500")
        XCTAssertEqual(try scalar("SELECT c23 FROM t WHERE id = 499"), "v2-r499-c23-审批😀")
    }

    func testStatementReuseWithDifferentValues() throws {
        try db.execute("CREATE TABLE t (id INT PRIMARY KEY, name VARCHAR(20) NOT NULL)")
        let insert = try db.prepare("INSERT INTO t VALUES (?, ?)")
        for id in 1...1000 {
            try insert.execute([.int(Int64(id)), .text("n\(id)")])
        }
        XCTAssertEqual(try scalar("SELECT SUM(id) FROM t"), "500500")
        let select = try db.prepare("SELECT name FROM t WHERE id = ?")
        for id in [1, 500, 1000] {
            XCTAssertEqual(try select.query([.int(Int64(id))]), [["n\(id)"]])
        }
        XCTAssertEqual(try select.query([.int(5000)]), [])
        // A SELECT through execute() is drained, so the statement stays usable.
        XCTAssertEqual(try select.execute([.int(1)]), 0)
        XCTAssertEqual(try select.query([.int(2)]), [["n2"]])
    }

    func testLongTextIsReadCompletely() throws {
        try db.execute("CREATE TABLE t (id INT PRIMARY KEY, v LONGTEXT NOT NULL)")
        let short = "short"
        let long = String(repeating: "长文本-long text-😀", count: 40_000)  // ~1 MB
        let insert = try db.prepare("INSERT INTO t VALUES (?, ?)")
        try insert.execute([.int(1), .text(short)])
        try insert.execute([.int(2), .text(long)])
        let rows = try db.prepare("SELECT v FROM t ORDER BY id").query([])
        XCTAssertEqual(rows.map { $0[0].map { Array($0.utf8) } }, [Array(short.utf8), Array(long.utf8)])
        XCTAssertEqual(try db.query("SELECT v FROM t WHERE id = 2")[0][0]?.utf8.count, long.utf8.count)
    }

    /// Rows handed over as they arrive (no stored result): a value longer than the first
    /// guess of a buffer is still read whole, and a body that throws leaves the connection
    /// ready for the next statement.
    func testForEachRowStreamsLongValuesAndSurvivesAThrowingBody() throws {
        try db.execute("CREATE TABLE t (id INT PRIMARY KEY, v LONGTEXT NULL)")
        let long = String(repeating: "长文本-long text-😀", count: 40_000)  // ~1 MB
        let insert = try db.prepare("INSERT INTO t VALUES (?, ?)")
        for i in 1...300 { try insert.execute([.int(Int64(i)), i == 7 ? .null : .text(i == 150 ? long : "row \(i)")]) }
        var seen: [[String?]] = []
        try db.prepare("SELECT id, v FROM t WHERE id > ? ORDER BY id").forEachRow([.int(0)]) { seen.append($0) }
        XCTAssertEqual(seen.count, 300)
        XCTAssertEqual(seen[0], ["1", "row 1"])
        XCTAssertEqual(seen[6], ["7", nil])
        XCTAssertEqual(seen[149][1]?.utf8.count, long.utf8.count)
        XCTAssertEqual(seen[149][1], long)
        XCTAssertEqual(seen[299], ["300", "row 300"])

        struct Stop: Error {}
        var read = 0
        XCTAssertThrowsError(try db.prepare("SELECT id, v FROM t ORDER BY id").forEachRow([]) { _ in
            read += 1
            if read == 10 { throw Stop() }
        }) { XCTAssertTrue($0 is Stop) }
        XCTAssertEqual(read, 10)
        XCTAssertEqual(try db.query("SELECT COUNT(*) FROM t")[0][0], "300")
    }

    func testStrictModeRejectsBadDataInsteadOfTruncating() throws {
        try db.execute("""
            CREATE TABLE t (short VARCHAR(5) NULL, tiny TINYINT NULL, required INT NOT NULL DEFAULT 0,
                            at DATETIME NULL, amount DECIMAL(5,2) NULL) ENGINE=InnoDB
            """)
        let cases: [(String, [MySQLValue], UInt32)] = [
            ("INSERT INTO t (short) VALUES (?)", [.text("toolong")], 1406),
            ("INSERT INTO t (short) VALUES (?)", [.text("😀😀😀😀😀😀")], 1406),
            ("INSERT INTO t (tiny) VALUES (?)", [.int(1000)], 1264),
            ("INSERT INTO t (required) VALUES (?)", [.null], 1048),
            ("INSERT INTO t (at) VALUES (?)", [.text("2024-02-30 10:00:00")], 1292),
            ("INSERT INTO t (amount) VALUES (?)", [.text("12345.67")], 1264),
            ("INSERT INTO t (tiny) VALUES (?)", [.text("abc")], 1366),
        ]
        for (sql, params, code) in cases {
            let error = expectMySQLError { try self.db.prepare(sql).execute(params) }
            XCTAssertEqual(error?.code, code, "\(sql) \(params)")
            XCTAssertEqual(error?.isDataError, true, "\(sql) \(params): \(String(describing: error))")
            XCTAssertEqual(error?.isConnectionLost, false)
        }
        XCTAssertEqual(try scalar("SELECT COUNT(*) FROM t"), "0")
        // Exactly-fitting values go in.
        try db.prepare("INSERT INTO t (short, tiny, amount) VALUES (?, ?, ?)")
            .execute([.text("😀😀😀😀😀"), .int(127), .text("999.99")])
        XCTAssertEqual(try db.query("SELECT short, tiny, amount FROM t"), [["😀😀😀😀😀", "127", "999.99"]])
    }

    func testThousandsOfExecutesDoNotLeakParameterMemory() throws {
        try db.execute("CREATE TABLE t (id INT PRIMARY KEY, "
                       + (1...20).map { "c\($0) TEXT" }.joined(separator: ", ") + ")")
        let upsert = try db.prepare("REPLACE INTO t VALUES (?" + String(repeating: ", ?", count: 20) + ")")
        let payload = String(repeating: "x", count: 2048)
        func run(_ times: Int) throws {
            for i in 0..<times {
                try upsert.execute([.int(Int64(i % 10))] + (1...20).map { .text("\($0)\(payload)") })
            }
        }
        try run(200)  // warm up allocator and caches
        let before = try residentBytes()
        try run(4000)  // 4000 × 20 × 2 KiB = 160 MiB if the parameter buffers leaked
        let growth = try residentBytes() - before
        XCTAssertLessThan(growth, 40 << 20, "resident memory grew by \(growth) bytes over 4000 executes")
        XCTAssertEqual(try scalar("SELECT COUNT(*) FROM t"), "10")
    }

    private func residentBytes() throws -> Int {
        let statm = try String(contentsOfFile: "/proc/self/statm", encoding: .utf8)
        let pages = Int(statm.split(separator: " ")[1]) ?? 0
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }
}
