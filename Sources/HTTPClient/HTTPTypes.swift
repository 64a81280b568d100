import Foundation

public struct HTTPRequest: Sendable {
    public enum Method: String, Sendable { case get = "GET", post = "POST" }
    public var method: Method
    public var url: String
    public var headers: [(String, String)]
    public var body: Data?
    /// Whole-transfer timeout; the connect timeout is the client's.
    public var timeoutMs: Int

    public init(method: Method, url: String, headers: [(String, String)] = [], body: Data? = nil, timeoutMs: Int = 15_000) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.timeoutMs = timeoutMs
    }

    /// The URL without its query string: query strings carry access tokens and app secrets,
    /// so this is the only form of a URL that may appear in messages.
    public var redactedURL: String { Self.redact(url) }

    public static func redact(_ url: String) -> String {
        guard let q = url.firstIndex(of: "?") else { return url }
        return String(url[..<q]) + "?…"
    }
}

public struct HTTPResponse: Sendable {
    public var status: Int
    /// Header names lowercased; a repeated header keeps its last value.
    public var headers: [String: String]
    public var body: Data
    public init(status: Int, headers: [String: String] = [:], body: Data) {
        self.status = status
        self.headers = headers
        self.body = body
    }
}

/// Every transport failure, classified so retry policy can decide without string matching.
public struct HTTPError: Error, Sendable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        case connect        // could not reach the server (refused, DNS, TLS handshake)
        case timeout        // connect or total timeout
        case transfer       // reset, partial body, bad framing: the server went away mid-answer
        case tls            // certificate problems: configuration, not transient
        case other
    }
    public var kind: Kind
    public var code: Int
    public var message: String
    public var url: String

    public init(kind: Kind, code: Int, message: String, url: String) {
        self.kind = kind
        self.code = code
        self.message = message
        self.url = HTTPRequest.redact(url)
    }

    public var description: String { "HTTP \(kind.rawValue) error on \(url): \(message)" }
}

/// What the DingTalk client needs from the network. The real one is `CurlHTTPClient`;
/// it is a protocol so commands receive their transport instead of creating it.
public protocol HTTPTransport: AnyObject {
    func send(_ request: HTTPRequest) throws(HTTPError) -> HTTPResponse
}
