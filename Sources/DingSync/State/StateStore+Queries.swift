import DingSyncMapping
import MySQLClient

/// Read queries of the operator commands (`status`, `check`, `remap`) over the state tables.
extension StateStore {
    public struct RejectRecord: Sendable, Equatable {
        public var instanceId: String
        public var column: String
        public var rawValue: String?
        public var reason: String
        public var attempts: Int
        public var lastSeenMs: Int64?
    }

    public struct RunRecord: Sendable, Equatable {
        public var id: Int64
        public var mode: String
        public var startedMs: Int64?
        public var finishedMs: Int64?
        public var status: String
        public var exitCode: Int?
        public var listed, fetched, written, skipped, rejected, apiCalls: Int
        public var error: String?
    }

    /// Which of `names` exist in the connection's current database.
    public func existingTables(_ names: [String] = StateStore.tableNames) throws -> Set<String> {
        let rows = try db.query("SELECT `TABLE_NAME` FROM information_schema.`TABLES` WHERE `TABLE_SCHEMA` = DATABASE()")
        let have = Set(rows.compactMap { $0.first ?? nil }.map { $0.lowercased() })
        return Set(names.filter { have.contains($0.lowercased()) })
    }

    /// Instances stored as not final; with `sinceMs`, only those a sync still re-fetches.
    public func openInstanceCount(sinceMs: Int64? = nil) throws -> Int {
        var sql = "SELECT COUNT(*) FROM `dingsync_instances` WHERE `job` = ? AND `is_final` = 0"
        var params: [MySQLValue] = [.text(job)]
        if let sinceMs { sql += " AND `create_time_ms` >= ?"; params.append(.int(sinceMs)) }
        return try db.prepare(sql).query(params).first?.first?.flatMap { Int($0) } ?? 0
    }

    public func storedInstanceCount() throws -> Int {
        try db.prepare("SELECT COUNT(*) FROM `dingsync_instances` WHERE `job` = ?").query([.text(job)])
            .first?.first?.flatMap { Int($0) } ?? 0
    }

    public func pendingRejects(limit: Int) throws -> (total: Int, records: [RejectRecord]) {
        let total = try db.prepare("SELECT COUNT(*) FROM `dingsync_rejects` WHERE `job` = ?").query([.text(job)])
            .first?.first?.flatMap { Int($0) } ?? 0
        let rows = try db.prepare("""
            SELECT `instance_id`, `column_name`, `raw_value`, `reason`, `attempts`, `last_seen`
            FROM `dingsync_rejects` WHERE `job` = ? ORDER BY `last_seen` DESC, `instance_id` LIMIT ?
            """).query([.text(job), .int(Int64(limit))])
        let records = rows.map { r in
            RejectRecord(instanceId: r[0] ?? "", column: r[1] ?? "", rawValue: r[2], reason: r[3] ?? "",
                         attempts: r[4].flatMap { Int($0) } ?? 0, lastSeenMs: Self.ms(r[5]))
        }
        return (total, records)
    }

    /// The earliest last try among the recorded rejects (0 for one never tried or not on the
    /// reject schedule), nil when there is none: when the next refetch of them falls due.
    public func oldestRejectTryMs() throws -> Int64? {
        try db.prepare("""
            SELECT MIN(COALESCE(p.`last_try_ms`, 0)) FROM `dingsync_rejects` r LEFT JOIN `dingsync_pending` p
              ON p.`job` = r.`job` AND p.`instance_id` = r.`instance_id` AND p.`reason` = 'reject' WHERE r.`job` = ?
            """).query([.text(job)]).first?.first?.flatMap { Int64($0) }
    }

    public func recentRuns(limit: Int) throws -> [RunRecord] {
        let rows = try db.prepare("""
            SELECT `id`, `mode`, `started_at`, `finished_at`, `status`, `exit_code`,
              `listed`, `fetched`, `written`, `skipped`, `rejected`, `api_calls`, `error`
            FROM `dingsync_runs` WHERE `job` = ? ORDER BY `id` DESC LIMIT ?
            """).query([.text(job), .int(Int64(limit))])
        return rows.map { r in
            func n(_ i: Int) -> Int { r[i].flatMap { Int($0) } ?? 0 }
            return RunRecord(id: r[0].flatMap { Int64($0) } ?? 0, mode: r[1] ?? "", startedMs: Self.ms(r[2]),
                             finishedMs: Self.ms(r[3]), status: r[4] ?? "", exitCode: r[5].flatMap { Int($0) },
                             listed: n(6), fetched: n(7), written: n(8), skipped: n(9), rejected: n(10),
                             apiCalls: n(11), error: r[12])
        }
    }

    /// One page of stored details in instance-id order (keyset paging on the primary key, so a
    /// page costs the same however far in), optionally only those created in `[fromMs, toMs)`.
    public func storedDetails(after: String?, fromMs: Int64?, toMs: Int64?, limit: Int) throws -> [(id: String, detail: String)] {
        var sql = "SELECT `instance_id`, `detail` FROM `dingsync_instances` WHERE `job` = ?"
        var params: [MySQLValue] = [.text(job)]
        if let after { sql += " AND `instance_id` > ?"; params.append(.text(after)) }
        if let fromMs { sql += " AND `create_time_ms` >= ?"; params.append(.int(fromMs)) }
        if let toMs { sql += " AND `create_time_ms` < ?"; params.append(.int(toMs)) }
        sql += " ORDER BY `instance_id` LIMIT ?"
        params.append(.int(Int64(limit)))
        return try db.prepare(sql).query(params).compactMap { r in
            guard let id = r[0], let detail = r[1] else { return nil }
            return (id, detail)
        }
    }

    /// A recorded DATETIME (UTC, from the tool clock) → epoch ms.
    static func ms(_ text: String??) -> Int64? { utcMs(text ?? nil) }
}
