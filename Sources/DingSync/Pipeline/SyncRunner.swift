import DingSyncMapping
import Foundation
import HTTPClient
import Logging
import MySQLClient

/// The pipeline of one `sync` or `backfill` run:
/// plan windows → list ids → skip known-final → fetch details → map → write → commit state.
/// Each window's rows, instance state and (for `sync`) watermark commit in order, so a crash
/// at any instant leaves the watermark at or behind what is durably written.
public final class SyncRunner {
    let context: RunContext
    let request: SyncRequest
    var config: JobConfig { context.config }
    var logger: Logger { context.logger }
    public private(set) var summary = RunSummary()

    private var client: DingTalkClient!
    private let mapper: Mapper
    private var sink: RowSink!
    private var state: StateStore?
    private var processed: Set<String> = []
    private var pending: [(InstanceDetail, MappedRow)] = []
    private var pendingRejects: [MappingReject] = []
    private var followUps: [String] = []

    public init(context: RunContext, request: SyncRequest) {
        self.context = context
        self.request = request
        mapper = Mapper(entries: context.config.mapping, timeZone: context.config.sync.timezone)
    }

    /// Runs to the end and returns the exit status; the summary is in `summary`.
    public func run() -> (ExitStatus, DingSyncError?) {
        let started = context.clock.nowMs()
        summary.job = config.job
        summary.mode = request.mode.rawValue
        summary.dryRun = request.dryRun
        var runId: Int64?
        var failure: DingSyncError?
        do {
            try open()
            let (from, to) = try range(nowMs: started)
            summary.fromMs = from
            summary.toMs = to
            runId = try? state?.startRun(mode: request.mode.rawValue, fromMs: from, toMs: to)
            try syncWindows(from: from, to: to)
            try revisit(nowMs: started)
            try sink.finish()
        } catch let e as DingSyncError {
            failure = e
        } catch {
            failure = Database.failure(error, doing: "writing")
        }
        summary.calls = client?.shared.counters.snapshot ?? summary.calls
        summary.elapsedMs = context.clock.nowMs() - started
        let status: ExitStatus = failure?.status ?? ((summary.rejected + summary.failed) > 0 ? .rejects : .ok)
        summary.exitCode = status.rawValue
        summary.error = failure.map { context.console.redact($0.message) }
        if let runId { try? state?.finishRun(id: runId, summary: summary, status: status, error: summary.error) }
        return (status, failure)
    }

    // MARK: - Setup

    private func open() throws {
        let shared = DingTalkClient.Shared(settings: config.dingtalk, clock: context.clock)
        let transport: any HTTPTransport
        do { transport = try context.makeTransport() } catch { throw DingSyncError(.bug, "\(error)") }
        client = DingTalkClient(shared: shared, transport: transport)
        client.onRetry = { [logger] error, delay in
            logger.notice("retrying after \(error.errorClass.rawValue) error", metadata: ["delay_ms": "\(delay)", "error": "\(error)"])
        }
        if request.dryRun {
            sink = DryRunSink(printer: DryRunPrinter(format: request.format, columns: config.mapping.map(\.field), console: context.console))
            return
        }
        guard let m = config.mysql else {
            throw DingSyncError.config("the config has no \"mysql\" section: add one, or use --dry-run")
        }
        let db = try Database.connect(m)
        let store = StateStore(db: db, job: config.job)
        do {
            try store.createTables()
            guard try store.lock() else {
                throw DingSyncError(.tryLater, "another run of job \(config.job) is in progress (it holds the job's lock); try again later")
            }
        } catch let e as DingSyncError { throw e } catch { throw Database.failure(error, doing: "preparing the state tables") }
        let writer = try TargetWriter(db: db, database: m.database, table: m.table, mapping: config.mapping)
        try writer.verifyTable(database: m.database, table: m.table)
        state = store
        sink = TableSink(db: db, writer: writer, state: store, clock: context.clock, logger: logger)
    }

    /// `[from, to)` of this run, refused (78) when DingTalk's 365-day horizon would refuse it.
    private func range(nowMs: Int64) throws(DingSyncError) -> (Int64, Int64) {
        let tz = config.sync.timezone
        var from: Int64
        let to = request.toMs ?? nowMs
        switch request.mode {
        case .backfill:
            from = request.fromMs ?? 0
        case .sync:
            if let mark = try storedWatermark() {
                from = mark - Int64(config.sync.overlapMinutes) * 60_000
                summary.watermarkMs = mark
            } else if let start = config.sync.startMs {
                from = start
            } else {
                throw .config("config: sync.start is required for the first sync of job \(config.job) (or run backfill first)")
            }
        }
        let earliest = WindowPlanner.earliestAllowed(nowMs: nowMs)
        if from < earliest {
            if request.mode == .sync, summary.watermarkMs != nil {
                from = max(from, earliest)  // the overlap only; the watermark itself is recent
                if summary.watermarkMs! < earliest {
                    throw .config("the stored watermark of job \(config.job) is older than DingTalk's 365-day horizon; the earliest allowed start is \(TimeText.local(earliest, tz)); run backfill from there")
                }
            } else {
                let what = request.mode == .sync ? "sync.start" : "--from"
                throw .config("\(what) is older than DingTalk's 365-day horizon: the earliest allowed start is \(TimeText.local(earliest, tz))")
            }
        }
        return (from, to)
    }

