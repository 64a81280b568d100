/// When DingTalk Stream would have pushed a close to this job: the spans during which `watch`
/// held a healthy connection. Stream has no replay, so a close that may have happened outside
/// them is found by polling as before; inside them the planner trusts the push and keeps only
/// a slow safety net. Pure values, read from the state tables with the snapshot.
public struct EventCoverage: Sendable, Equatable {
    public struct Span: Sendable, Equatable {
        public var fromMs: Int64
        public var toMs: Int64
        public init(fromMs: Int64, toMs: Int64) {
            self.fromMs = fromMs
            self.toMs = toMs
        }
    }

    /// Sorted by start.
    public var spans: [Span] = []
    /// Closes polling found today inside a span that no event announced, and today's events.
    public var missedToday = 0
    public var eventsToday = 0
    /// The same over the last `recentDays` Beijing days, today included.
    public var missedRecent = 0
    public var eventsRecent = 0

    public init(spans: [Span] = [], missedToday: Int = 0, eventsToday: Int = 0, missedRecent: Int? = nil, eventsRecent: Int? = nil) {
        self.spans = spans
        self.missedToday = missedToday
        self.eventsToday = eventsToday
        self.missedRecent = max(missedRecent ?? missedToday, missedToday)
        self.eventsRecent = max(eventsRecent ?? eventsToday, eventsToday)
    }

    /// A watch heartbeats every half minute: a live span whose heartbeat is older than this
    /// belongs to a watch that died (kill -9, a crashed host), and ends at its last heartbeat.
    public static let heartbeatGraceMs: Int64 = 90_000
    /// While events are trusted, an open instance is still confirmed by a get (topapi) or a
    /// RUNNING page (v1) at least this often: DingTalk's delivery is at-least-once only while
    /// the client is there, and a push may be lost in transit.
    public static let safetyNetMs: Int64 = 7 * 24 * 3_600_000
    /// A gap between two spans this short is a reconnect (DingTalk's `disconnect` about every
    /// 20 h, a ping without its pong), not an outage: a close in those seconds is lost like one
    /// in transit, and the safety net finds it (and counts it missed). Without the tolerance
    /// every reconnect sent every open instance back to polling for days.
    public static let reconnectGapMs: Int64 = 120_000
    /// Pushes that polling had to find instead, beyond this share of the day's closes, mean the
    /// pushes are not arriving: the planner polls as if the connection were down.
    public static let missedShareLimit = 0.05

    /// How far back the share of missed pushes is judged: a week, so that one outage-free
    /// quiet day cannot switch the polling off.
    public static let recentDays = 7

    /// Events failing: too many closes found by polling that were never pushed, today or over
    /// the last week. Judged on today alone the distrust switched itself off: polling is what
    /// finds the misses, so a day of polling found them, the next day trusted the pushes again
    /// and found none, and lost closes waited a week for the safety net (the benchmark with 10 %
    /// of pushes lost: close p95 43 h, 3 closes unsettled). While the week's share stays over
    /// the limit, the polling that keeps it measured goes on; a week of pushes that polling
    /// never beats to a close trusts them again.
    public var distrusted: Bool {
        func over(_ missed: Int, _ events: Int) -> Bool {
            missed >= 2 && Double(missed) > Self.missedShareLimit * Double(max(1, missed + events))
        }
        return over(missedToday, eventsToday) || over(missedRecent, eventsRecent)
    }

    /// The first instant of `[fromMs, toMs]` outside every span (nil when the spans cover it
    /// all): a change after it may not have been pushed. While distrusted, `fromMs` itself.
    public func firstUncovered(fromMs: Int64, toMs: Int64) -> Int64? {
        guard !distrusted else { return fromMs }
        var reach = fromMs
        for s in spans where s.fromMs <= reach + Self.reconnectGapMs {
            if s.toMs >= toMs { return nil }
            reach = max(reach, s.toMs)
        }
        return reach
    }

    public func covers(fromMs: Int64, toMs: Int64) -> Bool { firstUncovered(fromMs: fromMs, toMs: toMs) == nil }
}
