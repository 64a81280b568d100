import DingSyncMapping
import Foundation
import MySQLClient

/// Writes mapped rows into the job's target table with multi-row `REPLACE INTO` statements,
/// or `INSERT ... ON DUPLICATE KEY UPDATE` in upsert mode (see `WriteMode`). Identifiers come
/// from the config, so they are validated and quoted; values are always bound.
/// Statements are prepared once per row count and reused across batches.
public final class TargetWriter {
    let db: MySQLConnection
    let mapping: [MappingEntry]
    let qualifiedTable: String
    let tableName: String
    let writeMode: WriteMode
    private let columnList: String
    private let rowPlaceholders: String
    /// The statement's tail after the VALUES rows ("" for replace).
    private let onDuplicate: String
    private var statements: [Int: MySQLStatement] = [:]

    public init(db: MySQLConnection, database: String, table: String, mapping: [MappingEntry],
                writeMode: WriteMode = .replace) throws {
        self.db = db
        self.mapping = mapping
        self.writeMode = writeMode
        tableName = "\(database).\(table)"
        qualifiedTable = try "\(MySQLIdentifier.quote(database)).\(MySQLIdentifier.quote(table))"
        columnList = try mapping.map { try MySQLIdentifier.quote($0.field) }.joined(separator: ", ")
        rowPlaceholders = "(" + Array(repeating: "?", count: mapping.count).joined(separator: ", ") + ")"
        onDuplicate = try Self.onDuplicate(mapping, writeMode)
    }

    /// Upsert updates only the mapped non-key columns, so anything else on the row survives.
    /// VALUES(c) (not MySQL 8's row alias) because MariaDB knows only VALUES(c).
    private static func onDuplicate(_ mapping: [MappingEntry], _ mode: WriteMode) throws -> String {
        guard mode == .upsert else { return "" }
        var assignments = try mapping.filter { !$0.key }.map { entry -> String in
            let c = try MySQLIdentifier.quote(entry.field)
            return "\(c) = VALUES(\(c))"
        }
        // A key-only mapping has nothing to update; a no-op assignment keeps the row untouched
        // without INSERT IGNORE, which would also demote data errors to warnings.
        if assignments.isEmpty, let key = mapping.first(where: \.key) {
            let c = try MySQLIdentifier.quote(key.field)
            assignments = ["\(c) = \(c)"]
        }
        return " ON DUPLICATE KEY UPDATE " + assignments.joined(separator: ", ")
    }

    /// The target table must exist with every mapped column (cli.md: else exit 78 naming it).
    public func verifyTable(database: String, table: String) throws(DingSyncError) {
        let columns: [String]
        do {
            columns = try db.prepare("SELECT LOWER(`COLUMN_NAME`) FROM information_schema.`COLUMNS` WHERE `TABLE_SCHEMA` = ? AND `TABLE_NAME` = ?")
                .query([.text(database), .text(table)]).compactMap { $0.first ?? nil }
        } catch {
            throw Database.failure(error, doing: "reading the columns of \(tableName)")
        }
        if columns.isEmpty {
            throw .config("target table \(tableName) does not exist: create it with `dingsync schema --apply` or your own DDL")
        }
        let have = Set(columns)
        let missing = mapping.map(\.field).filter { !have.contains($0.lowercased()) }
        if !missing.isEmpty {
            throw .config("target table \(tableName) lacks mapped column(s) \(missing.joined(separator: ", "))")
        }
        try verifyKey(database: database, table: table)
    }

    /// Both REPLACE and ON DUPLICATE KEY find the old row through a unique index; without one
    /// on exactly the key column every run would append copies (or, with a wider unique key,
    /// overwrite the wrong rows). Checked before any DingTalk call, like the columns.
    private func verifyKey(database: String, table: String) throws(DingSyncError) {
        guard let key = mapping.first(where: \.key)?.field else { return }
        let unique: Bool
        do {
            unique = try Self.hasUniqueIndex(on: key, db: db, database: database, table: table)
        } catch {
            throw Database.failure(error, doing: "reading the indexes of \(tableName)")
        }
        if !unique { throw .config(Self.keyProblem(table: tableName, key: key)) }
    }

    /// Whether the PRIMARY KEY or some UNIQUE key is exactly `column` (also used by `check`).
    static func hasUniqueIndex(on column: String, db: MySQLConnection, database: String, table: String) throws -> Bool {
        // SUB_PART: a unique prefix index does not make the whole value unique.
        let rows = try db.prepare("""
            SELECT `INDEX_NAME`, LOWER(`COLUMN_NAME`), `SUB_PART` FROM information_schema.`STATISTICS`
            WHERE `TABLE_SCHEMA` = ? AND `TABLE_NAME` = ? AND `NON_UNIQUE` = 0
            """).query([.text(database), .text(table)])
        var indexes: [String: [(column: String?, prefix: String?)]] = [:]
        for r in rows { indexes[r[0] ?? "", default: []].append((r[1], r[2])) }
        return indexes.values.contains { parts in
            parts.count == 1 && parts[0].column == column.lowercased() && parts[0].prefix == nil
        }
    }

    static func keyProblem(table: String, key: String) -> String {
        "target table \(table): the key column \(key) must be the PRIMARY KEY or a UNIQUE key on \(key) alone, "
            + "else every run adds rows instead of replacing them (e.g. ALTER TABLE … ADD UNIQUE KEY (\(key)))"
    }

    /// Writes rows (in the caller's transaction).
    public func write(_ rows: [MappedRow]) throws {
        guard !rows.isEmpty else { return }
        var params: [MySQLValue] = []
        params.reserveCapacity(rows.count * mapping.count)
        for row in rows { for v in row.values { params.append(Database.value(v)) } }
        try statement(rows: rows.count).execute(params)
    }

    private func statement(rows: Int) throws -> MySQLStatement {
        if let s = statements[rows] { return s }
        let verb = writeMode == .replace ? "REPLACE" : "INSERT"
        let sql = "\(verb) INTO \(qualifiedTable) (\(columnList)) VALUES "
            + Array(repeating: rowPlaceholders, count: rows).joined(separator: ", ") + onDuplicate
        let s = try db.prepare(sql)
        // Keep the full-batch statement and one odd size; a run has at most a few sizes.
        if statements.count > 4 { statements.removeAll() }
        statements[rows] = s
        return s
    }

    /// The column named in a MySQL data error ("Data too long for column 'x' at row 3").
    static func column(in message: String) -> String? {
        guard let r = message.range(of: "column '") else { return nil }
        let rest = message[r.upperBound...]
        guard let end = rest.firstIndex(of: "'") else { return nil }
        return String(rest[..<end])
    }
}
