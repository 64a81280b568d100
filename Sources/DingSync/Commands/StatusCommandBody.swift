import DingSyncMapping
import Foundation
import MySQLClient

/// `status`: where the job stands, from its state tables: the watermark (in the job's zone),
/// open instances, pending rejects with their reasons, and the last runs.
public enum StatusCommandBody {
    public static func run(_ env: CommandEnvironment, _ g: GlobalSettings, runs: Int = 10, rejects: Int = 50, json: Bool = false) -> Int32 {
        let console = env.console
        let context: RunContext
        switch OperatorSupport.prepare(env, g) {
        case .exit(let code): return code
        case .ready(let c): context = c
        }
        do {
            if json { try showJSON(context, runs: runs, rejects: rejects) } else { try show(context, runs: runs, rejects: rejects) }
        } catch {
            return env.report(error)
        }
        console.flush()
        return 0
    }

    static func show(_ context: RunContext, runs: Int, rejects: Int) throws(DingSyncError) {
        let config = context.config
        let out = context.console
        let tz = config.sync.timezone
        guard let m = config.mysql else {
            throw .config("status reads the job's state tables: the config needs a \"mysql\" section")
        }
        let db = try Database.connect(m)
        let store = StateStore(db: db, job: config.job)
        do {
            let existing = try store.existingTables()
            out.out("job:              \(config.job) (\(m.database).\(m.table), timezone \(tz.identifier))")
            guard existing.count == StateStore.tableNames.count else {
                out.out("state:            no state tables in \(m.database) yet: the job has never run (sync creates them)")
                return
            }
            if let mark = try store.watermark() {
                out.out("watermark:        \(TimeParsing.formatLocal(mark, timeZone: tz)) (every instance created before it is written)")
            } else {
                out.out("watermark:        none yet (the first sync starts at \(config.sync.start ?? "sync.start, which is not set"))")
            }
            let since = context.clock.nowMs() - Int64(config.sync.resyncOpenDays) * WindowPlanner.dayMs
            let open = try store.openInstanceCount(), followed = try store.openInstanceCount(sinceMs: since)
            out.out("instances stored: \(try store.storedInstanceCount())")
            out.out("open instances:   \(open) (\(followed) created in the last \(config.sync.resyncOpenDays) days, followed under the budget)")
            let economy = try EconomyReport.load(store, config: config, nowMs: context.clock.nowMs())
            economy.lines(timeZone: tz).forEach { out.out($0) }
            try StreamStatus.load(store, nowMs: context.clock.nowMs())?.lines(timeZone: tz).forEach { out.out($0) }
            let (total, list) = try store.pendingRejects(limit: rejects)
            out.out("pending rejects:  \(total)\(total > list.count ? " (showing the latest \(list.count))" : "")")
            if !list.isEmpty {
                var t = TextTable(["instance", "column", "raw value", "reason", "attempts", "last seen"], maxCellWidth: 60)
                for r in list {
                    t.add([r.instanceId, r.column, r.rawValue.map { MappedValue.quoted($0) }, r.reason, String(r.attempts),
                           r.lastSeenMs.map { OperatorSupport.local($0, tz) }])
                }
                t.lines().forEach { out.out("  " + $0) }
            }
            let history = try store.recentRuns(limit: runs)
            out.out("last runs:        \(history.isEmpty ? "none" : "\(history.count) most recent, newest first")")
            if !history.isEmpty {
                var t = TextTable(["run", "mode", "started", "finished", "outcome", "exit", "listed", "fetched", "written",
                                   "skipped", "rejected", "API calls", "error"], maxCellWidth: 60)
                for r in history {
                    t.add([String(r.id), r.mode, r.startedMs.map { OperatorSupport.local($0, tz) },
                           r.finishedMs.map { OperatorSupport.local($0, tz) } ?? "-", r.status, r.exitCode.map(String.init) ?? "-",
                           String(r.listed), String(r.fetched), String(r.written), String(r.skipped), String(r.rejected),
                           String(r.apiCalls), r.error ?? ""])
                }
                t.lines().forEach { out.out("  " + $0) }
            }
        } catch {
            throw Database.failure(error, doing: "reading the state of job \(config.job)")
        }
    }

    /// `status --format json`: the same figures as one JSON object, for monitoring scripts.
    static func showJSON(_ context: RunContext, runs: Int, rejects: Int) throws(DingSyncError) {
        let config = context.config
        guard let m = config.mysql else {
            throw .config("status reads the job's state tables: the config needs a \"mysql\" section")
        }
        let store = StateStore(db: try Database.connect(m), job: config.job)
        var object: [String: Any] = ["job": config.job, "table": "\(m.database).\(m.table)"]
        do {
            guard try store.existingTables().count == StateStore.tableNames.count else {
                object["state"] = "none"
                context.console.out(String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self))
                return
            }
            object["watermark_ms"] = try store.watermark() ?? NSNull()
            object["instances_stored"] = try store.storedInstanceCount()
            object["open_instances"] = try store.openInstanceCount()
            let since = context.clock.nowMs() - Int64(config.sync.resyncOpenDays) * WindowPlanner.dayMs
            object["open_followed"] = try store.openInstanceCount(sinceMs: since)
            let (total, list) = try store.pendingRejects(limit: rejects)
            object["pending_rejects"] = total
            object["rejects"] = list.map { ["instance": $0.instanceId, "column": $0.column, "reason": $0.reason, "attempts": $0.attempts] as [String: Any] }
            let economy = try EconomyReport.load(store, config: config, nowMs: context.clock.nowMs())
            object["economy"] = try economy.jsonObject()
            if let stream = try StreamStatus.load(store, nowMs: context.clock.nowMs()) {
                object["stream"] = try JSONSerialization.jsonObject(with: JSONEncoder().encode(stream))
            }
            object["last_runs"] = try store.recentRuns(limit: runs).map {
                // The text's columns, every one of them (docs/status-json.md).
                ["id": $0.id, "mode": $0.mode, "status": $0.status, "exit_code": $0.exitCode ?? NSNull(), "started_ms": $0.startedMs ?? NSNull(),
                 "finished_ms": $0.finishedMs ?? NSNull(), "listed": $0.listed, "fetched": $0.fetched, "written": $0.written,
                 "skipped": $0.skipped, "rejected": $0.rejected, "api_calls": $0.apiCalls, "error": $0.error ?? NSNull()] as [String: Any]
            }
            context.console.out(String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self))
        } catch {
            throw Database.failure(error, doing: "reading the state of job \(config.job)")
        }
    }
}
