import Crypto
import Foundation

/// A WebSocket client (RFC 6455) over a `CurlSocket`: the opening handshake, masked client
/// frames, fragmented messages, control frames. Blocking, and owned by one thread: the
/// Stream client's loop reads, answers and pings from that thread alone.
public final class WebSocket {
    public enum Message: Equatable, Sendable {
        case text(String)
        case binary([UInt8])
        case ping([UInt8])
        case pong([UInt8])
        /// The peer's close frame (code, reason). The connection is finished after it.
        case close(UInt16?, String)
    }

    private let socket: CurlSocket
    private var buffer: [UInt8] = []
    private var fragments: [UInt8] = []
    private var fragmentOpcode: UInt8?
    public let url: String

    /// Connects to `ws://` or `wss://` `url` and completes the opening handshake.
    public init(url: String, headers: [(String, String)] = [], timeoutMs: Int = 10_000) throws(HTTPError) {
        self.url = HTTPRequest.redact(url)
        guard let parts = Self.split(url) else {
            throw HTTPError(kind: .other, code: -1, message: "not a ws:// or wss:// URL", url: url)
        }
        socket = try CurlSocket(url: parts.origin, connectTimeoutMs: timeoutMs)
        let key = Data((0..<16).map { _ in UInt8.random(in: 0...255) }).base64EncodedString()
        var head = "GET \(parts.target) HTTP/1.1\r\nHost: \(parts.host)\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        head += "Sec-WebSocket-Key: \(key)\r\nSec-WebSocket-Version: 13\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        head += "\r\n"
        try socket.write(Array(head.utf8), timeoutMs: timeoutMs)
        let deadline = CurlSocket.nowMs() + Int64(timeoutMs)
        var end: Int?
        while end == nil {
            let left = Int(deadline - CurlSocket.nowMs())
            guard left > 0, let bytes = try socket.read(timeoutMs: left) else {
                throw HTTPError(kind: .timeout, code: -1, message: "no answer to the WebSocket handshake", url: url)
            }
            buffer += bytes
            end = Self.headEnd(buffer)
            if end == nil, buffer.count > 16_384 { throw HTTPError(kind: .transfer, code: -1, message: "handshake answer too long", url: url) }
        }
        let response = String(decoding: buffer[..<end!], as: UTF8.self)
        buffer.removeFirst(end! + 4)
        let lines = response.components(separatedBy: "\r\n")
        let status = lines.first?.split(separator: " ").dropFirst().first.flatMap { Int($0) } ?? 0
        guard status == 101 else {
            throw HTTPError(kind: .other, code: status, message: "the server refused the WebSocket upgrade (HTTP \(status))", url: url)
        }
        let accept = lines.dropFirst().first { $0.lowercased().hasPrefix("sec-websocket-accept:") }
            .map { $0.dropFirst("sec-websocket-accept:".count).trimmingCharacters(in: .whitespaces) }
        guard accept == Self.acceptKey(for: key) else {
            throw HTTPError(kind: .transfer, code: -1, message: "the server's Sec-WebSocket-Accept does not match", url: url)
        }
    }

    public func send(text: String, timeoutMs: Int = 5_000) throws(HTTPError) {
        try socket.write(Self.frame(opcode: 0x1, payload: Array(text.utf8)), timeoutMs: timeoutMs)
    }

    public func sendPing(_ payload: [UInt8] = [], timeoutMs: Int = 5_000) throws(HTTPError) {
        try socket.write(Self.frame(opcode: 0x9, payload: payload), timeoutMs: timeoutMs)
    }

    public func sendClose(code: UInt16 = 1000, timeoutMs: Int = 1_000) throws(HTTPError) {
        try socket.write(Self.frame(opcode: 0x8, payload: [UInt8(code >> 8), UInt8(code & 0xff)]), timeoutMs: timeoutMs)
    }

    /// The next message, or nil when none came within `timeoutMs`. Pings are answered here
    /// (and still returned, so the caller sees the peer is alive).
    public func receive(timeoutMs: Int) throws(HTTPError) -> Message? {
        let deadline = CurlSocket.nowMs() + Int64(timeoutMs)
        while true {
            if let m = try nextMessage() { return m }
            let left = Int(deadline - CurlSocket.nowMs())
            guard left > 0, let bytes = try socket.read(timeoutMs: left) else { return nil }
            buffer += bytes
        }
    }

