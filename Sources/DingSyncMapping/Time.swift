import Foundation

// Time arithmetic is done by hand (days-from-civil, Howard Hinnant's algorithm) rather than with
// Calendar/DateFormatter: those allocate and lock, and the mapper converts two or more times per
// instance on its hot path. The only Foundation call is `TimeZone.secondsFromGMT(for:)`, which is
// cheap and is the authority on the job zone's rules (DST included).

/// Proleptic Gregorian calendar arithmetic on day numbers (day 0 = 1970-01-01).
enum Civil {
    static func isLeap(_ y: Int) -> Bool { y % 4 == 0 && (y % 100 != 0 || y % 400 == 0) }

    static func daysInMonth(_ y: Int, _ m: Int) -> Int {
        switch m {
        case 2: return isLeap(y) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    static func daysFromCivil(_ y0: Int, _ m: Int, _ d: Int) -> Int {
        let y = m <= 2 ? y0 - 1 : y0
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (m + 9) % 12
        let doy = (153 * mp + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146097 + doe - 719468
    }

    static func civilFromDays(_ z0: Int) -> (year: Int, month: Int, day: Int) {
        let z = z0 + 719468
        let era = (z >= 0 ? z : z - 146096) / 146097
        let doe = z - era * 146097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
    }

    static func floorDiv(_ a: Int64, _ b: Int64) -> Int64 {
        let q = a / b
        return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
    }

    /// Seconds since the epoch of a wall-clock time read as UTC.
    static func wallSeconds(_ t: LocalDateTime) -> Int64 {
        Int64(daysFromCivil(t.year, t.month, t.day)) * 86400
            + Int64(t.hour * 3600 + t.minute * 60 + t.second)
    }

    /// The wall-clock time `seconds` after the epoch, read as UTC.
    static func wallTime(_ seconds: Int64) -> LocalDateTime {
        let days = floorDiv(seconds, 86400)
        let rem = Int(seconds - days * 86400)
        let (y, m, d) = civilFromDays(Int(days))
        return LocalDateTime(year: y, month: m, day: d, hour: rem / 3600, minute: rem / 60 % 60, second: rem % 60)
    }

    /// Epoch seconds of a wall-clock time in `zone`. In a DST gap the time is read with the
    /// offset before the gap (so 02:30 on a spring-forward night lands at 03:30); in an overlap the
    /// earlier of the two instants is taken. Both are what people mean far more often than not.
    static func epochSeconds(of t: LocalDateTime, in zone: TimeZone) -> Int64 {
        let wall = wallSeconds(t)
        func offset(_ at: Int64) -> Int64 { Int64(zone.secondsFromGMT(for: Date(timeIntervalSince1970: Double(at)))) }
        // Zone transitions are never a day apart, so the offsets a day either side are the two
        // candidates; a candidate is valid when the zone agrees with it at the instant it gives.
        let before = offset(wall - 86400), after = offset(wall + 86400)
        if before == after { return wall - before }
        let early = wall - before, late = wall - after
        let earlyOK = offset(early) == before, lateOK = offset(late) == after
        switch (earlyOK, lateOK) {
        case (true, true): return min(early, late)
        case (true, false): return early
        case (false, true): return late
        case (false, false): return early
        }
    }
}

/// DingTalk's time conventions: naive `yyyy-MM-dd HH:mm:ss` strings are Beijing time (UTC+8,
/// which has had no DST since 1991, so a fixed offset is exact), some values are epoch ms.
public enum DingTalkTime {
    public static let beijingOffsetSeconds: Int64 = 8 * 3600

    /// Epoch ms of a DingTalk time: `yyyy-MM-dd HH:mm:ss`, `yyyy-MM-dd HH:mm`, `yyyy-MM-dd`
    /// (Beijing time) or epoch ms (11 or more digits). Nil for anything else, including
    /// out-of-range fields such as `2023-02-29`.
    public static func parseBeijing(_ s: String) -> Int64? {
        switch TimeText.parseDingTalk(s) {
        case .epochMs(let ms): return ms
        case .wall(let t, _): return (Civil.wallSeconds(t) - beijingOffsetSeconds) * 1000
        case .invalid: return nil
        }
    }

    /// `yyyy-MM-dd HH:mm:ss` in Beijing time, the way DingTalk writes times.
    public static func formatBeijing(_ ms: Int64) -> String {
        let secs = Civil.floorDiv(ms, 1000)
        return TimeText.format(Civil.wallTime(secs + beijingOffsetSeconds), millis: nil, offsetSeconds: nil)
    }
}

public extension LocalDateTime {
    /// The wall-clock time in `timeZone` at the instant `epochMs` (milliseconds are dropped,
    /// rounding towards the past so the second never moves forward).
    init(epochMs: Int64, timeZone: TimeZone) {
        let secs = Civil.floorDiv(epochMs, 1000)
        let offset = Int64(timeZone.secondsFromGMT(for: Date(timeIntervalSince1970: Double(secs))))
        self = Civil.wallTime(secs + offset)
    }
}

/// Parsing of the time boundaries a user types (`--from`, `--to`, `sync.start`).
public enum TimeParsing {
    public struct BoundaryError: Error, Sendable, Equatable, CustomStringConvertible {
        public var input: String
        public var reason: String
        public var description: String {
            "cannot read time \(MappedValue.quoted(input)): \(reason); accepted forms: YYYY-MM-DD "
                + "(midnight in the job's timezone), YYYY-MM-DDTHH:MM[:SS[.fff]] with an offset "
                + "(Z, +08:00 or +0800), or the same without an offset (read in the job's timezone; "
                + "a space may replace the T)"
        }
    }

    /// Epoch ms of a boundary. Forms: `YYYY-MM-DD` (midnight in `timeZone`), ISO-8601
    /// `YYYY-MM-DDTHH:MM[:SS[.fff]]` followed by `Z`, `±HH:MM`, `±HHMM` or `±HH`, or the same
    /// without an offset (read in `timeZone`). A space may replace the `T`.
    public static func parseBoundary(_ s: String, timeZone: TimeZone) throws -> Int64 {
        switch TimeText.parseBoundary(s) {
        case .failure(let reason):
            throw BoundaryError(input: s, reason: reason)
        case .success(let b):
            if let offset = b.offsetSeconds {
                return (Civil.wallSeconds(b.wall) - Int64(offset)) * 1000 + Int64(b.millis)
            }
            return Civil.epochSeconds(of: b.wall, in: timeZone) * 1000 + Int64(b.millis)
        }
    }

    /// `yyyy-MM-dd HH:mm:ss.SSS+HH:MM` in `timeZone`: a watermark as people in that zone read it,
    /// with the offset so the text is unambiguous (and `parseBoundary` reads it back exactly).
    public static func formatLocal(_ ms: Int64, timeZone: TimeZone) -> String {
        let secs = Civil.floorDiv(ms, 1000)
        let offset = timeZone.secondsFromGMT(for: Date(timeIntervalSince1970: Double(secs)))
        let wall = Civil.wallTime(secs + Int64(offset))
        return TimeText.format(wall, millis: Int(ms - secs * 1000), offsetSeconds: offset)
    }
}
