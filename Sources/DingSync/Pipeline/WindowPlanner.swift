import DingSyncMapping

/// A creation-time window `[fromMs, toMs)`, half-open in epoch milliseconds.
public struct Window: Sendable, Equatable, CustomStringConvertible {
    public var fromMs: Int64
    public var toMs: Int64
    public init(fromMs: Int64, toMs: Int64) {
        self.fromMs = fromMs
        self.toMs = toMs
    }
    /// In DingTalk's own Beijing time, for messages a person reads.
    public var description: String {
        "[\(DingTalkTime.formatBeijing(fromMs)), \(DingTalkTime.formatBeijing(toMs))) Beijing time"
    }

    /// The two halves, for a window whose listing hit DingTalk's 10,000-id cap.
    public func halves() -> (Window, Window)? {
        guard toMs - fromMs >= 2 else { return nil }
        let mid = fromMs + (toMs - fromMs) / 2
        return (Window(fromMs: fromMs, toMs: mid), Window(fromMs: mid, toMs: toMs))
    }
}

/// Plans the windows of a run: consecutive, non-overlapping, each at most `windowDays` long
/// (DingTalk refuses windows over 120 days), covering `[fromMs, toMs)` exactly.
public enum WindowPlanner {
    public static let dayMs: Int64 = 86_400_000
    /// DingTalk refuses a `start_time` more than 365 days ago; keep a margin for clock skew
    /// and for the time the run itself takes.
    public static let horizonMs: Int64 = 365 * dayMs - 3_600_000

    /// With `maxIds`, windows are also cut so that each holds about that many ids at the
    /// observed rate: a listing cut short by the budget keeps the windows it finished.
    public static func windows(fromMs: Int64, toMs: Int64, windowDays: Int, maxIds: Int? = nil, arrivalsPerDay: Double = 0) -> [Window] {
        guard toMs > fromMs else { return [] }
        var step = Int64(max(1, min(120, windowDays))) * dayMs
        if let maxIds, arrivalsPerDay > 0 {
            step = min(step, max(3_600_000, Int64(Double(maxIds) / arrivalsPerDay * Double(dayMs))))
        }
        var out: [Window] = []
        var start = fromMs
        while start < toMs {
            let end = min(toMs, start + step)
            out.append(Window(fromMs: start, toMs: end))
            start = end
        }
        return out
    }

    /// The earliest creation time DingTalk will list at `nowMs`.
    public static func earliestAllowed(nowMs: Int64) -> Int64 { nowMs - horizonMs }
}
