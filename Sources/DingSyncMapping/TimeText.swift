import Foundation

/// Byte-level readers and writers of the few time spellings the tool meets. Strict on purpose:
/// a time that does not look exactly like one of the forms is an error, never a guess.
enum TimeText {
    enum DingTalkParse: Equatable {
        /// A naive wall-clock time; `hasTime` is false for a date-only string.
        case wall(LocalDateTime, hasTime: Bool)
        case epochMs(Int64)
        case invalid(String)
    }

    struct Boundary: Equatable {
        var wall: LocalDateTime
        var millis: Int
        var offsetSeconds: Int?
    }

    enum BoundaryParse: Equatable {
        case success(Boundary)
        case failure(String)
    }

    static let dingTalkForms = "expected yyyy-MM-dd HH:mm:ss, yyyy-MM-dd HH:mm, yyyy-MM-dd or epoch milliseconds"
    /// 9999-12-31 23:59:59.999 UTC: MySQL's DATETIME cannot go further, and neither do we.
    static let maxEpochMs: Int64 = 253_402_300_799_999

    static func parseDingTalk(_ text: String) -> DingTalkParse {
        var text = text
        return text.withUTF8 { b -> DingTalkParse in
            if b.count >= 11, b.allSatisfy(isDigit) {
                guard b.count <= 18 else { return .invalid("epoch milliseconds out of range") }
                var ms: Int64 = 0
                for c in b { ms = ms * 10 + Int64(c &- 48) }
                guard ms <= maxEpochMs else { return .invalid("epoch milliseconds out of range") }
                return .epochMs(ms)
            }
            guard b.count == 10 || b.count == 16 || b.count == 19,
                  let (y, m, d) = date(b) else { return .invalid(dingTalkForms) }
            var t = LocalDateTime(year: y, month: m, day: d)
            if b.count >= 16 {
                guard b[10] == 0x20, let hh = num(b, 11, 2), b[13] == 0x3A, let mi = num(b, 14, 2)
                else { return .invalid(dingTalkForms) }
                (t.hour, t.minute) = (hh, mi)
                if b.count == 19 {
                    guard b[16] == 0x3A, let ss = num(b, 17, 2) else { return .invalid(dingTalkForms) }
                    t.second = ss
                }
            }
            if let why = rangeError(t) { return .invalid(why) }
            return .wall(t, hasTime: b.count > 10)
        }
    }

    static func parseBoundary(_ text: String) -> BoundaryParse {
        var text = text
        return text.withUTF8 { b -> BoundaryParse in
            let notAForm = "not in an accepted form"
            guard b.count >= 10, let (y, m, d) = date(b) else { return .failure(notAForm) }
            var t = LocalDateTime(year: y, month: m, day: d)
            var millis = 0
            var offset: Int?
            var i = 10
            if i < b.count {
                guard b[i] == 0x54 || b[i] == 0x74 || b[i] == 0x20,  // T, t, space
                      let hh = num(b, i + 1, 2), i + 3 < b.count, b[i + 3] == 0x3A,
                      let mi = num(b, i + 4, 2) else { return .failure(notAForm) }
                (t.hour, t.minute) = (hh, mi)
                i += 6
                if i < b.count, b[i] == 0x3A {
                    guard let ss = num(b, i + 1, 2) else { return .failure(notAForm) }
                    t.second = ss
                    i += 3
                    if i < b.count, b[i] == 0x2E || b[i] == 0x2C {  // . or ,
                        var j = i + 1, scale = 100
                        while j < b.count, isDigit(b[j]) {
                            millis += Int(b[j] &- 48) * scale  // digits past the 3rd are dropped
                            scale /= 10
                            j += 1
                        }
                        guard j > i + 1, j - i - 1 <= 9 else { return .failure("bad fractional seconds") }
                        i = j
                    }
                }
                if i < b.count {
                    switch b[i] {
                    case 0x5A, 0x7A:  // Z
                        offset = 0
                        i += 1
                    case 0x2B, 0x2D:  // + -
                        let sign = b[i] == 0x2D ? -1 : 1
                        guard let oh = num(b, i + 1, 2) else { return .failure("bad UTC offset") }
                        i += 3
                        var om = 0
                        if i < b.count {
                            if b[i] == 0x3A { i += 1 }
                            guard let v = num(b, i, 2) else { return .failure("bad UTC offset") }
                            om = v
                            i += 2
                        }
                        guard oh <= 18, om < 60 else { return .failure("UTC offset out of range") }
                        offset = sign * (oh * 3600 + om * 60)
                    default:
                        return .failure(notAForm)
                    }
                }
                guard i == b.count else { return .failure(notAForm) }
            }
            if let why = rangeError(t) { return .failure(why) }
            return .success(Boundary(wall: t, millis: millis, offsetSeconds: offset))
        }
    }

