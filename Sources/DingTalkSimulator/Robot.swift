import Crypto
import Foundation

/// One message a custom robot accepted.
public struct RobotMessage: Sendable, Equatable {
    public var msgtype: String
    /// The markdown title; empty for other message types.
    public var title: String
    /// The markdown text, or a text message's content.
    public var text: String
    /// The timestamp the sender signed (epoch ms).
    public var timestampMs: Int64
}

/// `POST /robot/send?access_token=…&timestamp=…&sign=…` as DingTalk checks it: the robot's
/// token, a timestamp within an hour of "now", and the HMAC-SHA256 signature recomputed here
/// with the robot's secret (computed independently of the tool's own signing code).
extension DingTalkSimulator {
    static let robotClockSkewMs: Int64 = 3_600_000

    func robotSend(_ ctx: RequestContext) -> HTTPResponse {
        let q = ctx.request.query
        guard let token = q["access_token"], !token.isEmpty else {
            return robotAnswer(300001, "token is not exist")
        }
        guard token == options.robotAccessToken else { return robotAnswer(300001, "token is not exist") }
        if let secret = options.robotSecret {
            guard let ts = q["timestamp"].flatMap(Int64.init), abs(ts - ctx.now) <= Self.robotClockSkewMs else {
                return robotAnswer(310000, "invalid timestamp")
            }
            // The query was percent-decoded with `+` as space, as DingTalk's server does: a
            // signature sent without escaping its `+` arrives broken and fails here, as it would there.
            guard let sign = q["sign"], sign == Self.robotSignature(timestampMs: ts, secret: secret) else {
                return robotAnswer(310000, "sign not match")
            }
        }
        guard let obj = try? JSONSerialization.jsonObject(with: Data(ctx.request.body)) as? [String: Any],
              let type = obj["msgtype"] as? String else {
            return robotAnswer(40035, "缺少参数 json")
        }
        let message: RobotMessage
        switch type {
        case "markdown":
            guard let md = obj["markdown"] as? [String: Any], let title = md["title"] as? String,
                  let text = md["text"] as? String, !title.isEmpty, !text.isEmpty else {
                return robotAnswer(40035, "缺少参数 markdown")
            }
            message = RobotMessage(msgtype: type, title: title, text: text, timestampMs: Int64(q["timestamp"] ?? "") ?? 0)
        case "text":
            guard let t = obj["text"] as? [String: Any], let content = t["content"] as? String, !content.isEmpty else {
                return robotAnswer(40035, "缺少参数 text")
            }
            message = RobotMessage(msgtype: type, title: "", text: content, timestampMs: Int64(q["timestamp"] ?? "") ?? 0)
        default:
            return robotAnswer(40035, "不支持的消息类型")
        }
        state.withLock { $0.robotMessages.append(message) }
        return robotAnswer(0, "ok")
    }

    /// Base64(HMAC-SHA256(key: secret, message: "\(ms)\n\(secret)")), not yet URL-encoded.
    static func robotSignature(timestampMs: Int64, secret: String) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: Data("\(timestampMs)\n\(secret)".utf8),
                                                  using: SymmetricKey(data: Data(secret.utf8)))
        return Data(mac).base64EncodedString()
    }

    private func robotAnswer(_ code: Int64, _ message: String) -> HTTPResponse {
        .json(.object([("errcode", .int(code)), ("errmsg", .string(message))]))
    }

    /// Messages the robot accepted, oldest first.
    public func robotMessages() -> [RobotMessage] { state.withLock { $0.robotMessages } }

    /// The robot's webhook URL as DingTalk shows it to the robot's owner.
    public var robotWebhook: String { "\(baseURL)/robot/send?access_token=\(options.robotAccessToken)" }
}
