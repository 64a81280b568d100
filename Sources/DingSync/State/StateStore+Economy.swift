import Foundation
import MySQLClient

/// The state tables of the economy: what is owed a `get` (pending), the call ledger, the
/// listing schedule, and per app key the cached token and a quota block. Every time written
/// here comes from the tool's clock, never from the database server's.
extension StateStore {
    // MARK: snapshot

    public func snapshot(nowMs: Int64, resyncOpenMs: Int64, hourOffsetMs: Int64? = nil) throws -> JobSnapshot {
        var s = JobSnapshot()
        s.watermarkMs = try watermark()
        s.lastListedMs = try db.prepare("SELECT `last_listed_ms` FROM `dingsync_schedule` WHERE `job` = ?")
            .query([.text(job)]).first?.first.flatMap { $0.flatMap { Int64($0) } }
        // Rows are read one at a time into their values (a first sync's catch-up reads tens
        // of thousands of pending rows: never all of them as text at once).
        try db.prepare("""
            SELECT i.`instance_id`, i.`create_time_ms`, i.`fetched_at_ms`, r.`confirmed_ms` FROM `dingsync_instances` i
            LEFT JOIN `dingsync_running` r ON r.`job` = i.`job` AND r.`instance_id` = i.`instance_id`
            WHERE i.`job` = ? AND i.`is_final` = 0 AND i.`create_time_ms` >= ?
            """).forEachRow([.text(job), .int(nowMs - resyncOpenMs)]) { r in
            guard let id = r[0], let c = r[1].flatMap({ Int64($0) }), let f = r[2].flatMap({ Int64($0) }) else { return }
            s.open.append(OpenInstance(id: sharedIds?.shared(id) ?? id, createdMs: c, checkedMs: f, confirmedMs: r[3].flatMap { Int64($0) }))
        }
        s.pending = try pending()
        // Rejects recorded before the pending table existed are due at once.
        let rejects = try db.prepare("SELECT `instance_id` FROM `dingsync_rejects` WHERE `job` = ?").query([.text(job)])
        if !rejects.isEmpty {
            let known = Set(s.pending.map(\.id))
            for r in rejects {
                if let id = r[0] ?? nil, !known.contains(id) { s.pending.append(PendingInstance(id: id, reason: .reject, seenMs: nowMs)) }
            }
        }
        // Owed by a push: due now, whatever else the id was owed (a follow-up keeps its rank).
        for e in try owedEventsIfRecorded() {
            if let i = s.pending.firstIndex(where: { $0.id == e.id }) {
                if s.pending[i].reason != .followUp, s.pending[i].reason != .abandoned {
                    s.pending[i] = PendingInstance(id: e.id, reason: .event, seenMs: e.receivedMs)
                }
            } else {
                s.pending.append(PendingInstance(id: e.id, reason: .event, seenMs: e.receivedMs))
            }
        }
        s.coverage = try eventCoverageIfRecorded(sinceMs: nowMs - resyncOpenMs, nowMs: nowMs)
        // `is_final` named so the count is read from the open_instances index alone: by the
        // primary key it read every stored row of the job (their details too), on every run.
        // A job followed by push needs the count per hour of day: one read gives both.
        let since = nowMs - 30 * RevisitPolicy.day
        let stored: Int
        if let offset = hourOffsetMs {
            var hours = [Int](repeating: 0, count: 24)
            for r in try db.prepare("""
                SELECT ((`create_time_ms` + ?) DIV 3600000) % 24, COUNT(*) FROM `dingsync_instances`
                WHERE `job` = ? AND `is_final` IN (0, 1) AND `create_time_ms` >= ? GROUP BY 1
                """).query([.int(offset), .text(job), .int(since)]) {
                if let h = r[0].flatMap({ Int($0) }), let n = r[1].flatMap({ Int($0) }), (0..<24).contains(h) { hours[h] = n }
            }
            s.arrivalsByHour = hours
            stored = hours.reduce(0, +)
        } else {
            stored = try db.prepare("SELECT COUNT(*) FROM `dingsync_instances` WHERE `job` = ? AND `is_final` IN (0, 1) AND `create_time_ms` >= ?")
                .query([.text(job), .int(since)]).first?.first.flatMap { $0.flatMap { Int($0) } } ?? 0
        }
        s.arrivalsLast30Days = stored + s.pending.count(where: { $0.reason == .new })
        return s
    }

