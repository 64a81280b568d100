import Foundation
import DingSyncMapping

/// What `status` says of the job's DingTalk Stream: the connection as `watch` last recorded
/// it, the pushes of this form today and this month (against the organisation's 3,000 a
/// month), duplicates, pushes polling found missing, and the last event.
public struct StreamStatus: Encodable, Sendable, Equatable {
    public var state: String
    public var sinceMs: Int64
    /// False when the watch that recorded `up` stopped heartbeating (killed, host down).
    public var live: Bool
    public var lastEventMs: Int64?
    public var pushQuotaStoppedUntilMs: Int64?
    public var eventsToday = 0
    public var eventsMonth = 0
    public var duplicatesMonth = 0
    public var missedToday = 0
    public var missedMonth = 0
    public static let orgMonthlyPushes = 3_000

    enum CodingKeys: String, CodingKey {
        case state, sinceMs = "since_ms", live, lastEventMs = "last_event_ms", pushQuotaStoppedUntilMs = "push_quota_stopped_until_ms"
        case eventsToday = "events_today", eventsMonth = "events_month", duplicatesMonth = "duplicates_month"
        case missedToday = "missed_today", missedMonth = "missed_month"
    }

    /// Nil when no `watch` has ever held a connection for this job.
    static func load(_ store: StateStore, nowMs: Int64) throws -> StreamStatus? {
        guard try store.existingTables(["dingsync_stream", "dingsync_event_days"]).count == 2,
              let s = try store.streamState() else { return nil }
        var status = StreamStatus(state: s.state, sinceMs: s.sinceMs,
                                  live: s.state != "up" || nowMs - s.heartbeatMs <= EventCoverage.heartbeatGraceMs,
                                  lastEventMs: s.lastEventMs, pushQuotaStoppedUntilMs: s.quotaUntilMs)
        let month = BeijingMonth(containing: nowMs)
        let today = StateStore.beijingDay(nowMs)
        for d in try store.eventDays(sinceDay: StateStore.beijingDay(month.startMs)) {
            status.eventsMonth += d.events
            status.duplicatesMonth += d.duplicates
            status.missedMonth += d.missed
            if d.day == today {
                status.eventsToday = d.events
                status.missedToday = d.missed
            }
        }
        return status
    }

    func lines(timeZone tz: TimeZone) -> [String] {
        let since = TimeParsing.formatLocal(sinceMs, timeZone: tz)
        var state: String
        switch self.state {
        case "up" where live: state = "connected since \(since) (watch)"
        case "up": state = "no heartbeat from watch since \(since)'s connection: the watch is not running; polling finds closes"
        case "quota": state = "pushes stopped: the organisation's monthly push quota is exhausted (polling finds closes until the 1st)"
        default: state = "disconnected since \(since); polling finds closes"
        }
        return [
            "stream:           \(state)",
            "pushes:           \(eventsToday) today, \(eventsMonth) this month (of the organisation's \(Self.orgMonthlyPushes)); \(duplicatesMonth) duplicate(s); \(missedMonth) missed (found by polling, \(missedToday) today)"
                + "; last event \(lastEventMs.map { TimeParsing.formatLocal($0, timeZone: tz) } ?? "none")",
        ]
    }
}
