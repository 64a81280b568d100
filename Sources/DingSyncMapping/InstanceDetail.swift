import Foundation

/// One form component of an instance, as DingTalk sends it: every value is a string
/// (complex ones are JSON inside the string), and any of the keys may be missing.
public struct FormComponent: Sendable, Equatable {
    public var name: String?
    public var id: String?
    public var componentType: String?
    public var value: String?
    public var extValue: String?

    public init(name: String?, id: String?, componentType: String?, value: String?, extValue: String? = nil) {
        self.name = name
        self.id = id
        self.componentType = componentType
        self.value = value
        self.extValue = extValue
    }
}

/// One approval instance as returned by `topapi/processinstance/get`, plus the id and
/// process code carried over from the list call (the answer itself contains neither).
public struct InstanceDetail: Sendable {
    /// The instance attributes a template may name (`{status}`), as the text DingTalk sent.
    public static let attributeNames: [String] = [
        "id", "process_code", "title", "create_time", "finish_time", "originator_userid",
        "originator_dept_id", "originator_dept_name", "status", "result", "business_id",
        "biz_action", "main_process_instance_id",
    ]
    public static let finalStatuses: Set<String> = ["COMPLETED", "TERMINATED", "CANCELED"]

    public var id: String
    public var processCode: String
    /// Attribute name → text. Numbers DingTalk sends as JSON numbers are kept as their text.
    public var attributes: [String: String]
    public var components: [FormComponent]
    public var attachedInstanceIds: [String]
    /// The `process_instance` object exactly as received, for storage and later remapping.
    public var rawJSON: String

    public init(id: String, processCode: String, attributes: [String: String],
                components: [FormComponent], attachedInstanceIds: [String] = [], rawJSON: String = "{}") {
        self.id = id
        self.processCode = processCode
        var attrs = attributes
        attrs["id"] = id
        attrs["process_code"] = processCode
        self.attributes = attrs
        self.components = components
        self.attachedInstanceIds = attachedInstanceIds
        self.rawJSON = rawJSON
    }

    public var status: String? { attributes["status"] }
    public var bizAction: String? { attributes["biz_action"] }
    public var isFinal: Bool { status.map(Self.finalStatuses.contains) ?? false }

    public enum DecodeError: Error, Equatable, CustomStringConvertible {
        case notAnObject
        case invalidJSON(String)
        public var description: String {
            switch self {
            case .notAnObject: return "process_instance is not a JSON object"
            case .invalidJSON(let why): return "process_instance is not valid JSON: \(why)"
            }
        }
    }

    /// Decodes the `process_instance` object (the raw JSON of that object, not the whole answer).
    public static func decode(processInstanceJSON data: Data, id: String, processCode: String) throws -> InstanceDetail {
        let any: Any
        do {
            any = try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
        } catch {
            throw DecodeError.invalidJSON(String(describing: error))
        }
        guard let obj = any as? [String: Any] else { throw DecodeError.notAnObject }
        return InstanceDetail(processInstance: obj, rawJSON: String(decoding: data, as: UTF8.self), id: id, processCode: processCode)
    }

    /// From an already parsed `process_instance` object (the client has parsed the whole
    /// answer once; parsing it again would be wasted work on the hot path).
    public init(processInstance obj: [String: Any], rawJSON raw: String, id: String, processCode: String) {
        var attributes: [String: String] = [:]
        for name in Self.attributeNames where name != "id" && name != "process_code" {
            if let text = Self.scalarText(obj[name]) { attributes[name] = text }
        }
        var components: [FormComponent] = []
        for case let c as [String: Any] in (obj["form_component_values"] as? [Any]) ?? [] {
            components.append(FormComponent(
                name: Self.scalarText(c["name"]), id: Self.scalarText(c["id"]),
                componentType: Self.scalarText(c["component_type"]),
                value: Self.scalarText(c["value"]), extValue: Self.scalarText(c["ext_value"])))
        }
        let attached = ((obj["attached_process_instance_ids"] as? [Any]) ?? []).compactMap(Self.scalarText)
        self.init(id: id, processCode: processCode, attributes: attributes,
                  components: components, attachedInstanceIds: attached, rawJSON: raw)
    }

    /// Text of a JSON scalar; nil for null/missing. Numbers keep their JSON spelling
    /// (integers without a fraction) so `originator_dept_id: -1` reads as "-1".
    static func scalarText(_ v: Any?) -> String? {
        switch v {
        case nil, is NSNull: return nil
        case let s as String: return s
        case let n as NSNumber:
            if let i = Int64(exactly: n) { return String(i) }
            return n.stringValue
        default:
            // Nested arrays/objects are re-encoded so a template can still pass them through.
            guard let v, JSONSerialization.isValidJSONObject(v),
                  let d = try? JSONSerialization.data(withJSONObject: v, options: [.withoutEscapingSlashes])
            else { return nil }
            return String(decoding: d, as: UTF8.self)
        }
    }
}
