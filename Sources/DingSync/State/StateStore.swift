import DingSyncMapping
import Foundation
import MySQLClient

/// The tool's own tables, beside the data: the watermark, every instance seen (with its last
/// detail, for skipping unchanged work and for remapping), pending rejects and the run log.
/// They live in the target database so that data and state commit in one transaction.
public final class StateStore {
    public static let tableNames = ["dingsync_state", "dingsync_instances", "dingsync_rejects", "dingsync_runs",
                                          "dingsync_pending", "dingsync_ledger", "dingsync_schedule", "dingsync_app",
                                          "dingsync_running", "dingsync_events", "dingsync_stream_spans", "dingsync_stream",
                                          "dingsync_event_days", "dingsync_probe"]

    let db: MySQLConnection
    let job: String
    /// Ids the run already holds: the snapshot's rows share their text (see `SharedIds`).
    var sharedIds: SharedIds?

    public init(db: MySQLConnection, job: String) {
        self.db = db
        self.job = job
    }


    public func createTables() throws {
        for sql in Self.allDDL { try db.execute(sql) }
    }

    /// One run per job at a time. GET_LOCK belongs to this connection, so the lock dies with
    /// the process: a crashed run never blocks the next one.
    public func lock() throws -> Bool {
        let rows = try db.prepare("SELECT GET_LOCK(?, 0)").query([.text(lockName)])
        return rows.first?.first??.hasPrefix("1") ?? false
    }

    /// Said to the server before the connection closes: a closed connection's lock is freed
    /// only once the server has handled the disconnect, and a `watch` pass that followed the
    /// last at once found it still held (once in 7,068 passes of the benchmark). A lock this
    /// connection does not hold is left alone (RELEASE_LOCK answers 0 or NULL).
    public func unlock() throws {
        _ = try db.prepare("SELECT RELEASE_LOCK(?)").query([.text(lockName)])
    }

    var lockName: String { "dingsync:\(job)" }

    public func watermark() throws -> Int64? {
        let rows = try db.prepare("SELECT `watermark_ms` FROM `dingsync_state` WHERE `job` = ?").query([.text(job)])
        return rows.first?.first.flatMap { $0.flatMap { Int64($0) } }
    }

    /// Called inside the transaction that commits the data the watermark vouches for.
    public func setWatermark(_ ms: Int64, nowMs: Int64) throws {
        try db.prepare("INSERT INTO `dingsync_state` (`job`, `watermark_ms`, `updated_at`) VALUES (?, ?, ?) ON DUPLICATE KEY UPDATE `watermark_ms` = VALUES(`watermark_ms`), `updated_at` = VALUES(`updated_at`)")
            .execute([.text(job), .int(ms), .text(Self.utcText(nowMs))])
    }

    /// Of the given ids, the ones stored as final: those need no `get` (the quota is scarce).
    /// A rejected instance's stored copy is final too, but its row is not written: not skipped.
    public func finalIds(among ids: [String]) throws -> Set<String> {
        let final = try idsMatching(ids, sql: "SELECT `instance_id` FROM `dingsync_instances` WHERE `job` = ? AND `is_final` = 1 AND `instance_id` IN")
        let rejected = try idsMatching(Array(final), sql: "SELECT `instance_id` FROM `dingsync_rejects` WHERE `job` = ? AND `instance_id` IN")
        return final.subtracting(rejected)
    }

    public func rejectCount() throws -> Int {
        try db.prepare("SELECT COUNT(*) FROM `dingsync_rejects` WHERE `job` = ?").query([.text(job)]).first?.first.flatMap { $0.flatMap { Int($0) } } ?? 0
    }

    public func recordInstances(_ details: [InstanceDetail], nowMs: Int64) throws {
        guard !details.isEmpty else { return }
        let tuple = "(?, ?, ?, ?, ?, ?, ?)"
        let sql = "REPLACE INTO `dingsync_instances` (`job`, `instance_id`, `create_time_ms`, `status`, `is_final`, `fetched_at_ms`, `detail`) VALUES "
            + Array(repeating: tuple, count: details.count).joined(separator: ",")
        var params: [MySQLValue] = []
        params.reserveCapacity(details.count * 7)
        for d in details {
            let created = d.attributes["create_time"].flatMap(DingTalkTime.parseBeijing)
            params += [.text(job), .text(d.id), created.map { .int($0) } ?? .null, d.status.map { .text($0) } ?? .null,
                       .int(d.isFinal ? 1 : 0), .int(nowMs), .text(d.rawJSON)]
        }
        try db.prepare(sql).execute(params)
    }

