import Foundation
import MySQLClient

/// What `watch` records of DingTalk Stream: each pushed event (owed a get until one brings its
/// change into the table), the spans during which the connection was up and healthy (when a
/// close would have been pushed), the connection's state for `status`, and per Beijing day the
/// events, duplicates and the closes polling found that no event announced (missed pushes).
extension StateStore {
    static let eventsDDL: [String] = [
        """
        CREATE TABLE IF NOT EXISTS `dingsync_events` (
          `job` VARCHAR(64) NOT NULL,
          `event_id` VARCHAR(128) NOT NULL,
          `instance_id` VARCHAR(128) NOT NULL,
          `type` VARCHAR(16) NOT NULL COMMENT 'start | finish | terminate',
          `received_ms` BIGINT NOT NULL COMMENT 'tool clock',
          `served_ms` BIGINT NULL COMMENT 'when a get brought the change into the table',
          PRIMARY KEY (`job`, `event_id`),
          KEY `owed` (`job`, `served_ms`),
          KEY `by_instance` (`job`, `instance_id`)
        ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin
        """,
        """
        CREATE TABLE IF NOT EXISTS `dingsync_stream_spans` (
          `job` VARCHAR(64) NOT NULL,
          `from_ms` BIGINT NOT NULL COMMENT 'tool clock: the connection was up and healthy from here',
          `to_ms` BIGINT NOT NULL COMMENT 'to here (moved on while it stays up)',
          PRIMARY KEY (`job`, `from_ms`)
        ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin
        """,
        """
        CREATE TABLE IF NOT EXISTS `dingsync_stream` (
          `job` VARCHAR(64) NOT NULL PRIMARY KEY,
          `state` VARCHAR(16) NOT NULL COMMENT 'up | down | quota',
          `since_ms` BIGINT NOT NULL,
          `heartbeat_ms` BIGINT NOT NULL COMMENT 'the watch that holds the connection was alive then',
          `last_event_ms` BIGINT NULL,
          `quota_until_ms` BIGINT NULL COMMENT 'push quota stopped (20001) until this instant'
        ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin
        """,
        """
        CREATE TABLE IF NOT EXISTS `dingsync_event_days` (
          `job` VARCHAR(64) NOT NULL,
          `day` CHAR(10) NOT NULL COMMENT 'Beijing date',
          `events` INT NOT NULL DEFAULT 0 COMMENT 'pushes of this form received (first deliveries)',
          `duplicates` INT NOT NULL DEFAULT 0,
          `missed` INT NOT NULL DEFAULT 0 COMMENT 'closes polling found inside an up span, never pushed',
          PRIMARY KEY (`job`, `day`)
        ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin
        """,
    ]

    // MARK: events

    /// Records a pushed event before it is acknowledged. Returns false for a duplicate
    /// (same `eventId` already recorded): DingTalk delivers at least once.
    @discardableResult
    public func recordEvent(id eventId: String, instanceId: String, type: String, nowMs: Int64) throws -> Bool {
        let fresh = try db.prepare("""
            INSERT IGNORE INTO `dingsync_events` (`job`, `event_id`, `instance_id`, `type`, `received_ms`) VALUES (?, ?, ?, ?, ?)
            """).execute([.text(job), .text(eventId), .text(instanceId), .text(type), .int(nowMs)]) > 0
        let column = fresh ? "events" : "duplicates"
        try db.prepare("""
            INSERT INTO `dingsync_event_days` (`job`, `day`, `\(column)`) VALUES (?, ?, 1)
            ON DUPLICATE KEY UPDATE `\(column)` = `\(column)` + 1
            """).execute([.text(job), .text(Self.beijingDay(nowMs))])
        if fresh {
            try db.prepare("UPDATE `dingsync_stream` SET `last_event_ms` = ? WHERE `job` = ?").execute([.int(nowMs), .text(job)])
        }
        return fresh
    }

    /// Instances owed a get by an event no get has served yet, with when the first came.
    public func owedEvents() throws -> [(id: String, receivedMs: Int64)] {
        try db.prepare("""
            SELECT `instance_id`, MIN(`received_ms`) FROM `dingsync_events` WHERE `job` = ? AND `served_ms` IS NULL GROUP BY `instance_id`
            """).query([.text(job)]).compactMap { r in
            guard let id = r[0], let ms = r[1].flatMap({ Int64($0) }) else { return nil }
            return (id, ms)
        }
    }

