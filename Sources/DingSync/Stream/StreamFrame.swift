import Foundation

/// The frames of DingTalk Stream mode: what the server pushes, and the answers the client
/// owes it on the same socket within 3 s. Pure: parsed from and rendered to text.
public enum StreamFrame: Equatable, Sendable {
    /// An EVENT frame. `change` is nil for event types other than `bpms_instance_change`.
    case event(messageId: String, eventId: String, eventType: String, bornMs: Int64?, change: InstanceChange?)
    /// SYSTEM ping: answered with the same `data` (echo).
    case ping(messageId: String, data: String)
    /// SYSTEM disconnect: answered, then a new connection (new ticket) is opened.
    case disconnect(messageId: String, reason: String)
    /// The push quota of the organisation is gone (`errCode 20001`): pushes stop until the 1st.
    case pushQuotaStopped(messageId: String?, message: String)
    /// Anything else with a message id (a CALLBACK, an unknown SYSTEM topic): acknowledged.
    case other(messageId: String?, type: String)

    /// `bpms_instance_change`'s `data`, parsed a second time (it arrives as a string).
    public struct InstanceChange: Equatable, Sendable {
        public var instanceId: String
        public var processCode: String
        /// start | finish | terminate
        public var type: String
        public var result: String?
        public var finishMs: Int64?
        public init(instanceId: String, processCode: String, type: String, result: String? = nil, finishMs: Int64? = nil) {
            self.instanceId = instanceId
            self.processCode = processCode
            self.type = type
            self.result = result
            self.finishMs = finishMs
        }
    }

    public static let quotaStoppedCode = "20001"

    public static func parse(_ text: String) -> StreamFrame? {
        guard let root = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else { return nil }
        let headers = (root["headers"] as? [String: Any] ?? [:]).mapValues { "\($0)" }
        let type = root["type"] as? String ?? ""
        let data = root["data"] as? String ?? ""
        let dataObject = (try? JSONSerialization.jsonObject(with: Data(data.utf8))) as? [String: Any] ?? [:]
        let messageId = headers["messageId"]
        if let code = (root["errCode"] ?? dataObject["errCode"] ?? headers["errCode"]).map({ "\($0)" }), code == quotaStoppedCode {
            let message = (root["errMsg"] ?? dataObject["errMsg"] ?? headers["errMsg"]).map { "\($0)" } ?? "消息服务已经暂停"
            return .pushQuotaStopped(messageId: messageId, message: message)
        }
        switch type {
        case "SYSTEM":
            guard let messageId else { return .other(messageId: nil, type: type) }
            switch headers["topic"] {
            case "ping": return .ping(messageId: messageId, data: data)
            case "disconnect": return .disconnect(messageId: messageId, reason: dataObject["reason"] as? String ?? "")
            default: return .other(messageId: messageId, type: type)
            }
        case "EVENT":
            guard let messageId else { return .other(messageId: nil, type: type) }
            let eventType = headers["eventType"] ?? ""
            let eventId = headers["eventId"] ?? messageId
            var change: InstanceChange?
            if eventType == "bpms_instance_change", let id = dataObject["processInstanceId"] as? String,
               let code = dataObject["processCode"] as? String, let t = dataObject["type"] as? String {
                change = InstanceChange(instanceId: id, processCode: code, type: t, result: dataObject["result"] as? String,
                                        finishMs: (dataObject["finishTime"] as? NSNumber)?.int64Value)
            }
            return .event(messageId: messageId, eventId: eventId, eventType: eventType,
                          bornMs: headers["eventBornTime"].flatMap { Int64($0) }, change: change)
        default:
            return .other(messageId: messageId, type: type)
        }
    }

    /// The answer to an EVENT: SUCCESS, or LATER to have it pushed again.
    public static func ack(messageId: String, later: Bool = false) -> String {
        answer(messageId: messageId, data: later ? #"{"status":"LATER"}"# : #"{"status":"SUCCESS"}"#)
    }

    /// The answer to a SYSTEM frame: code 200 with `data` (a ping's echoed as it came).
    public static func answer(messageId: String, data: String) -> String {
        let object: [String: Any] = ["code": 200, "headers": ["messageId": messageId, "contentType": "application/json"],
                                     "message": "OK", "data": data]
        let bytes = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
        return String(decoding: bytes, as: UTF8.self)
    }
}
