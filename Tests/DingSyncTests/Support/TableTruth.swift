import DingTalkSimulator
import Foundation
import MySQLClient
import XCTest

/// Compares the target table with the simulator's instances, column by column, through a
/// connection of its own (the fixture's admin connection does not survive a server restart).
extension JobFixture {
    func connect() throws -> MySQLConnection {
        try MySQLConnection(XCTUnwrap(database).options)
    }

    /// Every stored row by id; fails the test when an id appears twice.
    func storedRows(_ conn: MySQLConnection, file: StaticString = #filePath, line: UInt = #line) throws -> [String: [String?]] {
        let cols = ReferenceTruth.columns.map { "`\($0)`" }.joined(separator: ",")
        let rows = try conn.query("SELECT \(cols) FROM master_wan_recharge")
        var out: [String: [String?]] = [:]
        for r in rows {
            let id = r[0] ?? "NULL"
            if out[id] != nil { XCTFail("duplicate key \(id)", file: file, line: line) }
            out[id] = r
        }
        return out
    }

    /// Differences between the table and `expected` (default: every simulator instance),
    /// at most `limit` of them so a broken run does not flood the log.
    func differences(_ conn: MySQLConnection, expected: [SimInstance]? = nil, limit: Int = 20) throws -> [String] {
        let stored = try storedRows(conn)
        let want = expected ?? simulator.instances()
        var out: [String] = []
        let wantIds = Set(want.map(\.id))
        for id in stored.keys where !wantIds.contains(id) { out.append("unexpected row \(id)") }
        for s in want {
            guard let got = stored[s.id] else { out.append("missing row \(s.id)"); continue }
            let row = ReferenceTruth.row(s, .mysql)
            for (i, column) in ReferenceTruth.columns.enumerated() where got[i] != row[i] {
                out.append("\(s.id).\(column): got \(got[i] ?? "NULL"), want \(row[i] ?? "NULL")")
            }
        }
        return Array(out.prefix(limit))
    }

    func assertTableEqualsTruth(_ conn: MySQLConnection? = nil, expected: [SimInstance]? = nil, _ context: String = "",
                                file: StaticString = #filePath, line: UInt = #line) throws {
        let c = try conn ?? connect()
        let diff = try differences(c, expected: expected)
        XCTAssertTrue(diff.isEmpty, "\(context): table differs from the truth:\n" + diff.joined(separator: "\n"), file: file, line: line)
    }

    func watermark(_ conn: MySQLConnection) throws -> Int64? {
        let rows = try conn.query("SELECT watermark_ms FROM dingsync_state WHERE job = 'wan-recharge'")
        return rows.first?.first.flatMap { $0.flatMap { Int64($0) } }
    }

    func rejects(_ conn: MySQLConnection) throws -> [[String?]] {
        try conn.query("SELECT job, instance_id, column_name, raw_value, reason FROM dingsync_rejects ORDER BY instance_id")
    }
}

/// Instance helpers for tests that change the simulator's data.
extension SimInstance {
    func value(_ label: String) -> String? { components.first { $0.name == label }?.value ?? nil }

    mutating func set(_ label: String, _ value: String?) {
        guard let i = components.firstIndex(where: { $0.name == label }) else { preconditionFailure("no component \(label)") }
        components[i].value = value
    }

    /// What approving or finishing an instance changes on the form and the instance.
    mutating func close(status: String = "COMPLETED", result: String = "agree", atMs: Int64) {
        self.status = status
        self.result = result
        finishTimeMs = atMs
        if status == "COMPLETED" && result == "agree" {
            set("财务付款方式", "银行转账")
            set("实际付款金额", value("充值金额"))
        }
    }
}

func wallClockMs() -> Int64 { Int64(Date().timeIntervalSince1970 * 1000) }