    /// A get brought these instances into the table. A close event is served only by a final
    /// copy: a get that raced the close (and still saw it running) leaves the event owed.
    public func serveEvents(fetched: [String], final: Set<String>, nowMs: Int64) throws {
        for chunk in Self.chunks(fetched) {
            let finals = chunk.filter { final.contains($0) }
            try db.prepare("""
                UPDATE `dingsync_events` SET `served_ms` = ? WHERE `job` = ? AND `served_ms` IS NULL AND `type` = 'start'
                AND `instance_id` IN (\(Self.marks(chunk.count)))
                """).execute([.int(nowMs), .text(job)] + chunk.map { .text($0) })
            // A close event whose get keeps seeing the instance open (DingTalk's replicas lag, or
            // the event was wrong) is left to the revisit policy after an hour, not fetched on
            // every pass.
            try db.prepare("""
                UPDATE `dingsync_events` SET `served_ms` = ? WHERE `job` = ? AND `served_ms` IS NULL AND `received_ms` < ?
                AND `instance_id` IN (\(Self.marks(chunk.count)))
                """).execute([.int(nowMs), .text(job), .int(nowMs - RevisitPolicy.hour)] + chunk.map { .text($0) })
            guard !finals.isEmpty else { continue }
            try db.prepare("""
                UPDATE `dingsync_events` SET `served_ms` = ? WHERE `job` = ? AND `served_ms` IS NULL
                AND `instance_id` IN (\(Self.marks(finals.count)))
                """).execute([.int(nowMs), .text(job)] + finals.map { .text($0) })
        }
        // Dedup needs the ids of recent events only; a served one older than 60 days is history.
        try db.prepare("DELETE FROM `dingsync_events` WHERE `job` = ? AND `served_ms` < ? LIMIT 1000")
            .execute([.text(job), .int(nowMs - 60 * RevisitPolicy.day)])
    }

    /// Of these ids (fetched now and final), the stored copies that were still open and that
    /// no close event announced: closes found by polling, with the instant they were last
    /// seen open (the close happened after it).
    public func closesWithoutEvent(_ ids: [String]) throws -> [(id: String, lastOpenMs: Int64)] {
        var out: [(String, Int64)] = []
        for chunk in Self.chunks(ids) {
            out += try db.prepare("""
                SELECT i.`instance_id`, i.`fetched_at_ms` FROM `dingsync_instances` i
                WHERE i.`job` = ? AND i.`is_final` = 0 AND i.`instance_id` IN (\(Self.marks(chunk.count)))
                AND NOT EXISTS (SELECT 1 FROM `dingsync_events` e WHERE e.`job` = i.`job` AND e.`instance_id` = i.`instance_id`
                                AND e.`type` IN ('finish', 'terminate'))
                """).query([.text(job)] + chunk.map { .text($0) }).compactMap { r in
                guard let id = r[0], let ms = r[1].flatMap({ Int64($0) }) else { return nil }
                return (id, ms)
            }
        }
        return out
    }

    public func countMissed(_ n: Int, nowMs: Int64) throws {
        guard n > 0 else { return }
        try db.prepare("""
            INSERT INTO `dingsync_event_days` (`job`, `day`, `missed`) VALUES (?, ?, ?) ON DUPLICATE KEY UPDATE `missed` = `missed` + VALUES(`missed`)
            """).execute([.text(job), .text(Self.beijingDay(nowMs)), .int(Int64(n))])
    }

    /// Events, duplicates and missed pushes per Beijing day, from `sinceDay` on.
    public func eventDays(sinceDay: String) throws -> [(day: String, events: Int, duplicates: Int, missed: Int)] {
        try db.prepare("SELECT `day`, `events`, `duplicates`, `missed` FROM `dingsync_event_days` WHERE `job` = ? AND `day` >= ? ORDER BY `day`")
            .query([.text(job), .text(sinceDay)]).compactMap { r in
                guard let d = r[0] ?? nil else { return nil }
                return (d, r[1].flatMap { Int($0) } ?? 0, r[2].flatMap { Int($0) } ?? 0, r[3].flatMap { Int($0) } ?? 0)
            }
    }

    /// The snapshot reads events only where the tables exist: a dry run against an install
    /// older than `watch` has none, and no events either.
    func owedEventsIfRecorded() throws -> [(id: String, receivedMs: Int64)] {
        try hasEventTables() ? owedEvents() : []
    }

    func eventCoverageIfRecorded(sinceMs: Int64, nowMs: Int64) throws -> EventCoverage {
        try hasEventTables() ? eventCoverage(sinceMs: sinceMs, nowMs: nowMs) : EventCoverage()
    }

    private func hasEventTables() throws -> Bool {
        try existingTables(["dingsync_events", "dingsync_stream_spans", "dingsync_stream", "dingsync_event_days"]).count == 4
    }

    // MARK: connection spans

    /// The connection came up (healthy) at `nowMs`: a new span, and the state `up`.
    public func streamUp(nowMs: Int64) throws {
        try db.prepare("INSERT IGNORE INTO `dingsync_stream_spans` (`job`, `from_ms`, `to_ms`) VALUES (?, ?, ?)")
            .execute([.text(job), .int(nowMs), .int(nowMs)])
        try setStreamState("up", sinceMs: nowMs, nowMs: nowMs)
    }

