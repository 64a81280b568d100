import Crypto
import Foundation
import Glibc

/// The server half of RFC 6455, as much as the Stream gateway needs: the handshake answer,
/// unmasked server frames, and masked client frames read off a blocking socket.
enum WebSocket {
    static let guid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

    enum Opcode: UInt8 {
        case continuation = 0x0, text = 0x1, binary = 0x2, close = 0x8, ping = 0x9, pong = 0xA
        var isControl: Bool { rawValue >= 0x8 }
    }

    struct Frame {
        var fin: Bool
        var opcode: Opcode
        var payload: [UInt8]
    }

    enum ReadError: Error {
        /// EOF or a socket error: the peer is gone, nothing to answer.
        case closed
        /// A frame the RFC says must fail the connection (close code 1002).
        case protocolError
        /// A message over the size limit (close code 1009).
        case tooBig
    }

    /// `Sec-WebSocket-Accept` (RFC 6455 4.2.2): SHA-1 is what the RFC mandates here, not a
    /// security choice.
    static func accept(key: String) -> String {
        Data(Insecure.SHA1.hash(data: Data((key + guid).utf8))).base64EncodedString()
    }

    /// One unfragmented server frame; servers never mask (RFC 6455 5.1).
    static func encode(_ opcode: Opcode, _ payload: [UInt8]) -> [UInt8] {
        var out: [UInt8] = [0x80 | opcode.rawValue]
        let n = payload.count
        if n < 126 {
            out.append(UInt8(n))
        } else if n <= 0xFFFF {
            out += [126, UInt8(n >> 8), UInt8(n & 0xFF)]
        } else {
            out.append(127)
            for shift in stride(from: 56, through: 0, by: -8) { out.append(UInt8((UInt64(n) >> UInt64(shift)) & 0xFF)) }
        }
        return out + payload
    }

    static func closePayload(_ code: UInt16) -> [UInt8] { [UInt8(code >> 8), UInt8(code & 0xFF)] }

    /// Reads one client frame. Unmasked client frames, reserved bits, unknown opcodes and
    /// fragmented or oversized control frames fail the connection, as RFC 6455 5.1–5.5 require.
    static func readFrame(_ reader: inout SocketReader, maxPayload: Int) throws(ReadError) -> Frame {
        guard let head = reader.readBody(count: 2) else { throw .closed }
        let fin = head[0] & 0x80 != 0
        guard head[0] & 0x70 == 0, let opcode = Opcode(rawValue: head[0] & 0x0F) else { throw .protocolError }
        guard head[1] & 0x80 != 0 else { throw .protocolError }
        var length = UInt64(head[1] & 0x7F)
        if length >= 126 {
            guard let ext = reader.readBody(count: length == 126 ? 2 : 8) else { throw .closed }
            length = ext.reduce(0) { $0 << 8 | UInt64($1) }
        }
        if opcode.isControl && (!fin || length > 125) { throw .protocolError }
        guard length <= UInt64(maxPayload) else { throw .tooBig }
        guard let mask = reader.readBody(count: 4), var payload = reader.readBody(count: Int(length)) else { throw .closed }
        for i in payload.indices { payload[i] ^= mask[i & 3] }
        return Frame(fin: fin, opcode: opcode, payload: payload)
    }
}

/// The write side of one upgraded socket. Pushes come from the ticker and test threads while the
/// connection's own thread reads, so writes are serialised here, and `finish()` (called by the
/// reader before the server closes the fd) guarantees nobody writes to or shuts down an fd
/// number that may already belong to another connection.
final class WebSocketWriter: @unchecked Sendable {
    let fd: Int32
    private let lock = NSLock()
    private var open = true  // guarded by lock

    init(fd: Int32) {
        self.fd = fd
        // A client that stops reading must not block the ticker forever: a send that cannot
        // finish in 2 s kills the connection instead.
        var timeout = timeval(tv_sec: 2, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    @discardableResult
    func send(_ opcode: WebSocket.Opcode, _ payload: [UInt8]) -> Bool {
        let bytes = WebSocket.encode(opcode, payload)
        lock.lock()
        defer { lock.unlock() }
        guard open else { return false }
        var sent = 0
        while sent < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress! + sent, $0.count - sent, Int32(MSG_NOSIGNAL)) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 {
                open = false
                shutdown(fd, Int32(SHUT_RDWR))
                return false
            }
            sent += n
        }
        return true
    }

    @discardableResult
    func sendText(_ text: String) -> Bool { send(.text, Array(text.utf8)) }

    /// Ends the TCP connection without a close frame; the reader thread wakes on EOF.
    func abort() {
        lock.lock()
        defer { lock.unlock() }
        guard open else { return }
        open = false
        shutdown(fd, Int32(SHUT_RDWR))
    }

    /// Called by the reader thread on its way out: from here on the fd is not ours to touch.
    func finish() {
        lock.lock()
        open = false
        lock.unlock()
    }
}
