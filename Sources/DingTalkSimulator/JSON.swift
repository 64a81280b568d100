import Foundation

/// A tiny ordered JSON value. The simulator writes its own JSON so that key order matches
/// DingTalk's answers, non-ASCII stays raw UTF-8 (DingTalk does not \u-escape CJK or emoji),
/// and `/` is never escaped; JSONSerialization guarantees none of these.
public indirect enum JSON: Sendable, Equatable {
    case string(String)
    case int(Int64)
    case bool(Bool)
    case null
    case array([JSON])
    case object([(String, JSON)])

    public static func == (a: JSON, b: JSON) -> Bool { a.text == b.text }

    public var bytes: [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(256)
        write(into: &out)
        return out
    }

    public var text: String { String(decoding: bytes, as: UTF8.self) }

    func write(into out: inout [UInt8]) {
        switch self {
        case .string(let s): JSON.writeString(s, into: &out)
        case .int(let i): out.append(contentsOf: Array(String(i).utf8))
        case .bool(let b): out.append(contentsOf: Array((b ? "true" : "false").utf8))
        case .null: out.append(contentsOf: Array("null".utf8))
        case .array(let items):
            out.append(UInt8(ascii: "["))
            for (n, item) in items.enumerated() {
                if n > 0 { out.append(UInt8(ascii: ",")) }
                item.write(into: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let pairs):
            out.append(UInt8(ascii: "{"))
            for (n, (key, value)) in pairs.enumerated() {
                if n > 0 { out.append(UInt8(ascii: ",")) }
                JSON.writeString(key, into: &out)
                out.append(UInt8(ascii: ":"))
                value.write(into: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    static func writeString(_ s: String, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for byte in s.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out.append(contentsOf: [92, 34])
            case UInt8(ascii: "\\"): out.append(contentsOf: [92, 92])
            case 0x0A: out.append(contentsOf: [92, UInt8(ascii: "n")])
            case 0x0D: out.append(contentsOf: [92, UInt8(ascii: "r")])
            case 0x09: out.append(contentsOf: [92, UInt8(ascii: "t")])
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                out.append(contentsOf: [92, UInt8(ascii: "u"), 48, 48, hex[Int(byte >> 4)], hex[Int(byte & 15)]])
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}

/// Epoch-ms ⇄ Beijing wall-clock text. Done by hand (civil-from-days) because DingTalk's
/// zone is fixed UTC+8 with no DST, and DateFormatter is neither cheap nor needed here.
enum BeijingTime {
    static let offsetMs: Int64 = 8 * 3_600_000

    struct Parts { var year, month, day, hour, minute, second: Int }

    static func parts(_ epochMs: Int64) -> Parts {
        let local = epochMs + offsetMs
        var days = local / 86_400_000
        var msOfDay = local % 86_400_000
        if msOfDay < 0 { msOfDay += 86_400_000; days -= 1 }
        let secs = Int(msOfDay / 1000)
        // Howard Hinnant's civil_from_days.
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        let y = yoe + era * 400 + (m <= 2 ? 1 : 0)
        return Parts(year: Int(y), month: Int(m), day: Int(d),
                     hour: secs / 3600, minute: secs / 60 % 60, second: secs % 60)
    }

    /// `yyyy-MM-dd HH:mm:ss`, the way `processinstance/get` spells every top-level time.
    static func format(_ epochMs: Int64) -> String {
        let p = parts(epochMs)
        return "\(pad(p.year, 4))-\(pad(p.month))-\(pad(p.day)) \(pad(p.hour)):\(pad(p.minute)):\(pad(p.second))"
    }

    static func pad(_ n: Int, _ width: Int = 2) -> String {
        let s = String(n)
        return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
    }
}

/// SplitMix64: tiny, fast, and fully determined by its seed, which is all the simulator
/// needs for reproducible data and faults (and the economy benchmark for its workload).
public struct SplitMix64: RandomNumberGenerator, Sendable {
    var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    /// A stateless mix for "the k-th draw of request n", so concurrent requests do not shift
    /// each other's fault decisions.
    static func mix(_ a: UInt64, _ b: UInt64) -> UInt64 {
        var g = SplitMix64(seed: a ^ (b &* 0xD1B5_4A32_D192_ED03))
        return g.next()
    }
    public static func unit(_ x: UInt64) -> Double { Double(x >> 11) / Double(1 << 53) }
}
