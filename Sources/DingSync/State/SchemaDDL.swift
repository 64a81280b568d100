import DingSyncMapping
import Foundation
import MySQLClient

/// The DDL a mapping implies, and which existing column types a mapping type can be written to.
public enum SchemaDDL {
    /// The SQL type of a column created for `entry`.
    public static func sqlType(_ entry: MappingEntry) -> String {
        switch entry.type {
        case .string: return entry.key ? "VARCHAR(128)" : "TEXT"
        case .int: return "BIGINT"
        case .decimal: return "DECIMAL(18,2)"
        case .datetime: return "DATETIME"
        case .date: return "DATE"
        // Not JSON: MySQL's JSON type rewrites the text (key order, spacing); the tool keeps it as sent.
        case .json: return "LONGTEXT"
        }
    }

    /// `CREATE TABLE IF NOT EXISTS` for the job's target table: utf8mb4, the key as primary key.
    public static func createTable(_ table: String, mapping: [MappingEntry], comment: String? = nil) throws -> String {
        var lines: [String] = []
        let width = mapping.map { $0.field.count + 2 }.max() ?? 0
        for e in mapping {
            let name = try MySQLIdentifier.quote(e.field)
            let pad = String(repeating: " ", count: max(1, width - name.count + 1))
            var line = "  \(name)\(pad)\(sqlType(e)) \(e.key ? "NOT NULL" : "NULL")"
            if let label = e.label, !label.isEmpty { line += " COMMENT \(sqlString(label))" }
            lines.append(line)
        }
        let key = mapping.first(where: \.key) ?? mapping[0]
        lines.append("  PRIMARY KEY (\(try MySQLIdentifier.quote(key.field)))")
        var sql = "CREATE TABLE IF NOT EXISTS \(try MySQLIdentifier.quote(table)) (\n" + lines.joined(separator: ",\n")
            + "\n) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin"
        if let comment { sql += " COMMENT=\(sqlString(comment))" }
        return sql
    }

    static let textTypes: Set<String> = ["char", "varchar", "tinytext", "text", "mediumtext", "longtext"]
    static let intTypes: Set<String> = ["tinyint", "smallint", "mediumint", "int", "integer", "bigint"]

    /// Whether a column of information_schema `DATA_TYPE` can hold values of `type` without loss.
    /// Text columns hold anything (values arrive as their text); typed columns must match.
    public static func compatible(_ type: ColumnType, dataType: String) -> Bool {
        let t = dataType.lowercased()
        if textTypes.contains(t) { return true }
        switch type {
        case .string: return false
        case .int: return intTypes.contains(t) || t == "decimal"
        case .decimal: return t == "decimal"
        case .datetime: return t == "datetime" || t == "timestamp"
        case .date: return t == "date" || t == "datetime"
        case .json: return t == "json"
        }
    }

    static func sqlString(_ s: String) -> String {
        "'" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "'", with: "''") + "'"
    }
}