    /// Still up at `nowMs` (the span started at `fromMs` reaches here).
    public func streamAlive(spanFromMs: Int64, nowMs: Int64) throws {
        try db.prepare("UPDATE `dingsync_stream_spans` SET `to_ms` = GREATEST(`to_ms`, ?) WHERE `job` = ? AND `from_ms` = ?")
            .execute([.int(nowMs), .text(job), .int(spanFromMs)])
        try db.prepare("UPDATE `dingsync_stream` SET `heartbeat_ms` = ? WHERE `job` = ?").execute([.int(nowMs), .text(job)])
    }

    /// Down (or the push quota stopped) since `lastAliveMs`: the span ends there.
    public func streamDown(spanFromMs: Int64?, lastAliveMs: Int64, state: String = "down", quotaUntilMs: Int64? = nil, nowMs: Int64) throws {
        if let spanFromMs {
            try db.prepare("UPDATE `dingsync_stream_spans` SET `to_ms` = ? WHERE `job` = ? AND `from_ms` = ?")
                .execute([.int(lastAliveMs), .text(job), .int(spanFromMs)])
        }
        try setStreamState(state, sinceMs: lastAliveMs, nowMs: nowMs, quotaUntilMs: quotaUntilMs)
    }

    private func setStreamState(_ state: String, sinceMs: Int64, nowMs: Int64, quotaUntilMs: Int64? = nil) throws {
        try db.prepare("""
            INSERT INTO `dingsync_stream` (`job`, `state`, `since_ms`, `heartbeat_ms`, `quota_until_ms`) VALUES (?, ?, ?, ?, ?)
            ON DUPLICATE KEY UPDATE `state` = VALUES(`state`), `since_ms` = VALUES(`since_ms`), `heartbeat_ms` = VALUES(`heartbeat_ms`),
              `quota_until_ms` = COALESCE(VALUES(`quota_until_ms`), IF(VALUES(`state`) = 'quota', `quota_until_ms`, NULL))
            """).execute([.text(job), .text(state), .int(sinceMs), .int(nowMs), quotaUntilMs.map { .int($0) } ?? .null])
    }

    /// The spans since `sinceMs`, the live one reaching `nowMs` while its watch is alive.
    public func eventCoverage(sinceMs: Int64, nowMs: Int64) throws -> EventCoverage {
        var spans: [EventCoverage.Span] = try db.prepare("""
            SELECT `from_ms`, `to_ms` FROM `dingsync_stream_spans` WHERE `job` = ? AND `to_ms` >= ? ORDER BY `from_ms`
            """).query([.text(job), .int(sinceMs)]).compactMap { r in
            guard let f = r[0].flatMap({ Int64($0) }), let t = r[1].flatMap({ Int64($0) }) else { return nil }
            return EventCoverage.Span(fromMs: f, toMs: t)
        }
        let state = try streamState()
        if let state, state.state == "up", nowMs - state.heartbeatMs <= EventCoverage.heartbeatGraceMs,
           let last = spans.indices.last, spans[last].fromMs == state.sinceMs {
            spans[last].toMs = max(spans[last].toMs, nowMs)
        }
        let today = Self.beijingDay(nowMs)
        let days = try eventDays(sinceDay: Self.beijingDay(nowMs - Int64(EventCoverage.recentDays - 1) * 86_400_000))
        let day = days.last { $0.day == today }
        return EventCoverage(spans: spans, missedToday: day?.missed ?? 0, eventsToday: day?.events ?? 0,
                             missedRecent: days.reduce(0) { $0 + $1.missed }, eventsRecent: days.reduce(0) { $0 + $1.events })
    }

    public struct StreamState: Sendable, Equatable {
        public var state: String
        public var sinceMs: Int64
        public var heartbeatMs: Int64
        public var lastEventMs: Int64?
        public var quotaUntilMs: Int64?
    }

    public func streamState() throws -> StreamState? {
        guard let r = try db.prepare("""
            SELECT `state`, `since_ms`, `heartbeat_ms`, `last_event_ms`, `quota_until_ms` FROM `dingsync_stream` WHERE `job` = ?
            """).query([.text(job)]).first, let s = r[0], let since = r[1].flatMap({ Int64($0) }), let hb = r[2].flatMap({ Int64($0) })
        else { return nil }
        return StreamState(state: s, sinceMs: since, heartbeatMs: hb, lastEventMs: r[3].flatMap { Int64($0) }, quotaUntilMs: r[4].flatMap { Int64($0) })
    }

    static func beijingDay(_ ms: Int64) -> String {
        let d = Date(timeIntervalSince1970: Double(ms + 8 * 3_600_000) / 1000)
        var cal = Calendar(identifier: .gregorian)
        cal.timeZone = TimeZone(identifier: "UTC")!
        let c = cal.dateComponents([.year, .month, .day], from: d)
        return String(format: "%04d-%02d-%02d", c.year!, c.month!, c.day!)
    }
}