    public func pending() throws -> [PendingInstance] {
        var out: [PendingInstance] = []
        try db.prepare("SELECT `instance_id`, `reason`, `seen_ms`, `tries`, `last_try_ms`, `first_fail_ms` FROM `dingsync_pending` WHERE `job` = ?")
            .forEachRow([.text(job)]) { r in
                guard let id = r[0], let reason = r[1].flatMap({ PendingInstance.Reason(rawValue: $0) }),
                      let seen = r[2].flatMap({ Int64($0) }) else { return }
                out.append(PendingInstance(id: sharedIds?.shared(id) ?? id, reason: reason, seenMs: seen, tries: r[3].flatMap { Int($0) } ?? 0,
                                           lastTryMs: r[4].flatMap { Int64($0) }, firstFailMs: r[5].flatMap { Int64($0) }))
            }
        return out
    }

    // MARK: pending

    /// Of `ids`, those with a stored copy (any status): a re-listed id is not new.
    public func storedIds(among ids: [String]) throws -> Set<String> {
        try idsMatching(ids, sql: "SELECT `instance_id` FROM `dingsync_instances` WHERE `job` = ? AND `instance_id` IN")
    }

    public func pendingIds(among ids: [String]) throws -> Set<String> {
        try idsMatching(ids, sql: "SELECT `instance_id` FROM `dingsync_pending` WHERE `job` = ? AND `instance_id` IN")
    }

    /// Listed ids become owed a first `get`; ids already owed one keep their entry.
    public func addPending(_ ids: [String], reason: PendingInstance.Reason, nowMs: Int64) throws {
        for chunk in Self.chunks(ids) {
            let sql = "INSERT IGNORE INTO `dingsync_pending` (`job`, `instance_id`, `reason`, `seen_ms`) VALUES "
                + Array(repeating: "(?, ?, ?, ?)", count: chunk.count).joined(separator: ",")
            try db.prepare(sql).execute(chunk.flatMap { [.text(job), .text($0), .text(reason.rawValue), .int(nowMs)] as [MySQLValue] })
        }
    }

    /// A follow-up outranks whatever else the id was owed: its stored copy is stale.
    public func addFollowUp(_ id: String, nowMs: Int64) throws {
        try db.prepare("""
            INSERT INTO `dingsync_pending` (`job`, `instance_id`, `reason`, `seen_ms`) VALUES (?, ?, 'followup', ?)
            ON DUPLICATE KEY UPDATE `reason` = IF(`reason` = 'abandoned', `reason`, 'followup')
            """).execute([.text(job), .text(id), .int(nowMs)])
    }

    /// Fetched (or, with `only`, remapped): no longer owed a get for those reasons.
    public func settle(_ ids: [String], only reasons: [PendingInstance.Reason]? = nil) throws {
        let filter = reasons.map { " AND `reason` IN (\($0.map { "'\($0.rawValue)'" }.joined(separator: ",")))" } ?? ""
        for chunk in Self.chunks(ids) {
            try db.prepare("DELETE FROM `dingsync_pending` WHERE `job` = ?\(filter) AND `instance_id` IN (\(Self.marks(chunk.count)))")
                .execute([.text(job)] + chunk.map { .text($0) })
        }
    }

    /// A mapping or MySQL reject: retried on the reject schedule. A "gone" answer's reject row
    /// does not reset the gone count (that schedule is markGone's).
    public func markRejected(_ id: String, nowMs: Int64) throws {
        try db.prepare("""
            INSERT INTO `dingsync_pending` (`job`, `instance_id`, `reason`, `seen_ms`, `last_try_ms`) VALUES (?, ?, 'reject', ?, ?)
            ON DUPLICATE KEY UPDATE `last_try_ms` = IF(`reason` IN ('gone', 'abandoned'), `last_try_ms`, VALUES(`last_try_ms`)),
              `reason` = IF(`reason` IN ('gone', 'abandoned'), `reason`, 'reject')
            """).execute([.text(job), .text(id), .int(nowMs), .int(nowMs)])
    }

    /// A `gone` answer: counted; after enough of them over long enough, given up for good.
    /// Returns true when the instance was just abandoned.
    @discardableResult
    public func markGone(_ id: String, nowMs: Int64, policy: RevisitPolicy) throws -> Bool {
        try db.prepare("""
            INSERT INTO `dingsync_pending` (`job`, `instance_id`, `reason`, `seen_ms`, `tries`, `last_try_ms`, `first_fail_ms`)
            VALUES (?, ?, 'gone', ?, 1, ?, ?)
            ON DUPLICATE KEY UPDATE `tries` = IF(`reason` = 'gone', `tries` + 1, 1),
              `first_fail_ms` = IF(`reason` = 'gone', COALESCE(`first_fail_ms`, VALUES(`first_fail_ms`)), VALUES(`first_fail_ms`)),
              `last_try_ms` = VALUES(`last_try_ms`), `reason` = 'gone'
            """).execute([.text(job), .text(id), .int(nowMs), .int(nowMs), .int(nowMs)])
        let r = try db.prepare("SELECT `tries`, `first_fail_ms` FROM `dingsync_pending` WHERE `job` = ? AND `instance_id` = ?")
            .query([.text(job), .text(id)]).first
        let tries = r?[0].flatMap { Int($0) } ?? 0
        let first = r?[1].flatMap { Int64($0) } ?? nowMs
        guard tries >= policy.goneAnswers, nowMs - first >= policy.goneSpanMs else { return false }
        try db.prepare("UPDATE `dingsync_pending` SET `reason` = 'abandoned' WHERE `job` = ? AND `instance_id` = ?")
            .execute([.text(job), .text(id)])
        try clearRejects([id])
        return true
    }

