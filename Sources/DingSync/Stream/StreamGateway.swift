import Foundation
import HTTPClient

/// `POST /v1.0/gateway/connections/open`: a one-use ticket (90 s) and the WebSocket endpoint.
/// No access token is involved; the app's key and secret go in the body (never in a URL).
public struct StreamGateway {
    public struct Ticket: Sendable {
        public var endpoint: String
        public var ticket: String
        /// The URL to connect to; it carries the ticket, so it is never printed whole.
        public var url: String {
            let escaped = ticket.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ticket
            return endpoint + (endpoint.contains("?") ? "&" : "?") + "ticket=" + escaped
        }
    }

    public let baseURL: String
    public let appKey: String
    public let appSecret: String
    public let timeoutMs: Int

    public init(baseURL: String, appKey: String, appSecret: String, timeoutMs: Int = 10_000) {
        self.baseURL = baseURL
        self.appKey = appKey
        self.appSecret = appSecret
        self.timeoutMs = timeoutMs
    }

    public enum Failure: Error {
        /// Not worth retrying: wrong credentials (77) or Stream mode off (78).
        case fatal(DingSyncError)
        /// The network or DingTalk failed for now: back off and try again.
        case transient(String)
    }

    public func open(_ transport: any HTTPTransport, processCodes: [String]) -> Result<Ticket, Failure> {
        let body: [String: Any] = ["clientId": appKey, "clientSecret": appSecret,
                                   "subscriptions": [["type": "EVENT", "topic": "*"]],
                                   "ua": "dingsync/\(DingSyncVersion.text)", "localIp": "127.0.0.1"]
        let request = HTTPRequest(method: .post, url: baseURL + "/v1.0/gateway/connections/open",
                                  headers: [("Content-Type", "application/json"), ("Accept", "application/json")],
                                  body: try? JSONSerialization.data(withJSONObject: body), timeoutMs: timeoutMs)
        let response: HTTPResponse
        do { response = try transport.send(request) } catch {
            return .failure(.transient("connections/open: \(error)"))
        }
        let object = (try? JSONSerialization.jsonObject(with: response.body)) as? [String: Any] ?? [:]
        let code = object["code"] as? String ?? ""
        switch response.status {
        case 200:
            guard let endpoint = object["endpoint"] as? String, let ticket = object["ticket"] as? String, !ticket.isEmpty else {
                return .failure(.transient("connections/open answered 200 without an endpoint and ticket"))
            }
            return .success(Ticket(endpoint: endpoint, ticket: ticket))
        case 401, 403 where code != "systemError":
            return .failure(.fatal(DingSyncError(.permission,
                "DingTalk Stream refused the app's credentials (connections/open: HTTP \(response.status)\(code.isEmpty ? "" : " \(code)")); check dingtalk.app_key and dingtalk.app_secret")))
        case 400:
            return .failure(.fatal(DingSyncError(.config, Self.notEnabledMessage(status: response.status, code: code, processCodes: processCodes))))
        default:
            return .failure(.transient("connections/open answered HTTP \(response.status)\(code.isEmpty ? "" : " \(code)")"))
        }
    }

    /// The console filter rule that limits pushes to one form's closes (and starts).
    public static func filterRule(processCode: String, types: Set<String>) -> String {
        let ordered = ["start", "finish", "terminate"].filter(types.contains)
        return "/v1.0/event/bpms_instance_change/processCode/\(processCode)/type/{\(ordered.joined(separator: ","))}"
    }

    static func notEnabledMessage(status: Int, code: String, processCodes: [String]) -> String {
        let rules = processCodes.map { filterRule(processCode: $0, types: ["finish", "terminate"]) }.joined(separator: " and ")
        return "Stream mode is not enabled for this app (connections/open: HTTP \(status)\(code.isEmpty ? "" : " \(code)")): "
            + "developer console → the app → 事件订阅 → Stream 模式推送 (start dingsync watch, 验证连接通道, save) → tick 审批 → "
            + "审批实例开始、结束、终止、删除 (bpms_instance_change), then add the filter rule \(rules); publish the app"
    }
}
