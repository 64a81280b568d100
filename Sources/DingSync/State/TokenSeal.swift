import Crypto
import Foundation

/// The cached access token is a secret, so the state tables hold it sealed: AES-GCM under a
/// key derived from the app secret. A dump of the tables shows no token, and a token sealed
/// under another secret (the app's secret was rotated) simply fails to open and is fetched anew.
enum TokenSeal {
    static func key(_ secret: String) -> SymmetricKey {
        SymmetricKey(data: SHA256.hash(data: Data("dingsync token cache\u{0}\(secret)".utf8)))
    }

    static func seal(_ token: String, secret: String) -> String? {
        guard let box = try? AES.GCM.seal(Data(token.utf8), using: key(secret)), let combined = box.combined else { return nil }
        return combined.base64EncodedString()
    }

    static func open(_ sealed: String, secret: String) -> String? {
        guard let data = Data(base64Encoded: sealed), let box = try? AES.GCM.SealedBox(combined: data),
              let plain = try? AES.GCM.open(box, using: key(secret)) else { return nil }
        return String(data: plain, encoding: .utf8)
    }

    /// Jobs that share an app key share the organisation's quota; the key itself is kept out
    /// of the tables (it is half of the credentials), only a short hash of it.
    static func appKeyId(_ appKey: String) -> String {
        SHA256.hash(data: Data("dingsync app\u{0}\(appKey)".utf8)).prefix(8).map { String(format: "%02x", $0) }.joined()
    }
}
