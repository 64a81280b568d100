import DingSyncMapping
import Foundation
import MySQLClient

/// `status`: where the job stands, from its state tables: the watermark (in the job's zone),
/// open instances, pending rejects with their reasons, and the last runs.
public enum StatusCommandBody {
    public static func run(_ g: GlobalSettings, runs: Int = 10, rejects: Int = 50) -> Int32 {
        let console = Console()
        let context: RunContext
        switch OperatorSupport.prepare(g, console: console) {
        case .exit(let code): return code
        case .ready(let c): context = c
        }
        do {
            try show(context, runs: runs, rejects: rejects)
        } catch {
            return CommandEnvironment.report(error, console: console)
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
            out.out("open instances:   \(open) (\(followed) created in the last \(config.sync.resyncOpenDays) days, re-fetched by every sync)")
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
}
