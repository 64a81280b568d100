import Foundation

/// Applies a job's mapping to instances: templates are parsed once at init, then each instance
/// costs one pass over its components plus the per-column work (config.md, "Mapping entries").
///
/// Per column, in this order:
/// 1. render the template. A template that is exactly one placeholder gives NULL when the value
///    is missing, `""`, `"null"` or an empty TableField; in a longer template such a placeholder
///    contributes nothing and the literal text stays (a result that is empty as a whole is NULL).
/// 2. `map`: a value found in the map is replaced (a replacement of `""` or `"null"` is NULL);
///    other values pass through. NULL is not looked up.
/// 3. `default`: replaces NULL (used as written, not converted by `map`).
/// 4. `required`: a value still NULL rejects the instance.
/// 5. conversion to the column type; a failure rejects the instance.
public struct Mapper: Sendable {
    public let entries: [MappingEntry]
    public let timeZone: TimeZone
    private let columns: [Column]
    private let lookup: FormLookup

    private enum Part: Sendable {
        case literal(String)
        case attribute(String)
        case slot(Int)
    }

    private struct Column: Sendable {
        var field: String
        var type: ColumnType
        var parts: [Part]
        var map: [String: String]?
        var defaultValue: String?
        var required: Bool
        /// Set when the template does not parse: every instance rejects on this column, since
        /// guessing what was meant could write wrong data. Config validation catches it first.
        var templateError: String?
    }

    /// The template errors of `entries`, each prefixed with the column, or none. Config
    /// validation can call this, or `Template(parsing:)` per entry for its own key paths.
    public static func templateErrors(in entries: [MappingEntry]) -> [String] {
        entries.compactMap { e in
            do { _ = try Template(parsing: e.value); return nil } catch {
                return "column \(e.field): \(error)"
            }
        }
    }

    public init(entries: [MappingEntry], timeZone: TimeZone) {
        self.entries = entries
        self.timeZone = timeZone
        var keys: [String] = []
        var slotOf: [String: Int] = [:]
        func slot(_ key: String) -> Int {
            if let s = slotOf[key] { return s }
            slotOf[key] = keys.count
            keys.append(key)
            return keys.count - 1
        }
        columns = entries.map { e in
            var column = Column(field: e.field, type: e.type, parts: [], map: e.map,
                                defaultValue: e.defaultValue, required: e.required)
            do {
                let template = try Template(parsing: e.value)
                column.parts = template.segments.map { segment in
                    switch segment {
                    case .literal(let text): return .literal(text)
                    case .placeholder(let p):
                        return p.source == .attribute ? .attribute(p.name) : .slot(slot(p.name))
                    }
                }
            } catch {
                column.templateError = "invalid template: \(error)"
            }
            return column
        }
        lookup = FormLookup(keys: keys)
    }

    public func map(_ instance: InstanceDetail) -> Result<MappedRow, MappingReject> {
        let slots = lookup.resolve(instance.components)
        var values: [MappedValue] = []
        values.reserveCapacity(columns.count)
        for column in columns {
            if let why = column.templateError {
                return .failure(MappingReject(instanceId: instance.id, column: column.field, rawValue: nil, reason: why))
            }
            var text = render(column, instance: instance, slots: slots)
            if let v = text, let table = column.map, let replacement = table[v] {
                text = FormLookup.isNullText(replacement) ? nil : replacement
            }
            if text == nil { text = column.defaultValue }
            guard let raw = text else {
                if column.required {
                    return .failure(MappingReject(instanceId: instance.id, column: column.field, rawValue: nil,
                                                  reason: "required value is missing"))
                }
                values.append(.null)
                continue
            }
            do {
                values.append(try Conversions.convert(raw, to: column.type, timeZone: timeZone))
            } catch {
                return .failure(MappingReject(instanceId: instance.id, column: column.field, rawValue: raw,
                                              reason: error.reason))
            }
        }
        return .success(MappedRow(instanceId: instance.id, values: values))
    }

    @inline(__always)
    private func value(of part: Part, instance: InstanceDetail, slots: [String?]) -> String? {
        switch part {
        case .literal(let text): return text
        case .slot(let s): return slots[s]
        case .attribute(let name):
            guard let v = instance.attributes[name], !FormLookup.isNullText(v) else { return nil }
            return v
        }
    }

    private func render(_ column: Column, instance: InstanceDetail, slots: [String?]) -> String? {
        if column.parts.isEmpty { return nil }
        if column.parts.count == 1 {
            return value(of: column.parts[0], instance: instance, slots: slots)
        }
        var out = ""
        for part in column.parts {
            if let v = value(of: part, instance: instance, slots: slots) { out += v }
        }
        return out.isEmpty ? nil : out
    }
}
