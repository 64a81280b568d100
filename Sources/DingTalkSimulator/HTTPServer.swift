import Foundation
import Glibc
import Synchronization

/// One parsed HTTP/1.1 request.
public struct HTTPRequest: Sendable {
    public var method: String
    /// The path without the query string, percent-decoded.
    public var path: String
    /// Query parameters, percent-decoded with `+` as space. Last occurrence wins.
    public var query: [String: String]
    /// Header names lower-cased.
    public var headers: [String: String]
    public var body: [UInt8]
    /// "HTTP/1.1" or "HTTP/1.0".
    public var version: String = "HTTP/1.1"

    public var bodyText: String { String(decoding: body, as: UTF8.self) }
}

/// What the connection does with an answer. The non-normal cases exist so faults can
/// misbehave at the transport level, which a well-formed response cannot express.
public enum HTTPDelivery: Sendable, Equatable {
    case normal
    /// Announce the full Content-Length, send only this many body bytes, then close.
    case truncate(bytes: Int)
    /// Close the connection without answering.
    case drop
}

public struct HTTPResponse: Sendable {
    public var status: Int
    public var headers: [(String, String)]
    public var body: [UInt8]
    public var delivery: HTTPDelivery = .normal
    /// Set on a `101 Switching Protocols` answer: after the head is sent, the connection's thread
    /// runs this with the socket (and any bytes already read past the head) until the protocol
    /// ends, so an upgraded connection keeps the one-thread-per-connection shape and is shut
    /// down by `stop()` like any other.
    var upgrade: (@Sendable (inout SocketReader) -> Void)?

    public init(status: Int, headers: [(String, String)] = [], body: [UInt8], delivery: HTTPDelivery = .normal) {
        self.status = status
        self.headers = headers
        self.body = body
        self.delivery = delivery
    }

    public static func json(_ value: JSON, status: Int = 200) -> HTTPResponse {
        HTTPResponse(status: status, headers: [("Content-Type", "application/json;charset=UTF-8")], body: value.bytes)
    }

    public static func text(_ text: String, status: Int, contentType: String = "text/plain; charset=utf-8") -> HTTPResponse {
        HTTPResponse(status: status, headers: [("Content-Type", contentType)], body: Array(text.utf8))
    }
}

public enum HTTPServerError: Error, CustomStringConvertible {
    case socket(String, Int32)
    case alreadyStarted
    public var description: String {
        switch self {
        case .alreadyStarted: return "the server is already running"
        case .socket(let what, let err): return "\(what) failed: \(String(cString: strerror(err)))"
        }
    }
}

/// A minimal blocking HTTP/1.1 server on 127.0.0.1: one thread accepts, one thread per
/// connection serves keep-alive requests in order. Threads (not an event loop) keep it small
/// and make "slow" faults trivially real: a sleeping handler stalls exactly one connection.
public final class HTTPServer: Sendable {
    public typealias Handler = @Sendable (HTTPRequest) -> HTTPResponse

    private struct State {
        var listenFD: Int32 = -1
        var port = 0
        var stopping = false
        var connections: Set<Int32> = []
    }

    private let handler: Handler
    private let state = Mutex(State())
    /// Every thread this server starts enters this group; stop() waits on it, so no thread
    /// outlives the server.
    private let threads = DispatchGroup()
    /// Lets sleeping handlers (latency, slow faults) wake early when the server stops.
    private let stopSignal = NSCondition()
    private static let maxHeaderBytes = 64 * 1024
    private static let maxBodyBytes = 16 * 1024 * 1024

    public init(handler: @escaping Handler) {
        self.handler = handler
    }

    public var port: Int { state.withLock { $0.port } }

