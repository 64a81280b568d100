import Foundation
import Glibc
import XCTest
@testable import DingTalkSimulator

/// A raw WebSocket client for the simulator's Stream gateway, written from RFC 6455 rather than
/// borrowed from the server code, so a shared misunderstanding cannot make both ends agree.
/// Unchecked Sendable: a test hands it to one answering thread and stops touching it meanwhile.
final class StreamTestClient: @unchecked Sendable {
    let conn: RawConnection
    let handshake: RawConnection.Response

    struct Frame {
        var fin: Bool
        var opcode: UInt8
        var payload: [UInt8]
        var text: String { String(decoding: payload, as: UTF8.self) }
        /// The frame as a JSON object.
        var json: [String: Any]? { try? JSONSerialization.jsonObject(with: Data(payload)) as? [String: Any] }
    }

    /// Opens a ticket through the gateway and connects with it.
    convenience init(_ sim: DingTalkSimulator, subscriptions: String = #"[{"type":"EVENT","topic":"*"}]"#) throws {
        let ticket = try XCTUnwrap(openTicket(sim, subscriptions: subscriptions))
        try self.init(port: sim.port, ticket: ticket)
        XCTAssertEqual(handshake.status, 101)
    }

    init(port: Int, ticket: String, key: String = "dGhlIHNhbXBsZSBub25jZQ==", extraHeaders: [String]? = nil) throws {
        conn = try RawConnection(port: port)
        var tv = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(conn.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        let headers = extraHeaders ?? ["Upgrade: websocket", "Connection: Upgrade", "Sec-WebSocket-Key: \(key)", "Sec-WebSocket-Version: 13"]
        let escaped = ticket.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ticket
        handshake = try XCTUnwrap(conn.request("GET", "/connect?ticket=\(escaped)", headers: headers))
    }

    func setTimeout(seconds: Double) {
        var tv = timeval(tv_sec: Int(seconds), tv_usec: Int((seconds - Double(Int(seconds))) * 1_000_000))
        setsockopt(conn.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    }

    /// Client frames must be masked (RFC 6455 5.3); `masked: false` is for testing the refusal.
    func send(opcode: UInt8, _ payload: [UInt8], fin: Bool = true, masked: Bool = true) {
        var out: [UInt8] = [(fin ? 0x80 : 0) | opcode]
        let maskBit: UInt8 = masked ? 0x80 : 0
        if payload.count < 126 {
            out.append(maskBit | UInt8(payload.count))
        } else if payload.count <= 0xFFFF {
            out += [maskBit | 126, UInt8(payload.count >> 8), UInt8(payload.count & 0xFF)]
        } else {
            out.append(maskBit | 127)
            out += (0..<8).reversed().map { UInt8((payload.count >> ($0 * 8)) & 0xFF) }
        }
        guard masked else { conn.sendRaw(out + payload); return }
        let mask: [UInt8] = [0x37, 0xFA, 0x21, 0x3D]
        conn.sendRaw(out + mask + payload.enumerated().map { $0.element ^ mask[$0.offset & 3] })
    }

    func sendText(_ text: String) { send(opcode: 1, Array(text.utf8)) }

    /// The next frame, or nil on EOF or when nothing arrives within the read timeout.
    func readFrame() -> Frame? {
        guard let head = take(2) else { return nil }
        XCTAssertEqual(head[1] & 0x80, 0, "server frames are never masked")
        var length = Int(head[1] & 0x7F)
        if length >= 126 {
            guard let ext = take(length == 126 ? 2 : 8) else { return nil }
            length = ext.reduce(0) { $0 << 8 | Int($1) }
        }
        guard let payload = take(length) else { return nil }
        return Frame(fin: head[0] & 0x80 != 0, opcode: head[0] & 0x0F, payload: payload)
    }

    /// The next text frame as JSON, or nil when none comes within `timeout` seconds.
    func next(timeout: Double = 5) -> [String: Any]? {
        setTimeout(seconds: timeout)
        defer { setTimeout(seconds: 5) }
        while let f = readFrame() {
            if f.opcode == 1 { return f.json }
        }
        return nil
    }

    /// Answers a frame the way the spec says a client must.
    func answer(_ frame: [String: Any], code: Int = 200, status: String = "SUCCESS") {
        let messageId = (frame["headers"] as? [String: Any])?["messageId"] as? String ?? ""
        let data = try! JSONSerialization.data(withJSONObject: ["status": status])
        let reply: [String: Any] = ["code": code, "headers": ["messageId": messageId, "contentType": "application/json"],
                                    "message": "OK", "data": String(decoding: data, as: UTF8.self)]
        sendText(String(decoding: try! JSONSerialization.data(withJSONObject: reply), as: UTF8.self))
    }

    private func take(_ n: Int) -> [UInt8]? {
        while conn.buffer.count < n { guard conn.fill() else { return nil } }
        let out = Array(conn.buffer.prefix(n))
        conn.buffer.removeFirst(n)
        return out
    }
}

/// `POST /v1.0/gateway/connections/open` with the simulator's credentials (or others).
func openGateway(_ sim: DingTalkSimulator, clientId: String? = nil, secret: String? = nil,
                 subscriptions: String = #"[{"type":"EVENT","topic":"*"}]"#,
                 headers: [String] = ["Accept: application/json"]) throws -> RawConnection.Response {
    let body = #"{"clientId":"\#(clientId ?? sim.options.appKey)","clientSecret":"\#(secret ?? sim.options.appSecret)","#
        + #""subscriptions":\#(subscriptions),"ua":"dingsync/test","localIp":"127.0.0.1"}"#
    return try XCTUnwrap(RawConnection(port: sim.port).request("POST", "/v1.0/gateway/connections/open", body: body, headers: headers))
}

func openTicket(_ sim: DingTalkSimulator, subscriptions: String = #"[{"type":"EVENT","topic":"*"}]"#) throws -> String? {
    try openGateway(sim, subscriptions: subscriptions).json?["ticket"] as? String
}

extension Dictionary where Key == String, Value == Any {
    var headers: [String: Any] { self["headers"] as? [String: Any] ?? [:] }
    /// `data` parsed a second time, as the spec says a client must.
    var dataJSON: [String: Any]? {
        (self["data"] as? String).flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
    }
}

extension XCTestCase {
    /// A started simulator with one open instance of the default form, and its clock.
    func startStreamSim(_ configure: (inout SimulatorOptions) -> Void = { _ in }) throws -> (DingTalkSimulator, TestClock) {
        let clock = TestClock(fixedNow)
        let sim = try startSim(configure, clock: clock)
        sim.add(plainInstances([fixedNow - day, fixedNow - day + 1000, fixedNow - day + 2000]))
        return (sim, clock)
    }
}

extension DingTalkSimulator {
    /// Approves instance `id` now: a `finish` event.
    func approve(_ id: String, result: String = "agree") {
        let now = options.now()
        update(id) { $0.status = "COMPLETED"; $0.result = result; $0.finishTimeMs = now }
    }
}
