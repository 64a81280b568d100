import ArgumentParser
import DingSyncMapping
import Foundation

/// `--from`/`--to` checks that can run before the config is read (a flag error is 64).
enum BoundaryFlags {
    /// Syntax always. Order only when the job's timezone cannot change it: both bare dates, or
    /// both with explicit offsets. A mixed pair is ordered after the config names the zone.
    static func validate(from: String?, to: String?) throws {
        let utc = TimeZone(identifier: "UTC")!
        var f: Int64?, t: Int64?
        if let from { do { f = try TimeParsing.parseBoundary(from, timeZone: utc) } catch { throw ValidationError("--from: \(error)") } }
        if let to { do { t = try TimeParsing.parseBoundary(to, timeZone: utc) } catch { throw ValidationError("--to: \(error)") } }
        if let f, let t, let from, let to, hasOffset(from) == hasOffset(to), t <= f {
            throw ValidationError("--to must be after --from")
        }
    }

    /// True for an ISO-8601 date-time with `Z` or `±hh[:mm]`; false for a bare date or local time.
    static func hasOffset(_ s: String) -> Bool {
        guard let sep = s.firstIndex(where: { $0 == "T" || $0 == " " }) else { return false }
        let time = s[s.index(after: sep)...]
        return time.hasSuffix("Z") || time.contains("+") || time.contains("-")
    }
}