    /// Binds 127.0.0.1:`port` (0 = ephemeral) and starts accepting.
    public func start(port requested: Int = 0) throws {
        guard state.withLock({ $0.listenFD < 0 }) else { throw HTTPServerError.alreadyStarted }
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw HTTPServerError.socket("socket", errno) }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(requested).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0 else { let e = errno; close(fd); throw HTTPServerError.socket("bind", e) }
        guard listen(fd, 512) == 0 else { let e = errno; close(fd); throw HTTPServerError.socket("listen", e) }
        var actual = sockaddr_in()
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &actual) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) }
        }
        state.withLock {
            $0.listenFD = fd
            $0.port = Int(UInt16(bigEndian: actual.sin_port))
            $0.stopping = false
        }
        threads.enter()
        let t = Thread { [self] in
            acceptLoop(fd)
            threads.leave()
        }
        t.name = "dingsim-accept"
        t.start()
    }

    /// Closes the listener and every connection, then waits for all threads to end.
    public func stop() {
        let wasRunning: Bool = state.withLock { s in
            guard !s.stopping, s.listenFD >= 0 else { return false }
            s.stopping = true
            // shutdown (not close) wakes the blocked accept()/recv() without freeing the fd
            // number while another thread might still use it; each owner closes its own fd.
            shutdown(s.listenFD, Int32(SHUT_RDWR))
            for c in s.connections { shutdown(c, Int32(SHUT_RDWR)) }
            return true
        }
        guard wasRunning else { return }
        stopSignal.lock(); stopSignal.broadcast(); stopSignal.unlock()
        threads.wait()
        state.withLock { $0.listenFD = -1 }
    }

    /// Sleeps up to `ms`, returning early if the server stops.
    public func sleep(ms: Int) {
        guard ms > 0 else { return }
        let deadline = Date().addingTimeInterval(Double(ms) / 1000)
        stopSignal.lock()
        defer { stopSignal.unlock() }
        while !state.withLock({ $0.stopping }) {
            if !stopSignal.wait(until: deadline) { break }
        }
    }

    private func acceptLoop(_ listenFD: Int32) {
        defer { close(listenFD) }
        while true {
            let c = accept(listenFD, nil, nil)
            if c < 0 {
                if state.withLock({ $0.stopping }) { return }
                if errno == EINTR || errno == ECONNABORTED { continue }
                // EMFILE and friends: back off briefly rather than spin.
                usleep(10_000)
                continue
            }
            var one: Int32 = 1
            setsockopt(c, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
            let accepted = state.withLock { s -> Bool in
                if s.stopping { return false }
                s.connections.insert(c)
                return true
            }
            guard accepted else { close(c); return }
            threads.enter()
            let t = Thread { [self] in
                serve(c)
                state.withLock { _ = $0.connections.remove(c) }
                close(c)
                threads.leave()
            }
            t.name = "dingsim-conn"
            t.start()
        }
    }

    private func serve(_ fd: Int32) {
        var reader = SocketReader(fd: fd)
        while true {
            guard let head = reader.readHead(limit: Self.maxHeaderBytes) else { return }
            guard var request = Self.parseHead(head) else {
                send(fd, Self.encode(.text("bad request", status: 400), keepAlive: false)); return
            }
            if let te = request.headers["transfer-encoding"], te.lowercased() != "identity" {
                // Chunked uploads are not something a DingTalk client needs; say so plainly.
                send(fd, Self.encode(.text("length required", status: 411), keepAlive: false)); return
            }
            let length = Int(request.headers["content-length"] ?? "0") ?? -1
            guard length >= 0, length <= Self.maxBodyBytes else {
                send(fd, Self.encode(.text("bad content-length", status: 400), keepAlive: false)); return
            }
            if request.headers["expect"]?.lowercased() == "100-continue" {
                send(fd, Array("HTTP/1.1 100 Continue\r\n\r\n".utf8))
            }
            guard let body = reader.readBody(count: length) else { return }
            request.body = body
            // HTTP/1.0 clients get one answer per connection unless they asked for keep-alive.
            let connection = request.headers["connection"]?.lowercased()
            let wantsClose = connection == "close" || (request.version == "HTTP/1.0" && connection != "keep-alive")
            let response = handler(request)
            switch response.delivery {
            case .drop:
                return
            case .truncate(let n):
                let full = Self.encode(response, keepAlive: false)
                let headLen = full.count - response.body.count
                send(fd, Array(full.prefix(headLen + max(0, min(n, response.body.count - 1)))))
                return
            case .normal:
                if let upgrade = response.upgrade {
                    guard send(fd, Self.encode(response, keepAlive: true)) else { return }
                    upgrade(&reader)
                    return
                }
                guard send(fd, Self.encode(response, keepAlive: !wantsClose)), !wantsClose else { return }
            }
        }
    }

    @discardableResult
    private func send(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        var sent = 0
        while sent < bytes.count {
            let n = bytes.withUnsafeBytes { raw in
                Glibc.send(fd, raw.baseAddress! + sent, raw.count - sent, Int32(MSG_NOSIGNAL))
            }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return false }
            sent += n
        }
        return true
    }

    static func encode(_ r: HTTPResponse, keepAlive: Bool) -> [UInt8] {
        var head = "HTTP/1.1 \(r.status) \(reason(r.status))\r\n"
        for (k, v) in r.headers { head += "\(k): \(v)\r\n" }
        // A 101 carries its own Connection/Upgrade headers and no body (RFC 6455 4.2.2).
        if r.status == 101 { return Array((head + "\r\n").utf8) }
        head += "Content-Length: \(r.body.count)\r\n"
        head += keepAlive ? "Connection: keep-alive\r\n\r\n" : "Connection: close\r\n\r\n"
        return Array(head.utf8) + r.body
    }

    static func reason(_ status: Int) -> String {
        switch status {
        case 100: return "Continue"
        case 101: return "Switching Protocols"
        case 200: return "OK"
        case 400: return "Bad Request"
        case 401: return "Unauthorized"
        case 403: return "Forbidden"
        case 404: return "Not Found"
        case 405: return "Method Not Allowed"
        case 411: return "Length Required"
        case 500: return "Internal Server Error"
        case 502: return "Bad Gateway"
        case 503: return "Service Unavailable"
        default: return "Status"
        }
    }

    static func parseHead(_ head: [UInt8]) -> HTTPRequest? {
        let text = String(decoding: head, as: UTF8.self)
        var lines = text.components(separatedBy: "\r\n")
        guard !lines.isEmpty else { return nil }
        let requestLine = lines.removeFirst().split(separator: " ", omittingEmptySubsequences: true)
        guard requestLine.count == 3, requestLine[2].hasPrefix("HTTP/1.") else { return nil }
        var headers: [String: String] = [:]
        for line in lines where !line.isEmpty {
            guard let colon = line.firstIndex(of: ":") else { return nil }
            let name = line[..<colon].trimmingCharacters(in: .whitespaces).lowercased()
            headers[name] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        let target = String(requestLine[1])
        let (rawPath, rawQuery) = target.split(separator: "?", maxSplits: 1).map(String.init)
            .splitPair()
        return HTTPRequest(method: String(requestLine[0]), path: percentDecode(rawPath, plusIsSpace: false),
                           query: parseQuery(rawQuery), headers: headers, body: [],
                           version: String(requestLine[2]))
    }

    /// `a=1&b=x+y%20z` → ["a": "1", "b": "x y z"].
    public static func parseQuery(_ q: String) -> [String: String] {
        var out: [String: String] = [:]
        for pair in q.split(separator: "&", omittingEmptySubsequences: true) {
            let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let key = percentDecode(String(kv[0]), plusIsSpace: true)
            out[key] = kv.count > 1 ? percentDecode(String(kv[1]), plusIsSpace: true) : ""
        }
        return out
    }

    /// Decodes %XX as bytes (so multi-byte UTF-8 survives); a malformed escape stays literal.
    public static func percentDecode(_ s: String, plusIsSpace: Bool) -> String {
        let bytes = Array(s.utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var i = 0
        while i < bytes.count {
            let b = bytes[i]
            if b == UInt8(ascii: "%"), i + 2 < bytes.count, let h = hexValue(bytes[i + 1]), let l = hexValue(bytes[i + 2]) {
                out.append(h << 4 | l); i += 3
            } else {
                out.append(plusIsSpace && b == UInt8(ascii: "+") ? UInt8(ascii: " ") : b); i += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    private static func hexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case 48...57: return c - 48
        case 65...70: return c - 55
        case 97...102: return c - 87
        default: return nil
        }
    }
}

private extension Array where Element == String {
    func splitPair() -> (String, String) { (self.first ?? "", count > 1 ? self[1] : "") }
}

/// Buffered reads from a socket, preserving bytes of the next pipelined request.
struct SocketReader {
    let fd: Int32
    var buffer: [UInt8] = []

    init(fd: Int32) { self.fd = fd }

    /// Bytes up to and excluding the blank line; nil on EOF, error or oversize.
    mutating func readHead(limit: Int) -> [UInt8]? {
        var searchFrom = 0
        while true {
            if buffer.count >= 4 {
                var i = Swift.max(0, searchFrom - 3)
                while i + 3 < buffer.count {
                    if buffer[i] == 13 && buffer[i + 1] == 10 && buffer[i + 2] == 13 && buffer[i + 3] == 10 {
                        let head = Array(buffer[..<i])
                        buffer.removeFirst(i + 4)
                        return head
                    }
                    i += 1
                }
                searchFrom = buffer.count
            }
            if buffer.count > limit { return nil }
            guard fill() else { return nil }
        }
    }

    mutating func readBody(count: Int) -> [UInt8]? {
        while buffer.count < count { guard fill() else { return nil } }
        let body = Array(buffer[..<count])
        buffer.removeFirst(count)
        return body
    }

    private mutating func fill() -> Bool {
        var chunk = [UInt8](repeating: 0, count: 16 * 1024)
        while true {
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress!, $0.count, 0) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return false }
            buffer.append(contentsOf: chunk[..<n])
            return true
        }
    }
}
