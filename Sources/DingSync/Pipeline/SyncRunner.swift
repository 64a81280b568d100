import DingSyncMapping
import Foundation
import HTTPClient
import Logging
import MySQLClient

/// The pipeline of one `sync` or `backfill` run:
/// plan windows → list ids → skip known-final → fetch details → map → write → commit state.
/// Listing and fetching run on their own threads (`FetchPool`); this thread maps, writes and
/// commits. A window's watermark is committed only after every id it listed is written (or
/// recorded as a reject) and every earlier window is done, so a crash at any instant leaves
/// the watermark at or behind what is durably written.
public final class SyncRunner {
    let context: RunContext
    let request: SyncRequest
    var config: JobConfig { context.config }
    var logger: Logger { context.logger }
    public private(set) var summary = RunSummary()

    private let shared: DingTalkClient.Shared
    private let mapper: Mapper
    private var sink: RowSink!
    private var session: DatabaseSession?
    private var pool: FetchPool!
    /// Ids listed in this run, any window (overlaps and cap re-lists repeat ids).
    private var listedIds: Set<String> = []
    /// Ids fetched or being fetched in this run.
    private var dispatchedIds: Set<String> = []
    /// In-flight id → the group waiting for it. A window that lists an id already in flight
    /// for a revisit or follow-up takes it over, so it cannot count as done before the fetch.
    private var owner: [String: Int] = [:]
    /// Originals of modified/revoked instances fetched because of them, not because listed.
    private var followUpIds: Set<String> = []
    private var groups: [Int: GroupState] = [:]
    private var pending: [(InstanceDetail, MappedRow)] = []
    private var pendingRejects: [MappingReject] = []
    private var dispatched = 0
    /// Ids whose `get` failed once and were dispatched again in this run.
    private var refetched: Set<String> = []
    private var progress: ProgressReporter!

    /// Dispatch groups beyond the windows: revisits and follow-ups never hold the watermark.
    static let revisitGroup = -1
    static let followUpGroup = -2

    struct GroupState {
        var listingDone = false
        var outstanding = 0
        var stats = WindowStats()
        var done: Bool { listingDone && outstanding == 0 }
    }