    /// `yyyy-MM-dd HH:mm:ss`, then `.SSS` when `millis` is given, then `±HH:MM` when an offset is.
    static func format(_ t: LocalDateTime, millis: Int?, offsetSeconds: Int?) -> String {
        var out = [UInt8]()
        out.reserveCapacity(29)
        appendDate(t, &out)
        out.append(0x20)
        pad(t.hour, 2, &out); out.append(0x3A)
        pad(t.minute, 2, &out); out.append(0x3A)
        pad(t.second, 2, &out)
        if let millis { out.append(0x2E); pad(millis, 3, &out) }
        if let off = offsetSeconds {
            out.append(off < 0 ? 0x2D : 0x2B)
            let a = abs(off)
            pad(a / 3600, 2, &out); out.append(0x3A)
            pad(a / 60 % 60, 2, &out)
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func formatDate(_ t: LocalDateTime) -> String {
        var out = [UInt8]()
        out.reserveCapacity(10)
        appendDate(t, &out)
        return String(decoding: out, as: UTF8.self)
    }

    // MARK: - pieces

    @inline(__always) static func isDigit(_ c: UInt8) -> Bool { c &- 48 < 10 }

    /// `n` decimal digits at `at`, or nil if any is missing or not a digit.
    @inline(__always)
    static func num(_ b: UnsafeBufferPointer<UInt8>, _ at: Int, _ n: Int) -> Int? {
        guard at >= 0, at + n <= b.count else { return nil }
        var v = 0
        for k in at..<(at + n) {
            let c = b[k] &- 48
            guard c < 10 else { return nil }
            v = v * 10 + Int(c)
        }
        return v
    }

    /// `yyyy-MM-dd` at the start of `b` (fields not yet range-checked).
    static func date(_ b: UnsafeBufferPointer<UInt8>) -> (Int, Int, Int)? {
        guard let y = num(b, 0, 4), b.count > 4, b[4] == 0x2D, let m = num(b, 5, 2),
              b.count > 7, b[7] == 0x2D, let d = num(b, 8, 2) else { return nil }
        return (y, m, d)
    }

    static func rangeError(_ t: LocalDateTime) -> String? {
        if t.year < 1 { return "year 0000 out of range" }
        if !(1...12).contains(t.month) { return "month \(t.month) out of range" }
        let dim = Civil.daysInMonth(t.year, t.month)
        if !(1...dim).contains(t.day) {
            return "day \(t.day) out of range for \(formatYearMonth(t.year, t.month)) (\(dim) days)"
        }
        if t.hour > 23 { return "hour \(t.hour) out of range" }
        if t.minute > 59 { return "minute \(t.minute) out of range" }
        if t.second > 59 { return "second \(t.second) out of range" }
        return nil
    }

    static func formatYearMonth(_ y: Int, _ m: Int) -> String {
        var out = [UInt8]()
        pad(y, 4, &out); out.append(0x2D); pad(m, 2, &out)
        return String(decoding: out, as: UTF8.self)
    }

    @inline(__always) static func appendDate(_ t: LocalDateTime, _ out: inout [UInt8]) {
        pad(t.year, 4, &out); out.append(0x2D)
        pad(t.month, 2, &out); out.append(0x2D)
        pad(t.day, 2, &out)
    }

    /// Zero-padded to `width`; wider numbers are written in full, negative ones with a sign.
    @inline(__always) static func pad(_ v: Int, _ width: Int, _ out: inout [UInt8]) {
        if v < 0 { out.append(0x2D); pad(-v, width, &out); return }
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                     UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var n = 0
        var x = v
        withUnsafeMutableBytes(of: &digits) { d in
            repeat { d[n] = UInt8(48 + x % 10); x /= 10; n += 1 } while x > 0
            while n < width { d[n] = 48; n += 1 }
            for k in stride(from: n - 1, through: 0, by: -1) { out.append(d[k]) }
        }
    }
}
