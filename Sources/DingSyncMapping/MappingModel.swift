import Foundation

/// The column types a mapping entry may declare (config.md, "Types").
public enum ColumnType: String, Sendable, CaseIterable, Codable {
    case string, int, decimal, datetime, date, json
}

/// One entry of the job's `mapping`: one column of the target table.
public struct MappingEntry: Sendable, Equatable {
    public var field: String
    public var label: String?
    public var type: ColumnType
    /// The template, e.g. `"{部门}-{月份}"`.
    public var value: String
    public var key: Bool
    public var required: Bool
    public var defaultValue: String?
    public var map: [String: String]?

    public init(field: String, label: String? = nil, type: ColumnType, value: String,
                key: Bool = false, required: Bool = false, defaultValue: String? = nil,
                map: [String: String]? = nil) {
        self.field = field
        self.label = label
        self.type = type
        self.value = value
        self.key = key
        self.required = required
        self.defaultValue = defaultValue
        self.map = map
    }
}

/// A wall-clock date-time in the job's timezone, to the second (MySQL DATETIME).
public struct LocalDateTime: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var year, month, day, hour, minute, second: Int
    public init(year: Int, month: Int, day: Int, hour: Int = 0, minute: Int = 0, second: Int = 0) {
        (self.year, self.month, self.day, self.hour, self.minute, self.second) = (year, month, day, hour, minute, second)
    }
    /// `YYYY-MM-DD HH:MM:SS`
    public var description: String { TimeText.format(self, millis: nil, offsetSeconds: nil) }
    /// `YYYY-MM-DD`
    public var dateText: String { TimeText.formatDate(self) }
    public static func < (a: Self, b: Self) -> Bool {
        (a.year, a.month, a.day, a.hour, a.minute, a.second) < (b.year, b.month, b.day, b.hour, b.minute, b.second)
    }
}

/// A converted column value, ready to be bound to a statement or printed.
public enum MappedValue: Sendable, Hashable {
    case null
    case int(Int64)
    /// Exact decimal digits, e.g. `"-1200.50"`; never a float.
    case decimal(String)
    case string(String)
    case datetime(LocalDateTime)
    /// Only the date part is meaningful.
    case date(LocalDateTime)
    /// Raw JSON text, as DingTalk sent it.
    case json(String)

    /// The value as jsonl dry-run output spells it (cli.md): numbers for int, strings otherwise.
    public var jsonFragment: String {
        switch self {
        case .null: return "null"
        case .int(let i): return String(i)
        case .decimal(let s), .string(let s), .json(let s): return Self.quoted(s)
        case .datetime(let t): return Self.quoted(t.description)
        case .date(let t): return Self.quoted(t.dateText)
        }
    }

    /// Plain text for table output; nil for NULL.
    public var text: String? {
        switch self {
        case .null: return nil
        case .int(let i): return String(i)
        case .decimal(let s), .string(let s), .json(let s): return s
        case .datetime(let t): return t.description
        case .date(let t): return t.dateText
        }
    }

    /// JSON string literal. Escapes only what JSON requires, so non-ASCII stays readable.
    public static func quoted(_ s: String) -> String {
        var out = "\""
        out.reserveCapacity(s.utf8.count + 2)
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                out += String(format: "\\u%04x", scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}

/// One mapped instance: values aligned with the mapping's entries.
public struct MappedRow: Sendable, Equatable {
    public var instanceId: String
    public var values: [MappedValue]
    public init(instanceId: String, values: [MappedValue]) {
        self.instanceId = instanceId
        self.values = values
    }
}

/// Why an instance could not be mapped. It names the instance and the column, keeps the raw
/// value, and is recorded as a reject rather than written as NULL.
public struct MappingReject: Error, Sendable, Equatable, CustomStringConvertible {
    public var instanceId: String
    public var column: String
    public var rawValue: String?
    public var reason: String
    public init(instanceId: String, column: String, rawValue: String?, reason: String) {
        self.instanceId = instanceId
        self.column = column
        self.rawValue = rawValue
        self.reason = reason
    }
    public var description: String {
        let raw = rawValue.map { MappedValue.quoted($0) } ?? "NULL"
        return "instance \(instanceId), column \(column): \(reason) (value \(raw))"
    }
}
