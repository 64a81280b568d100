import Foundation

/// Why a text could not become a column's type. Carries no value: the caller (a reject) does.
public struct ConversionError: Error, Sendable, Equatable, CustomStringConvertible {
    public var reason: String
    public init(_ reason: String) { self.reason = reason }
    public var description: String { reason }
}

/// Text → typed column value (config.md, "Types"). Pure, allocation-light, no Foundation
/// formatters. NULL handling (missing, `""`, `"null"`) happens before any of these is called.
public enum Conversions {
    public static func convert(_ text: String, to type: ColumnType, timeZone: TimeZone) throws(ConversionError) -> MappedValue {
        switch type {
        case .string: return .string(text)
        case .int: return .int(try int(text))
        case .decimal: return .decimal(try decimal(text))
        case .datetime: return .datetime(try datetime(text, timeZone: timeZone))
        case .date: return .date(try date(text, timeZone: timeZone))
        case .json: return .json(try json(text))
        }
    }

    /// `"1,200"`, `"10.0"`, `"-3"`, `"+7"` are integers; `"10.5"`, `"abc"`, `"1e3"` and values
    /// beyond Int64 are not.
    public static func int(_ text: String) throws(ConversionError) -> Int64 {
        var text = text
        let result: Result<Int64, ConversionError> = text.withUTF8 { b in
            guard let n = scanNumber(b) else { return .failure(notANumber("an integer")) }
            for k in n.fractionStart..<n.fractionEnd where b[k] != 0x30 {
                return .failure(ConversionError("not an integer: it has a fractional part"))
            }
            // Accumulate negatively so Int64.min fits.
            var v: Int64 = 0
            for k in n.intStart..<n.intEnd where b[k] != 0x2C {
                let (m, o1) = v.multipliedReportingOverflow(by: 10)
                let (s, o2) = m.subtractingReportingOverflow(Int64(b[k] &- 48))
                guard !o1, !o2 else { return .failure(ConversionError("integer out of range")) }
                v = s
            }
            if n.negative { return .success(v) }
            guard v != .min else { return .failure(ConversionError("integer out of range")) }
            return .success(-v)
        }
        return try result.get()
    }

    /// Exact decimal text without grouping: `"1,200.50"` → `"1200.50"`, `".5"` → `"0.5"`,
    /// `"007"` → `"7"`, `"-0"` → `"0"`. The fraction's digits are kept as written (trailing zeros too).
    public static func decimal(_ text: String) throws(ConversionError) -> String {
        var text = text
        let result: Result<String, ConversionError> = text.withUTF8 { b in
            guard let n = scanNumber(b) else { return .failure(notANumber("a decimal number")) }
            var intDigits = n.intStart
            while intDigits < n.intEnd, b[intDigits] == 0x30 || b[intDigits] == 0x2C { intDigits += 1 }
            let significant = (n.intEnd - intDigits) + (n.fractionEnd - n.fractionStart)
            guard significant <= 65 else { return .failure(ConversionError("too many digits for a decimal")) }
            let isZero = !(intDigits..<n.intEnd).contains(where: { b[$0] != 0x2C && b[$0] != 0x30 })
                && !(n.fractionStart..<n.fractionEnd).contains(where: { b[$0] != 0x30 })
            let canonical = !n.hasGrouping && !n.plusSign && intDigits == n.intStart
                && n.intEnd > n.intStart && !(n.negative && isZero)
            if canonical { return .success(String(decoding: b, as: UTF8.self)) }
            var out = [UInt8]()
            out.reserveCapacity(b.count + 1)
            if n.negative && !isZero { out.append(0x2D) }
            if intDigits == n.intEnd { out.append(0x30) }
            for k in intDigits..<n.intEnd where b[k] != 0x2C { out.append(b[k]) }
            if n.fractionEnd > n.fractionStart {
                out.append(0x2E)
                out.append(contentsOf: UnsafeBufferPointer(rebasing: b[n.fractionStart..<n.fractionEnd]))
            }
            return .success(String(decoding: out, as: UTF8.self))
        }
        return try result.get()
    }