    public init(context: RunContext, request: SyncRequest) {
        self.context = context
        self.request = request
        mapper = Mapper(entries: context.config.mapping, timeZone: context.config.sync.timezone)
        shared = DingTalkClient.Shared(settings: context.config.dingtalk, clock: context.clock)
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
            runId = try? session?.run("starting the run log") { try session!.state.startRun(mode: request.mode.rawValue, fromMs: from, toMs: to) }
            try pipeline(windows: WindowPlanner.windows(fromMs: from, toMs: to, windowDays: config.sync.windowDays), nowMs: started)
            try sink.finish()
        } catch let e as DingSyncError {
            failure = e
        } catch {
            failure = Database.failure(error, doing: "writing")
        }
        pool?.shutdown()
        summary.calls = shared.counters.snapshot
        summary.elapsedMs = context.clock.nowMs() - started
        let status: ExitStatus = failure?.status ?? ((summary.rejected + summary.failed) > 0 ? .rejects : .ok)
        summary.exitCode = status.rawValue
        summary.error = failure.map { context.console.redact($0.message) }
        if let runId, let session {
            try? session.run("finishing the run log") { try session.state.finishRun(id: runId, summary: summary, status: status, error: summary.error) }
        }
        return (status, failure)
    }

    // MARK: - Setup

    private func open() throws {
        if request.dryRun {
            sink = DryRunSink(printer: DryRunPrinter(format: request.format, columns: config.mapping.map(\.field), console: context.console))
            return
        }
        guard let m = config.mysql else {
            throw DingSyncError.config("the config has no \"mysql\" section: add one, or use --dry-run")
        }
        let s = try DatabaseSession(settings: m, job: config.job, mapping: config.mapping, retry: config.dingtalk.retry,
                                    clock: context.clock, logger: logger)
        session = s
        sink = TableSink(session: s, clock: context.clock, logger: logger)
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
            if request.mode == .sync, let mark = summary.watermarkMs {
                guard mark >= earliest else {
                    throw .config("the stored watermark of job \(config.job) is older than DingTalk's 365-day horizon; the earliest allowed start is \(Self.local(earliest, tz)); run backfill from there")
                }
                from = earliest  // only the overlap reaches past the horizon
            } else {
                let what = request.mode == .sync ? "sync.start" : "--from"
                throw .config("\(what) is older than DingTalk's 365-day horizon: the earliest allowed start is \(Self.local(earliest, tz))")
            }
        }
        return (from, to)
    }

    private func storedWatermark() throws(DingSyncError) -> Int64? {
        if let session {
            do { return try session.run("reading the watermark") { try session.state.watermark() } } catch {
                throw Database.failure(error, doing: "reading the watermark")
            }
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

    // MARK: - The pipeline

    private func pipeline(windows: [Window], nowMs: Int64) throws {
        let logger = self.logger
        pool = FetchPool(shared: shared, workers: config.dingtalk.concurrency,
                         eventCapacity: 4 * config.dingtalk.concurrency + 64, makeTransport: context.makeTransport,
                         onRetry: { error, delay in
                             logger.notice("retrying after \(error.errorClass.rawValue) error", metadata: ["delay_ms": "\(delay)", "error": "\(error)"])
                         })
        summary.windows = windows.count
        progress = ProgressReporter(console: context.console, logger: logger)
        defer { progress.finish() }
        for i in windows.indices { groups[i] = GroupState() }
        var listingFinished = windows.isEmpty
        var nextWindow = 0  // the first window whose watermark is not committed yet
        var revisitDispatched = false
        if !windows.isEmpty { pool.startListing(windows) }

        while true {
            // Commit finished windows in order.
            while nextWindow < windows.count, groups[nextWindow]!.done {
                try windowDone(windows[nextWindow], index: nextWindow)
                nextWindow += 1
            }
            if listingFinished, nextWindow == windows.count, !revisitDispatched {
                revisitDispatched = true
                try dispatchRevisits(nowMs: nowMs)
            }
            if revisitDispatched, groups.values.allSatisfy({ $0.outstanding == 0 }) { break }
            progress.update(summary, phase: revisitDispatched ? "revisiting" : (listingFinished ? "fetching" : "listing"),
                            totalWindows: windows.count)
            guard let event = pool.events.pop() else { break }
            switch event {
            case .page(let w, let ids):
                try accept(ids, window: w)
            case .windowListed(let w):
                groups[w]!.listingDone = true
                let stats = groups[w]!.stats
                logger.info("listed window", metadata: ["window": "\(Self.local(windows[w].fromMs, config.sync.timezone)) → \(Self.local(windows[w].toMs, config.sync.timezone))", "ids": "\(stats.listed)"])
            case .listingFinished:
                listingFinished = true
                // A listing stopped early (--limit) emits no more windows: none waits for pages.
                for i in windows.indices { groups[i]!.listingDone = true }
            case .listingFailed(let e):
                throw e
            case .fetched(let id, let result):
                let g = owner.removeValue(forKey: id) ?? Self.followUpGroup
                groups[g, default: GroupState(listingDone: true)].outstanding -= 1
                try handle(id, group: g, result)
            }
        }
        try flush()
    }

    /// Listed ids of window `w`: skip repeats and stored-final ones, dispatch the rest.
    private func accept(_ ids: [String], window w: Int) throws {
        groups[w]!.stats.listed += ids.count
        var fresh: [String] = []
        for id in ids {
            guard listedIds.insert(id).inserted else {
                groups[w]!.stats.repeated += 1
                continue
            }
            if let holder = owner[id], holder < 0 {
                // Being fetched as a revisit or follow-up: this window now waits for it.
                groups[holder]!.outstanding -= 1
                groups[w]!.outstanding += 1
                owner[id] = w
                followUpIds.remove(id)
            } else if dispatchedIds.contains(id) {
                groups[w]!.stats.repeated += 1  // already fetched in this run, written or recorded
            } else {
                fresh.append(id)
            }
        }
        summary.listed = listedIds.count
        if !request.refetch, let session, !fresh.isEmpty {
            let final = try session.run("looking up stored instances") { try session.state.finalIds(among: fresh) }
            summary.skipped += final.count
            groups[w]!.stats.skipped += final.count
            fresh.removeAll(where: final.contains)
        }
        for id in fresh { dispatch(id, group: w) }
    }

    private func dispatch(_ id: String, group g: Int) {
        guard !dispatchedIds.contains(id) else { return }
        if let limit = request.limit, dispatched >= limit {
            pool.stopListing()
            return
        }
        dispatchedIds.insert(id)
        dispatched += 1
        send(id, group: g)
    }

    private func send(_ id: String, group g: Int) {
        owner[id] = g
        groups[g, default: GroupState(listingDone: true)].outstanding += 1
        pool.dispatch(id)
    }

    private func handle(_ id: String, group g: Int, _ result: Result<InstanceDetail, DingTalkError>) throws {
        let detail: InstanceDetail
        switch result {
        case .success(let d): detail = d
        case .failure(let error) where error.errorClass == .instance && refetched.insert(id).inserted:
            // Reconciliation: a listed id that was not written is fetched once more before its
            // window counts as done; only a second failure makes it a recorded reject.
            logger.info("instance could not be fetched; trying it once more", metadata: ["instance": "\(id)", "error": "\(error)"])
            send(id, group: g)
            return
        case .failure(let error) where error.errorClass == .instance:
            summary.failed += 1
            count(id, in: g) { $0.failed += 1 }
            logger.warning(request.dryRun ? "instance could not be fetched" : "instance could not be fetched; recorded, will retry next run",
                           metadata: ["instance": "\(id)", "error": "\(error)"])
            pendingRejects.append(MappingReject(instanceId: id, column: "(get)", rawValue: nil, reason: error.description))
            return
        case .failure(let error):
            throw DingSyncError(error.exitStatus, "fetching instance \(id): \(error)")
        }
        summary.fetched += 1
        count(id, in: g) { $0.fetched += 1 }
        // A modified or revoked approval is a new instance; its original changes too, and is
        // fetched even when stored as final. The window that found it waits for it.
        if let main = detail.attributes["main_process_instance_id"], !main.isEmpty, !dispatchedIds.contains(main) {
            followUpIds.insert(main)
            dispatch(main, group: g >= 0 ? g : Self.followUpGroup)
        }
        switch mapper.map(detail) {
        case .success(let row): pending.append((detail, row))
        case .failure(let reject):
            summary.rejected += 1
            groups[g]?.stats.rejected += 1
            logger.warning("instance rejected", metadata: ["instance": "\(id)", "column": "\(reject.column)", "reason": "\(reject.reason)"])
            pendingRejects.append(reject)
        }
        if pending.count >= (config.mysql?.batchSize ?? 500) { try flush() }
    }

    /// Per-window figures count listed ids; a follow-up a window waits for is counted apart.
    private func count(_ id: String, in g: Int, _ change: (inout WindowStats) -> Void) {
        if followUpIds.contains(id) {
            groups[g]?.stats.followUps += 1
        } else if groups[g] != nil {
            change(&groups[g]!.stats)
        }
    }

    /// Every id of the window is written or recorded: the watermark may pass it.
    private func windowDone(_ window: Window, index: Int) throws {
        try flush()
        let stats = groups[index]!.stats
        // Reconciliation: every listed id is accounted for as fetched, skipped-final, failed,
        // or seen earlier in this run. A gap would be a bug; the window then does not count.
        let accounted = stats.fetched + stats.skipped + stats.failed + stats.repeated
        if accounted != stats.listed, request.limit == nil {
            throw DingSyncError(.bug, "window \(window): listed \(stats.listed) ids but accounted for \(accounted); the watermark stays where it was")
        }
        summary.windowStats.append(stats.with(window))
        guard request.mode == .sync, !request.dryRun, request.limit == nil, let session else { return }
        try session.transaction("advancing the watermark") { try session.state.setWatermark(window.toMs) }
        summary.watermarkMs = window.toMs
    }

    /// Open instances (whose approval may have moved since) and pending rejects: `listids`
    /// filters on creation time, so only a fresh `get` sees them change.
    private func dispatchRevisits(nowMs: Int64) throws {
        groups[Self.revisitGroup] = GroupState(listingDone: true)
        guard let session else { return }
        let since = nowMs - Int64(config.sync.resyncOpenDays) * WindowPlanner.dayMs
        let ids = try session.run("listing open instances") { try session.state.idsToRevisit(openSinceMs: since) }
            .filter { !dispatchedIds.contains($0) }
        summary.revisited = ids.count
        if !ids.isEmpty { logger.info("re-fetching open instances and pending rejects", metadata: ["count": "\(ids.count)"]) }
        for id in ids { dispatch(id, group: Self.revisitGroup) }
    }

    private func flush() throws {
        guard !pending.isEmpty || !pendingRejects.isEmpty else { return }
        let rows = pending
        let rejects = pendingRejects
        pending.removeAll(keepingCapacity: true)
        pendingRejects.removeAll()
        let outcome = try sink.write(rows, rejects: rejects)
        summary.written += outcome.written
        summary.rejected += outcome.rejectedByDatabase
    }

    static func local(_ ms: Int64, _ tz: TimeZone) -> String {
        "\(LocalDateTime(epochMs: ms, timeZone: tz)) \(tz.identifier)"
    }
}

/// Per-window figures for the run log's reconciliation record.
public struct WindowStats: Sendable, Codable, Equatable {
    public var fromMs: Int64 = 0
    public var toMs: Int64 = 0
    public var listed = 0
    public var fetched = 0
    public var skipped = 0
    public var failed = 0
    public var rejected = 0
    /// Listed again in this run (overlapping windows, cap re-lists): counted once, elsewhere.
    public var repeated = 0
    /// Originals of modified/revoked instances the window waited for (not listed in it).
    public var followUps = 0
    func with(_ w: Window) -> WindowStats {
        var s = self
        s.fromMs = w.fromMs
        s.toMs = w.toMs
        return s
    }
}
