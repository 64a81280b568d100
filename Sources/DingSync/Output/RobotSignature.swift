import Crypto
import Foundation

/// DingTalk custom-robot signing (dingtalk-api.md, "Custom robot webhook"):
/// `sign = urlencode(base64(HMAC-SHA256(key: secret, message: "\(ms)\n\(secret)")))`.
public enum RobotSignature {
    /// The Base64 signature before URL encoding.
    public static func base64(timestampMs: Int64, secret: String) -> String {
        let key = SymmetricKey(data: Data(secret.utf8))
        let mac = HMAC<SHA256>.authenticationCode(for: Data("\(timestampMs)\n\(secret)".utf8), using: key)
        return Data(mac).base64EncodedString()
    }

    /// The value of the `sign` query parameter. Base64's `+` would read as a space on the server
    /// and `/`, `=` are reserved in a query, so all three are escaped.
    public static func sign(timestampMs: Int64, secret: String) -> String {
        percentEncode(base64(timestampMs: timestampMs, secret: secret))
    }

    /// The webhook with `timestamp` and `sign` appended; without a secret (a robot secured by
    /// keywords or IP instead) the webhook is used as it is.
    public static func signedURL(webhook: String, secret: String?, timestampMs: Int64) -> String {
        guard let secret, !secret.isEmpty else { return webhook }
        let separator = webhook.contains("?") ? "&" : "?"
        return webhook + separator + "timestamp=\(timestampMs)&sign=\(sign(timestampMs: timestampMs, secret: secret))"
    }

    /// RFC 3986 unreserved characters stay; every other byte becomes %XX (uppercase hex).
    static func percentEncode(_ s: String) -> String {
        var out = ""
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."),
                 UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(b))
            default:
                out += String(format: "%%%02X", b)
            }
        }
        return out
    }
}