    /// A datetime in `timeZone`. Naive DingTalk strings are Beijing time and are converted;
    /// epoch ms is an instant.
    public static func datetime(_ text: String, timeZone: TimeZone) throws(ConversionError) -> LocalDateTime {
        switch TimeText.parseDingTalk(text) {
        case .invalid(let why): throw ConversionError("not a date-time: \(why)")
        case .epochMs(let ms): return LocalDateTime(epochMs: ms, timeZone: timeZone)
        case .wall(let t, _):
            return inJobZone(beijing: t, timeZone: timeZone)
        }
    }

    /// A date. A date-only string keeps its date as written (a calendar date has no zone);
    /// a date-time or epoch ms is converted to `timeZone` first and then its date is taken.
    public static func date(_ text: String, timeZone: TimeZone) throws(ConversionError) -> LocalDateTime {
        switch TimeText.parseDingTalk(text) {
        case .invalid(let why): throw ConversionError("not a date: \(why)")
        case .epochMs(let ms): return dateOnly(LocalDateTime(epochMs: ms, timeZone: timeZone))
        case .wall(let t, let hasTime):
            return hasTime ? dateOnly(inJobZone(beijing: t, timeZone: timeZone)) : t
        }
    }

    /// The text itself, once it is known to be valid JSON.
    public static func json(_ text: String) throws(ConversionError) -> String {
        if let why = JSONCheck.problem(in: text) { throw ConversionError("not valid JSON: \(why)") }
        return text
    }

    // MARK: - pieces

    @inline(__always)
    static func inJobZone(beijing t: LocalDateTime, timeZone: TimeZone) -> LocalDateTime {
        let secs = Civil.wallSeconds(t) - DingTalkTime.beijingOffsetSeconds
        return LocalDateTime(epochMs: secs * 1000, timeZone: timeZone)
    }

    @inline(__always) static func dateOnly(_ t: LocalDateTime) -> LocalDateTime {
        LocalDateTime(year: t.year, month: t.month, day: t.day)
    }

    static func notANumber(_ what: String) -> ConversionError {
        ConversionError("not \(what) (expected an optional sign, digits with optional ',' "
                        + "thousands grouping and an optional '.' fraction)")
    }

    struct ScannedNumber {
        var negative = false, plusSign = false, hasGrouping = false
        var intStart = 0, intEnd = 0, fractionStart = 0, fractionEnd = 0
    }

    /// `[+-]` digits with optional `,` groups of three, then optional `.digits`. At least one
    /// digit in all; nothing else (no spaces, no exponent).
    static func scanNumber(_ b: UnsafeBufferPointer<UInt8>) -> ScannedNumber? {
        var n = ScannedNumber()
        var i = 0
        if i < b.count, b[i] == 0x2D || b[i] == 0x2B {
            n.negative = b[i] == 0x2D
            n.plusSign = b[i] == 0x2B
            i += 1
        }
        n.intStart = i
        var groupLength = 0, firstGroup = true
        while i < b.count {
            let c = b[i]
            if TimeText.isDigit(c) {
                groupLength += 1
            } else if c == 0x2C {
                // A comma needs 1–3 digits before it (first group) or exactly 3 (later groups).
                guard groupLength > 0, firstGroup ? groupLength <= 3 : groupLength == 3 else { return nil }
                n.hasGrouping = true
                firstGroup = false
                groupLength = 0
            } else {
                break
            }
            i += 1
        }
        n.intEnd = i
        if n.hasGrouping && groupLength != 3 { return nil }
        n.fractionStart = i
        n.fractionEnd = i
        if i < b.count, b[i] == 0x2E {
            i += 1
            n.fractionStart = i
            while i < b.count, TimeText.isDigit(b[i]) { i += 1 }
            n.fractionEnd = i
            guard n.fractionEnd > n.fractionStart else { return nil }
        }
        guard i == b.count, n.intEnd > n.intStart || n.fractionEnd > n.fractionStart else { return nil }
        return n
    }
}
