import DingSyncMapping
import Foundation

/// A form component as `fields` reports it, merged over the sampled instances.
public struct FieldInfo: Sendable, Equatable {
    public var name: String?
    public var id: String?
    public var type: String?
    /// The label of the `DDBizSuite` this component sits in, for suite children.
    public var suite: String?
    /// Non-NULL values seen, in sample order.
    public var values: [String] = []
}

/// Turns sampled instances into a mapping a user can paste: one column per form component
/// (types guessed from the component type, then confirmed against every sampled value) plus
/// the instance attributes, with valid, unique ASCII column names.
public enum MappingSuggestion {
    /// Instance attributes offered as columns: (column, attribute, type, label).
    public static let attributes: [(field: String, name: String, type: ColumnType, label: String)] = [
        ("instance_id", "id", .string, "审批实例ID"), ("title", "title", .string, "标题"),
        ("create_time", "create_time", .datetime, "创建时间"), ("finish_time", "finish_time", .datetime, "完成时间"),
        ("originator_userid", "originator_userid", .string, "发起人"),
        ("originator_dept_id", "originator_dept_id", .string, "发起部门ID"),
        ("originator_dept_name", "originator_dept_name", .string, "发起部门"),
        ("status", "status", .string, "审批状态"), ("result", "result", .string, "审批结果"),
        ("business_id", "business_id", .string, "审批单编号"), ("biz_action", "biz_action", .string, "业务动作"),
        ("main_process_instance_id", "main_process_instance_id", .string, "原审批实例ID"),
    ]
    /// Display-only components: they carry the form's fixed text, not data.
    static let displayOnly: Set<String> = ["TextNote", "DDBizSuite"]
    static let jsonTypes: Set<String> = ["TableField", "DDMultiSelectField", "DDAttachment", "DDPhotoField", "DDDateRangeField"]

    /// Components of all `details`, merged by id (or label), in first-seen order.
    public static func collect(_ details: [InstanceDetail]) -> [FieldInfo] {
        var fields: [FieldInfo] = []
        var index: [String: Int] = [:]
        func add(_ c: FormComponent, suite: String?) {
            let key = (suite.map { $0 + "\u{1}" } ?? "") + (c.id ?? c.name ?? "#\(fields.count)")
            let i = index[key] ?? {
                fields.append(FieldInfo(name: c.name, id: c.id, type: c.componentType, suite: suite))
                index[key] = fields.count - 1
                return fields.count - 1
            }()
            if let v = c.value, !FormLookup.isNullText(v) { fields[i].values.append(v) }
        }
        for d in details {
            for c in d.components {
                add(c, suite: nil)
                if c.componentType == "DDBizSuite", let v = c.value {
                    for child in FormLookup.suiteChildren(v) { add(child, suite: c.name ?? c.id ?? "suite") }
                }
            }
        }
        return fields
    }

    public static func guessType(_ f: FieldInfo, timeZone: TimeZone) -> ColumnType {
        let guess: ColumnType
        switch f.type ?? "" {
        case "MoneyField", "NumberField": guess = .decimal
        case "DDDateField":
            if !f.values.isEmpty, f.values.allSatisfy({ matches($0, "dddd-dd-dd dd:dd") || matches($0, "dddd-dd-dd dd:dd:dd") }) {
                guess = .datetime
            } else if !f.values.isEmpty, f.values.allSatisfy({ matches($0, "dddd-dd-dd") }) {
                guess = .date
            } else {
                guess = .string  // `yyyy-MM` and other shapes are kept as written
            }
        case let t where jsonTypes.contains(t): guess = .json
        default: guess = .string
        }
        // A guess every sampled value does not convert to would reject real instances.
        for v in f.values {
            do { _ = try Conversions.convert(v, to: guess, timeZone: timeZone) } catch { return .string }
        }
        return guess
    }

    /// The suggested mapping: the key, the form's data components, then the attributes.
    public static func entries(for fields: [FieldInfo], timeZone: TimeZone) -> [MappingEntry] {
        var used = Set(attributes.map(\.field))
        var out = [MappingEntry(field: "instance_id", label: "审批实例ID", type: .string, value: "{id}", key: true)]
        var labelCount: [String: Int] = [:]
        for f in fields { if let n = f.name { labelCount[n, default: 0] += 1 } }
        for (n, f) in fields.enumerated() where !displayOnly.contains(f.type ?? "") {
            guard let template = template(f, unique: f.name.map { labelCount[$0] == 1 } ?? false) else { continue }
            out.append(MappingEntry(field: columnName(f, index: n + 1, used: &used), label: f.name ?? f.id,
                                    type: guessType(f, timeZone: timeZone), value: template))
        }
        for a in attributes.dropFirst() {
            out.append(MappingEntry(field: a.field, label: a.label, type: a.type, value: "{\(a.name)}"))
        }
        return out
    }