    /// Rejected instances whose detail is stored: remapped for free on every run.
    public func storedRejects() throws -> [(id: String, detail: String)] {
        try db.prepare("""
            SELECT i.`instance_id`, i.`detail` FROM `dingsync_rejects` r
            JOIN `dingsync_instances` i ON i.`job` = r.`job` AND i.`instance_id` = r.`instance_id`
            WHERE r.`job` = ? ORDER BY i.`instance_id`
            """).query([.text(job)]).compactMap { r in
            guard let id = r[0], let d = r[1] else { return nil }
            return (id, d)
        }
    }

    public func abandonedIds() throws -> [String] {
        try db.prepare("SELECT `instance_id` FROM `dingsync_pending` WHERE `job` = ? AND `reason` = 'abandoned' ORDER BY `instance_id`")
            .query([.text(job)]).compactMap { $0.first ?? nil }
    }

    // MARK: v1 RUNNING listings

    /// A RUNNING listing returned these open instances: confirmed open at `nowMs`.
    public func confirmRunning(_ ids: [String], nowMs: Int64) throws {
        for chunk in Self.chunks(ids) {
            let sql = "INSERT INTO `dingsync_running` (`job`, `instance_id`, `confirmed_ms`) VALUES "
                + Array(repeating: "(?, ?, ?)", count: chunk.count).joined(separator: ",")
                + " ON DUPLICATE KEY UPDATE `confirmed_ms` = VALUES(`confirmed_ms`)"
            try db.prepare(sql).execute(chunk.flatMap { [.text(job), .text($0), .int(nowMs)] as [MySQLValue] })
        }
    }

    /// Confirmations of instances now stored as final are of no further use.
    public func forgetRunning(_ ids: [String]) throws {
        for chunk in Self.chunks(ids) {
            try db.prepare("DELETE FROM `dingsync_running` WHERE `job` = ? AND `instance_id` IN (\(Self.marks(chunk.count)))")
                .execute([.text(job)] + chunk.map { .text($0) })
        }
    }

    // MARK: schedule

    public func setLastListed(_ ms: Int64) throws {
        try db.prepare("INSERT INTO `dingsync_schedule` (`job`, `last_listed_ms`) VALUES (?, ?) ON DUPLICATE KEY UPDATE `last_listed_ms` = VALUES(`last_listed_ms`)")
            .execute([.text(job), .int(ms)])
    }

    /// True once per Beijing month: the caller sends the 80 % warning.
    public func claimBudgetAlert(month: String) throws -> Bool {
        let current = try db.prepare("SELECT `alerted_month` FROM `dingsync_schedule` WHERE `job` = ?").query([.text(job)])
            .first?.first ?? nil
        guard current != month else { return false }
        try db.prepare("INSERT INTO `dingsync_schedule` (`job`, `alerted_month`) VALUES (?, ?) ON DUPLICATE KEY UPDATE `alerted_month` = VALUES(`alerted_month`)")
            .execute([.text(job), .text(month)])
        return true
    }

    // MARK: ledger

    public func addCalls(_ calls: [String: Int], month: String, appKeyId: String, nowMs: Int64) throws {
        let nonZero = calls.filter { $0.value > 0 }.sorted { $0.key < $1.key }
        guard !nonZero.isEmpty else { return }
        let sql = "INSERT INTO `dingsync_ledger` (`job`, `month`, `endpoint`, `app_key_id`, `calls`, `updated_ms`) VALUES "
            + Array(repeating: "(?, ?, ?, ?, ?, ?)", count: nonZero.count).joined(separator: ",")
            + " ON DUPLICATE KEY UPDATE `calls` = `calls` + VALUES(`calls`), `updated_ms` = VALUES(`updated_ms`)"
        try db.prepare(sql).execute(nonZero.flatMap {
            [.text(job), .text(month), .text($0.key), .text(appKeyId), .int(Int64($0.value)), .int(nowMs)] as [MySQLValue]
        })
    }