    public func recordReject(_ r: MappingReject, nowMs: Int64) throws {
        let now = Self.utcText(nowMs)
        try db.prepare("""
            INSERT INTO `dingsync_rejects` (`job`, `instance_id`, `column_name`, `raw_value`, `reason`, `first_seen`, `last_seen`) VALUES (?, ?, ?, ?, ?, ?, ?)
            ON DUPLICATE KEY UPDATE `column_name` = VALUES(`column_name`), `raw_value` = VALUES(`raw_value`),
              `reason` = VALUES(`reason`), `attempts` = `attempts` + 1, `last_seen` = VALUES(`last_seen`)
            """).execute([.text(job), .text(r.instanceId), .text(String(r.column.prefix(64))),
                          r.rawValue.map { .text($0) } ?? .null, .text(r.reason), .text(now), .text(now)])
    }

    public func clearRejects(_ ids: [String]) throws {
        guard !ids.isEmpty else { return }
        let marks = Array(repeating: "?", count: ids.count).joined(separator: ",")
        try db.prepare("DELETE FROM `dingsync_rejects` WHERE `job` = ? AND `instance_id` IN (\(marks))")
            .execute([.text(job)] + ids.map { .text($0) })
    }

    public func startRun(mode: String, fromMs: Int64?, toMs: Int64?, nowMs: Int64) throws -> Int64? {
        try db.prepare("INSERT INTO `dingsync_runs` (`job`, `mode`, `from_ms`, `to_ms`, `started_at`) VALUES (?, ?, ?, ?, ?)")
            .execute([.text(job), .text(mode), fromMs.map { .int($0) } ?? .null, toMs.map { .int($0) } ?? .null, .text(Self.utcText(nowMs))])
        return try db.query("SELECT LAST_INSERT_ID()").first?.first?.flatMap { Int64($0) }
    }

    public func finishRun(id: Int64, summary: RunSummary, status: ExitStatus, error: String?, nowMs: Int64) throws {
        try db.prepare("""
            UPDATE `dingsync_runs` SET `finished_at` = ?, `status` = ?, `exit_code` = ?, `listed` = ?,
              `fetched` = ?, `written` = ?, `skipped` = ?, `rejected` = ?, `api_calls` = ?, `calls_token` = ?, `calls_listids` = ?, `calls_get` = ?, `retries` = ?, `error` = ?,
              `windows` = ?
            WHERE `id` = ?
            """).execute([.text(Self.utcText(nowMs)), .text(status == .ok ? "ok" : (status == .rejects ? "rejects" : "failed")), .int(Int64(status.rawValue)),
                          .int(Int64(summary.listed)), .int(Int64(summary.fetched)), .int(Int64(summary.written)),
                          .int(Int64(summary.skipped)), .int(Int64(summary.rejected)), .int(Int64(summary.calls.total)),
                          .int(Int64(summary.calls.token)), .int(Int64(summary.calls.listing)), .int(Int64(summary.calls.details)),
                          .int(Int64(summary.calls.retries)), error.map { .text($0) } ?? .null,
                          .text(Self.windowsJSON(summary.windowStats)), .int(id)])
    }

    /// The tool clock's instant as a UTC DATETIME text: recorded times never come from the
    /// database server's clock or session time zone.
    static func utcText(_ ms: Int64) -> String {
        LocalDateTime(epochMs: ms, timeZone: Self.utc).description
    }

    /// The reverse of `utcText` (a DATETIME read back as text).
    static func utcMs(_ text: String?) -> Int64? {
        guard let text, let beijing = DingTalkTime.parseBeijing(String(text.prefix(19))) else { return nil }
        return beijing + 8 * 3_600_000
    }
    static let utc = TimeZone(identifier: "UTC")!

    static func windowsJSON(_ stats: [WindowStats]) -> String {
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys]
        return (try? enc.encode(stats)).map { String(decoding: $0, as: UTF8.self) } ?? "[]"
    }
}