    /// `{label}` when the label names this component alone; `{form:id}` otherwise.
    static func template(_ f: FieldInfo, unique: Bool) -> String? {
        func addressable(_ s: String) -> Bool { !s.isEmpty && !s.contains("{") && !s.contains("}") }
        if let name = f.name, unique, addressable(name) {
            let clash = InstanceDetail.attributeNames.contains(name) || name.hasPrefix("form:")
            return clash ? "{form:\(name)}" : "{\(name)}"
        }
        if let id = f.id, addressable(id) { return "{form:\(id)}" }
        return nil
    }

    /// snake_case of an ASCII label; otherwise a short type name and the component id's
    /// suffix (`money_1a2b3c`), or `col_<n>`. Unique (case-insensitively) and at most 64 chars.
    static func columnName(_ f: FieldInfo, index: Int, used: inout Set<String>) -> String {
        var base = ""
        if let name = f.name, name.unicodeScalars.allSatisfy(\.isASCII) { base = snake(name) }
        if base.isEmpty, let id = f.id, id.unicodeScalars.allSatisfy(\.isASCII) {
            var type = f.type ?? ""
            if type.hasPrefix("DD") { type.removeFirst(2) }
            if type.hasSuffix("Field") { type.removeLast(5) }
            let suffix = id.split(whereSeparator: { $0 == "-" || $0 == "_" }).last.map(String.init) ?? id
            base = [snake(type.isEmpty ? "field" : type), plain(suffix)].filter { !$0.isEmpty }.joined(separator: "_")
        }
        if base.isEmpty { base = "col_\(index)" }
        if let first = base.unicodeScalars.first, !(first.properties.isAlphabetic) { base = "f_" + base }
        base = String(base.prefix(60))
        var name = base
        var n = 2
        while used.contains(name) { name = "\(base)_\(n)"; n += 1 }
        used.insert(name)
        return name
    }

    static func snake(_ s: String) -> String {
        var out = ""
        var prevLowerOrDigit = false
        for u in s.unicodeScalars {
            let isUpper = ("A"..."Z").contains(u), isLower = ("a"..."z").contains(u), isDigit = ("0"..."9").contains(u)
            if isUpper || isLower || isDigit {
                if isUpper, prevLowerOrDigit { out += "_" }
                out += String(u).lowercased()
                prevLowerOrDigit = isLower || isDigit
            } else {
                if !out.isEmpty, !out.hasSuffix("_") { out += "_" }
                prevLowerOrDigit = false
            }
        }
        while out.hasSuffix("_") { out.removeLast() }
        return out
    }

    /// Lowercase ASCII letters and digits, anything else as `_`: for ids, whose case carries no words.
    static func plain(_ s: String) -> String {
        let mapped = s.unicodeScalars.map { u -> String in
            ("A"..."Z").contains(u) || ("a"..."z").contains(u) || ("0"..."9").contains(u) ? String(u).lowercased() : "_"
        }
        return mapped.joined().split(separator: "_").joined(separator: "_")
    }

    /// `d` stands for an ASCII digit; everything else must match itself.
    static func matches(_ s: String, _ shape: String) -> Bool {
        let a = Array(s.utf8), b = Array(shape.utf8)
        guard a.count == b.count else { return false }
        return zip(a, b).allSatisfy { c, p in p == UInt8(ascii: "d") ? (c >= 0x30 && c <= 0x39) : c == p }
    }

    /// The lines of a `"mapping": [...]` member, one entry per line, ready to paste.
    public static func snippet(_ entries: [MappingEntry]) -> [String] {
        var lines = ["\"mapping\": ["]
        for (i, e) in entries.enumerated() {
            var parts = ["\"field\": \(MappedValue.quoted(e.field))"]
            if let label = e.label { parts.append("\"label\": \(MappedValue.quoted(label))") }
            parts += ["\"type\": \(MappedValue.quoted(e.type.rawValue))", "\"value\": \(MappedValue.quoted(e.value))"]
            if e.key { parts.append("\"key\": true") }
            lines.append("  { " + parts.joined(separator: ", ") + " }" + (i < entries.count - 1 ? "," : ""))
        }
        lines.append("]")
        return lines
    }
}