    /// This job's calls of a month by endpoint.
    public func monthCalls(month: String) throws -> [String: Int] {
        var out: [String: Int] = [:]
        for r in try db.prepare("SELECT `endpoint`, `calls` FROM `dingsync_ledger` WHERE `job` = ? AND `month` = ?").query([.text(job), .text(month)]) {
            if let e = r[0], let n = r[1].flatMap({ Int($0) }) { out[e] = n }
        }
        return out
    }

    /// Metered calls of a month by job, for every job of this database sharing the app key.
    public func appMonthCalls(appKeyId: String, month: String) throws -> [String: Int] {
        var out: [String: Int] = [:]
        for r in try db.prepare("""
            SELECT `job`, SUM(`calls`) FROM `dingsync_ledger` WHERE `app_key_id` = ? AND `month` = ? AND `endpoint` <> 'token' GROUP BY `job`
            """).query([.text(appKeyId), .text(month)]) {
            if let j = r[0], let n = r[1].flatMap({ Int($0) }) { out[j] = n }
        }
        return out
    }

    // MARK: per app key: token and quota block

    public func sealedToken(appKeyId: String) throws -> (sealed: String, expiresMs: Int64)? {
        guard let r = try db.prepare("SELECT `token_sealed`, `token_expires_ms` FROM `dingsync_app` WHERE `app_key_id` = ?")
            .query([.text(appKeyId)]).first, let s = r[0], let e = r[1].flatMap({ Int64($0) }) else { return nil }
        return (s, e)
    }

    public func storeSealedToken(appKeyId: String, sealed: String, expiresMs: Int64) throws {
        try db.prepare("""
            INSERT INTO `dingsync_app` (`app_key_id`, `token_sealed`, `token_expires_ms`) VALUES (?, ?, ?)
            ON DUPLICATE KEY UPDATE `token_sealed` = VALUES(`token_sealed`), `token_expires_ms` = VALUES(`token_expires_ms`)
            """).execute([.text(appKeyId), .text(sealed), .int(expiresMs)])
    }

    public func quotaBlock(appKeyId: String) throws -> (untilMs: Int64, reason: String)? {
        guard let r = try db.prepare("SELECT `blocked_until_ms`, `blocked_reason` FROM `dingsync_app` WHERE `app_key_id` = ?")
            .query([.text(appKeyId)]).first, let u = r[0].flatMap({ Int64($0) }) else { return nil }
        return (u, r[1] ?? "")
    }

    public func setQuotaBlock(appKeyId: String, untilMs: Int64, reason: String) throws {
        try db.prepare("""
            INSERT INTO `dingsync_app` (`app_key_id`, `blocked_until_ms`, `blocked_reason`) VALUES (?, ?, ?)
            ON DUPLICATE KEY UPDATE `blocked_until_ms` = VALUES(`blocked_until_ms`), `blocked_reason` = VALUES(`blocked_reason`)
            """).execute([.text(appKeyId), .int(untilMs), .text(reason)])
    }

    public func quotaProbedMs(appKeyId: String) throws -> Int64? {
        try db.prepare("SELECT `probed_ms` FROM `dingsync_probe` WHERE `app_key_id` = ?").query([.text(appKeyId)])
            .first?.first?.flatMap { Int64($0) }
    }

    public func recordQuotaProbe(appKeyId: String, nowMs: Int64) throws {
        try db.prepare("INSERT INTO `dingsync_probe` (`app_key_id`, `probed_ms`) VALUES (?, ?) ON DUPLICATE KEY UPDATE `probed_ms` = VALUES(`probed_ms`)")
            .execute([.text(appKeyId), .int(nowMs)])
    }

    public func clearQuotaBlock(appKeyId: String) throws {
        try db.prepare("UPDATE `dingsync_app` SET `blocked_until_ms` = NULL, `blocked_reason` = NULL WHERE `app_key_id` = ?")
            .execute([.text(appKeyId)])
    }

    // MARK: helpers

    func idsMatching(_ ids: [String], sql: String) throws -> Set<String> {
        var out: Set<String> = []
        for chunk in Self.chunks(ids) {
            for r in try db.prepare("\(sql) (\(Self.marks(chunk.count)))").query([.text(job)] + chunk.map { .text($0) }) {
                if let id = r.first ?? nil { out.insert(id) }
            }
        }
        return out
    }

    static func chunks(_ ids: [String], size: Int = 500) -> [ArraySlice<String>] {
        stride(from: 0, to: ids.count, by: size).map { ids[$0..<min($0 + size, ids.count)] }
    }

    static func marks(_ n: Int) -> String { Array(repeating: "?", count: n).joined(separator: ",") }
}
