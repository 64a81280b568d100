import Foundation
import Glibc
import Synchronization
import XCTest
@testable import DingTalkSimulator

/// A deliberately dumb HTTP/1.1 client over a raw socket: it reports exactly what came over
/// the wire, which a real client library would hide (truncated bodies, dropped connections).
final class RawConnection {
    let fd: Int32
    var buffer: [UInt8] = []

    struct Response {
        var status: Int
        var headers: [String: String]
        var body: [UInt8]
        /// Content-Length announced by the server.
        var declaredLength: Int
        var truncated: Bool { body.count < declaredLength }
        var text: String { String(decoding: body, as: UTF8.self) }
        /// The body as a JSON object, or nil when it is not one.
        var json: [String: Any]? { try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any] }
    }

    init(port: Int) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        if rc != 0 { let e = errno; close(fd); throw NSError(domain: "connect", code: Int(e)) }
    }

    deinit { close(fd) }

    func sendRaw(_ text: String) { sendRaw(Array(text.utf8)) }

    func sendRaw(_ bytes: [UInt8]) {
        var sent = 0
        while sent < bytes.count {
            let n = bytes.withUnsafeBytes { send(fd, $0.baseAddress! + sent, $0.count - sent, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { return }
            sent += n
        }
    }

    func request(_ method: String, _ target: String, body: String? = nil, headers: [String] = []) -> Response? {
        var head = "\(method) \(target) HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        for h in headers { head += h + "\r\n" }
        let bytes = Array((body ?? "").utf8)
        if body != nil { head += "Content-Type: application/json\r\nContent-Length: \(bytes.count)\r\n" }
        sendRaw(Array((head + "\r\n").utf8) + bytes)
        return readResponse()
    }

    /// One response; nil when the connection closed before a complete header arrived.
    /// A body cut short by EOF comes back with `truncated` set.
    func readResponse() -> Response? {
        var headEnd: Int?
        while headEnd == nil {
            if let r = findHeadEnd() { headEnd = r; break }
            guard fill() else { return nil }
        }
        let head = String(decoding: buffer[..<headEnd!], as: UTF8.self)
        buffer.removeFirst(headEnd! + 4)
        var lines = head.components(separatedBy: "\r\n")
        let statusLine = lines.removeFirst().split(separator: " ")
        var headers: [String: String] = [:]
        for line in lines {
            guard let c = line.firstIndex(of: ":") else { continue }
            headers[line[..<c].lowercased()] = line[line.index(after: c)...].trimmingCharacters(in: .whitespaces)
        }
        let length = Int(headers["content-length"] ?? "0") ?? 0
        while buffer.count < length { if !fill() { break } }
        let n = min(length, buffer.count)
        let body = Array(buffer[..<n])
        buffer.removeFirst(n)
        return Response(status: Int(statusLine[1]) ?? 0, headers: headers, body: body, declaredLength: length)
    }

    /// True when the server has closed the connection (EOF with nothing pending).
    func isClosedByPeer() -> Bool { buffer.isEmpty && !fill() }

    private func findHeadEnd() -> Int? {
        guard buffer.count >= 4 else { return nil }
        for i in 0...(buffer.count - 4) where buffer[i] == 13 && buffer[i + 1] == 10 && buffer[i + 2] == 13 && buffer[i + 3] == 10 {
            return i
        }
        return nil
    }

    func fill() -> Bool {
        var chunk = [UInt8](repeating: 0, count: 65536)
        let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress!, $0.count, 0) }
        guard n > 0 else { return false }
        buffer.append(contentsOf: chunk[..<n])
        return true
    }
}

/// A clock tests can set and advance; the simulator reads it through `options.now`.
final class TestClock: Sendable {
    private let ms: Mutex<Int64>
    init(_ start: Int64) { ms = Mutex(start) }
    var now: Int64 { ms.withLock { $0 } }
    func advance(ms delta: Int64) { ms.withLock { $0 += delta } }
}

/// 2026-05-28 08:26:40 Beijing time.
let fixedNow: Int64 = 1_779_928_000_000
let day: Int64 = 86_400_000

/// Talks DingTalk to a simulator over one keep-alive connection.
final class DingClient {
    let conn: RawConnection
    let sim: DingTalkSimulator
    var token = ""

    init(_ sim: DingTalkSimulator) throws {
        self.sim = sim
        conn = try RawConnection(port: sim.port)
    }

    @discardableResult
    func fetchToken() -> [String: Any] {
        let r = conn.request("GET", "/gettoken?appkey=\(sim.options.appKey)&appsecret=\(sim.options.appSecret)")!.json!
        token = r["access_token"] as? String ?? ""
        return r
    }

    func listIds(_ fields: [String: Any]) -> RawConnection.Response? {
        var body = fields
        if body["process_code"] == nil { body["process_code"] = sim.options.processCode }
        let data = try! JSONSerialization.data(withJSONObject: body)
        return conn.request("POST", "/topapi/processinstance/listids?access_token=\(token)",
                            body: String(decoding: data, as: UTF8.self))
    }

    func get(_ id: String) -> RawConnection.Response? {
        conn.request("POST", "/topapi/processinstance/get?access_token=\(token)",
                     body: #"{"process_instance_id":"\#(id)"}"#)
    }
}

extension XCTestCase {
    /// A started simulator that the test stops when it ends.
    func startSim(_ configure: (inout SimulatorOptions) -> Void = { _ in }, clock: TestClock? = TestClock(fixedNow)) throws -> DingTalkSimulator {
        var options = SimulatorOptions()
        if let clock { options.now = { clock.now } }
        configure(&options)
        let sim = DingTalkSimulator(options: options)
        try sim.start()
        addTeardownBlock { sim.stop() }
        return sim
    }

    func errcode(_ r: RawConnection.Response?, file: StaticString = #filePath, line: UInt = #line) -> Int? {
        guard let json = r?.json else { XCTFail("no JSON answer", file: file, line: line); return nil }
        return (json["errcode"] as? NSNumber)?.intValue
    }
}

/// Instances at given creation times, ids sortable in creation order.
func plainInstances(_ times: [Int64], processCode: String = "PROC-SIM-WAN-RECHARGE", prefix: String = "inst") -> [SimInstance] {
    times.enumerated().map { n, t in
        SimInstance(id: "\(prefix)-\(String(n).leftPadded(6))", processCode: processCode, createTimeMs: t,
                    components: [SimComponent(name: "充值金额", id: "MoneyField_X", componentType: "MoneyField", value: "1200")])
    }
}