    private func storedWatermark() throws(DingSyncError) -> Int64? {
        if let state {
            do { return try state.watermark() } catch { throw Database.failure(error, doing: "reading the watermark") }
        }
        // Dry-run: preview the next run when MySQL is there to ask; without it, start from sync.start.
        guard request.dryRun, let m = config.mysql else { return nil }
        do {
            let db = try Database.connect(m)
            return try StateStore(db: db, job: config.job).watermark()
        } catch {
            logger.info("dry-run could not read the stored watermark; previewing from sync.start", metadata: ["reason": "\(error)"])
            return nil
        }
    }

    // MARK: - Stages

    private func syncWindows(from: Int64, to: Int64) throws {
        let windows = WindowPlanner.windows(fromMs: from, toMs: to, windowDays: config.sync.windowDays)
        let lister = Lister(client: client)
        for window in windows {
            if limitReached { break }
            summary.windows += 1
            let ids = try lister.list(window, stopAfter: remainingLimit)
            summary.listed += ids.count
            logger.info("listed window", metadata: ["window": "\(TimeText.local(window.fromMs, config.sync.timezone)) → \(TimeText.local(window.toMs, config.sync.timezone))", "ids": "\(ids.count)"])
            var fresh = ids.filter { !processed.contains($0) }
            if !request.refetch, let state {
                let final = try state.finalIds(among: fresh)
                summary.skipped += final.count
                fresh.removeAll(where: final.contains)
            }
            try process(fresh)
            try flush()
            // The watermark moves only after the window's rows are committed, and never on a
            // partial (--limit) run, a dry run or a backfill.
            if request.mode == .sync, !request.dryRun, request.limit == nil, let state {
                try state.db.begin()
                try state.setWatermark(window.toMs)
                try state.db.commit()
                summary.watermarkMs = window.toMs
            }
        }
    }

    /// Open instances (whose approval may have moved since) and pending rejects: `listids`
    /// filters on creation time, so only a fresh `get` sees them change.
    private func revisit(nowMs: Int64) throws {
        guard let state, !limitReached else { return }
        let since = nowMs - Int64(config.sync.resyncOpenDays) * WindowPlanner.dayMs
        let ids = try state.idsToRevisit(openSinceMs: since).filter { !processed.contains($0) }
        summary.revisited = ids.count
        if !ids.isEmpty { logger.info("re-fetching open instances and pending rejects", metadata: ["count": "\(ids.count)"]) }
        try process(ids)
        try flush()
    }

    private var remainingLimit: Int? { request.limit.map { max(0, $0 - summary.fetched - summary.failed) } }
    private var limitReached: Bool { remainingLimit == 0 }

    private func process(_ ids: [String]) throws {
        var queue = ids[...]
        while let id = queue.popFirst() ?? followUps.popLast() {
            if limitReached { return }
            guard processed.insert(id).inserted else { continue }
            let detail: InstanceDetail
            do {
                detail = try client.get(id: id)
            } catch where error.errorClass == .instance {
                summary.failed += 1
                logger.warning("instance could not be fetched; recorded, will retry next run", metadata: ["instance": "\(id)", "error": "\(error)"])
                pendingRejects.append(MappingReject(instanceId: id, column: "(get)", rawValue: nil, reason: error.description))
                continue
            } catch {
                throw DingSyncError(error.exitStatus, "fetching instance \(id): \(error)")
            }
            summary.fetched += 1
            // A modified or revoked approval is a new instance; its original changes too.
            if let main = detail.attributes["main_process_instance_id"], !main.isEmpty, !processed.contains(main) {
                followUps.append(main)
            }
            switch mapper.map(detail) {
            case .success(let row): pending.append((detail, row))
            case .failure(let reject):
                summary.rejected += 1
                logger.warning("instance rejected", metadata: ["instance": "\(id)", "column": "\(reject.column)", "reason": "\(reject.reason)"])
                pendingRejects.append(reject)
            }
            if pending.count >= (config.mysql?.batchSize ?? 500) { try flush() }
        }
    }

    private func flush() throws {
        let rows = pending
        let rejects = pendingRejects
        pending.removeAll(keepingCapacity: true)
        pendingRejects.removeAll()
        let outcome = try sink.write(rows, rejects: rejects)
        summary.written += outcome.written
        summary.rejected += outcome.rejectedByDatabase
    }
}

extension SyncRunner {
    /// Formats instants for messages in the job's zone.
    enum TimeText {
        static func local(_ ms: Int64, _ tz: TimeZone) -> String {
            let t = LocalDateTime(epochMs: ms, timeZone: tz)
            return "\(t) \(tz.identifier)"
        }
    }
}