    private func nextMessage() throws(HTTPError) -> Message? {
        while let (fin, opcode, payload, used) = try Self.parse(buffer) {
            buffer.removeFirst(used)
            switch opcode {
            case 0x8:
                let code = payload.count >= 2 ? UInt16(payload[0]) << 8 | UInt16(payload[1]) : nil
                return .close(code, String(decoding: payload.dropFirst(2), as: UTF8.self))
            case 0x9:
                try socket.write(Self.frame(opcode: 0xA, payload: payload), timeoutMs: 5_000)
                return .ping(payload)
            case 0xA: return .pong(payload)
            case 0x0:
                guard let first = fragmentOpcode else { throw protocolError("a continuation frame without a first fragment") }
                fragments += payload
                if fin {
                    fragmentOpcode = nil
                    defer { fragments = [] }
                    return Self.message(first, fragments)
                }
            case 0x1, 0x2:
                if fin { return Self.message(opcode, payload) }
                fragmentOpcode = opcode
                fragments = payload
            default: throw protocolError("an unknown opcode \(opcode)")
            }
        }
        return nil
    }

    private func protocolError(_ what: String) -> HTTPError {
        HTTPError(kind: .transfer, code: -1, message: "WebSocket protocol error: \(what)", url: url)
    }

    private static func message(_ opcode: UInt8, _ payload: [UInt8]) -> Message {
        opcode == 0x1 ? .text(String(decoding: payload, as: UTF8.self)) : .binary(payload)
    }

    // MARK: wire format

    /// One complete frame at the head of `bytes`: (fin, opcode, unmasked payload, bytes used).
    static func parse(_ bytes: [UInt8]) throws(HTTPError) -> (Bool, UInt8, [UInt8], Int)? {
        guard bytes.count >= 2 else { return nil }
        let fin = bytes[0] & 0x80 != 0
        let opcode = bytes[0] & 0x0f
        let masked = bytes[1] & 0x80 != 0
        var length = Int(bytes[1] & 0x7f)
        var offset = 2
        if length == 126 {
            guard bytes.count >= 4 else { return nil }
            length = Int(bytes[2]) << 8 | Int(bytes[3])
            offset = 4
        } else if length == 127 {
            guard bytes.count >= 10 else { return nil }
            length = bytes[2..<10].reduce(0) { $0 << 8 | Int($1) }
            offset = 10
            guard length <= 64 << 20 else {
                throw HTTPError(kind: .transfer, code: -1, message: "a WebSocket frame of \(length) bytes", url: "")
            }
        }
        let maskKey = masked ? Array(bytes[offset..<min(bytes.count, offset + 4)]) : []
        if masked { offset += 4 }
        guard bytes.count >= offset + length else { return nil }
        var payload = Array(bytes[offset..<offset + length])
        if masked { for i in payload.indices { payload[i] ^= maskKey[i % 4] } }
        return (fin, opcode, payload, offset + length)
    }

    /// A client frame: always masked (RFC 6455 §5.3), always final.
    static func frame(opcode: UInt8, payload: [UInt8]) -> [UInt8] {
        var out: [UInt8] = [0x80 | opcode]
        let n = payload.count
        if n < 126 {
            out.append(0x80 | UInt8(n))
        } else if n <= 0xffff {
            out += [0x80 | 126, UInt8(n >> 8), UInt8(n & 0xff)]
        } else {
            out.append(0x80 | 127)
            out += (0..<8).reversed().map { UInt8((n >> ($0 * 8)) & 0xff) }
        }
        let mask = (0..<4).map { _ in UInt8.random(in: 0...255) }
        out += mask
        out += payload.enumerated().map { $0.element ^ mask[$0.offset % 4] }
        return out
    }

    static func acceptKey(for key: String) -> String {
        Data(Insecure.SHA1.hash(data: Data((key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").utf8))).base64EncodedString()
    }

    static func headEnd(_ bytes: [UInt8]) -> Int? {
        guard bytes.count >= 4 else { return nil }
        for i in 0...(bytes.count - 4) where bytes[i] == 13 && bytes[i + 1] == 10 && bytes[i + 2] == 13 && bytes[i + 3] == 10 { return i }
        return nil
    }

    /// `ws://h:p/path?q` → (origin `http://h:p/`, Host header, request target).
    static func split(_ url: String) -> (origin: String, host: String, target: String)? {
        let scheme: String
        if url.hasPrefix("ws://") { scheme = "http" } else if url.hasPrefix("wss://") { scheme = "https" } else { return nil }
        let rest = url.drop(while: { $0 != "/" }).dropFirst(2)
        let host = String(rest.prefix(while: { $0 != "/" && $0 != "?" }))
        guard !host.isEmpty else { return nil }
        var target = String(rest.dropFirst(host.count))
        if target.isEmpty || target.hasPrefix("?") { target = "/" + target }
        return ("\(scheme)://\(host)/", host, target)
    }
}
