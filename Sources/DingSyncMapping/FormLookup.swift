import Foundation

/// Finds the values of the form components a mapping asks for, in one pass over an instance's
/// components, without building per-instance dictionaries.
///
/// Precedence when several components answer to one key (first occurrence wins within a rank):
///   1. a top-level component whose `name` (label) is the key;
///   2. a component inside a `DDBizSuite` whose label is the key;
///   3. a top-level component whose `id` is the key (older templates use the label as id);
///   4. a suite child whose `id` is the key.
/// Suites are parsed only when some key is not settled by rank 1, so the common instance pays
/// nothing for them. `fields` uses the same flattening to show a suite's children, so what it
/// suggests is what the mapper finds.
public struct FormLookup: Sendable {
    /// Keys (component names or ids) the templates ask for, each with its slot number.
    let slotOfKey: [String: Int]
    let slotCount: Int

    init(keys: [String]) {
        var slots: [String: Int] = [:]
        for k in keys where slots[k] == nil { slots[k] = slots.count }
        slotOfKey = slots
        slotCount = slots.count
    }

    /// Effective values by slot: nil for absent, `""`, `"null"` or an empty TableField.
    func resolve(_ components: [FormComponent]) -> [String?] {
        var values = [String?](repeating: nil, count: slotCount)
        guard slotCount > 0 else { return values }
        var ranks = [UInt8](repeating: .max, count: slotCount)
        var suites: [Int] = []
        for (index, c) in components.enumerated() {
            if c.componentType == "DDBizSuite" { suites.append(index) }
            if let name = c.name, let s = slotOfKey[name], ranks[s] > 1 {
                ranks[s] = 1
                values[s] = Self.effectiveValue(c.value, type: c.componentType)
            }
            if let id = c.id, let s = slotOfKey[id], ranks[s] > 3 {
                ranks[s] = 3
                values[s] = Self.effectiveValue(c.value, type: c.componentType)
            }
        }
        guard !suites.isEmpty, ranks.contains(where: { $0 > 1 }) else { return values }
        for index in suites {
            guard let raw = components[index].value, !Self.isNullText(raw) else { continue }
            for child in Self.suiteChildren(raw) {
                if let label = child.name, let s = slotOfKey[label], ranks[s] > 2 {
                    ranks[s] = 2
                    values[s] = Self.effectiveValue(child.value, type: child.componentType)
                }
                if let id = child.id, let s = slotOfKey[id], ranks[s] > 4 {
                    ranks[s] = 4
                    values[s] = Self.effectiveValue(child.value, type: child.componentType)
                }
            }
        }
        return values
    }

    @inline(__always) public static func isNullText(_ s: String) -> Bool {
        s.isEmpty || (s.utf8.count == 4 && s == "null")
    }

    @inline(__always) static func effectiveValue(_ value: String?, type: String?) -> String? {
        guard let value, !isNullText(value) else { return nil }
        if type == "TableField", isEmptyTable(value) { return nil }
        return value
    }

    /// `[]`, or the template's column schema that DingTalk answers for an empty table (an array
    /// whose elements carry no `rowValue`). Text that is not a JSON array is left alone.
    static func isEmptyTable(_ value: String) -> Bool {
        guard value.utf8.first(where: { $0 != 0x20 && $0 != 0x0A && $0 != 0x0D && $0 != 0x09 }) == 0x5B
        else { return false }
        // Rows carry "rowValue"; finding it is enough to know the table has data, without a parse.
        if containsRowValue(value) { return false }
        guard let array = try? JSONSerialization.jsonObject(with: Data(value.utf8)) as? [Any] else { return false }
        return array.allSatisfy { ($0 as? [String: Any])?["rowValue"] == nil }
    }

    private static func containsRowValue(_ value: String) -> Bool {
        let needle = Array("\"rowValue\"".utf8)
        var value = value
        return value.withUTF8 { b in
            guard b.count >= needle.count else { return false }
            var i = 0
            while i <= b.count - needle.count {
                if b[i] == needle[0] {
                    var k = 1
                    while k < needle.count, b[i + k] == needle[k] { k += 1 }
                    if k == needle.count { return true }
                }
                i += 1
            }
            return false
        }
    }

    /// The components nested in a suite's value, flattened depth first. Accepted shapes (DingTalk
    /// has used several): an array of objects (or an object with `children`), each naming itself by
    /// `label`, `name` or `props.label`, with its `id` or `props.id`, its `value` (a string, or any
    /// JSON re-encoded as text) and its type in `componentType`/`component_type`/`componentName`;
    /// an element's `children`, and the value of a nested `DDBizSuite`, are flattened in turn.
    public static func suiteChildren(_ raw: String) -> [FormComponent] {
        guard let any = try? JSONSerialization.jsonObject(with: Data(raw.utf8), options: [.fragmentsAllowed])
        else { return [] }
        var out: [FormComponent] = []
        flatten(any, into: &out, depth: 0)
        return out
    }

    private static func flatten(_ any: Any, into out: inout [FormComponent], depth: Int) {
        guard depth < 16 else { return }  // suites nest one or two levels; hostile input more
        if let array = any as? [Any] {
            for element in array { flatten(element, into: &out, depth: depth + 1) }
            return
        }
        guard let obj = any as? [String: Any] else { return }
        let props = obj["props"] as? [String: Any]
        let label = (obj["label"] as? String) ?? (obj["name"] as? String) ?? (props?["label"] as? String)
        let id = (obj["id"] as? String) ?? (props?["id"] as? String)
        let type = (obj["componentType"] as? String) ?? (obj["component_type"] as? String)
            ?? (obj["componentName"] as? String)
        let value = InstanceDetail.scalarText(obj["value"])
        if label != nil || id != nil {
            out.append(FormComponent(name: label, id: id, componentType: type, value: value,
                                     extValue: InstanceDetail.scalarText(obj["extValue"] ?? obj["ext_value"])))
        }
        if let children = obj["children"] {
            flatten(children, into: &out, depth: depth + 1)
        }
        if type == "DDBizSuite", let value = obj["value"] {
            if let text = value as? String {
                if let nested = try? JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed]) {
                    flatten(nested, into: &out, depth: depth + 1)
                }
            } else {
                flatten(value, into: &out, depth: depth + 1)
            }
        }
    }
}
