import DingSyncMapping
import Foundation
import HTTPClient
import Logging
import MySQLClient

/// One `sync` or `backfill` run (or a pass of `watch`): read the job's state, plan the listing,
/// then carry out the pass's steps in one loop, whatever the mode and API (`PassState`).
/// Decisions are the planner's (pure); the pool carries them out under the run's allowance;
/// the committer writes. A window's watermark moves only after every id it listed is recorded
/// (written, or owed a get in the state tables), so a crash at any instant loses nothing.
public final class SyncRunner {
    let context: RunContext
    let request: SyncRequest
    var config: JobConfig { context.config }
    var logger: Logger { context.logger }
    public private(set) var summary = RunSummary()

    private let shared: DingTalkClient.Shared
    private var session: DatabaseSession?
    private var committer: Committer!
    private var pool: FetchPool!
    private var executor: Executor!
    private var settings = Planner.Settings()
    /// The gets' plan, for what a run that did less than it could says is due next.
    private var lastPlan: Planner.Plan?
    private let appKeyId: String

    public init(context: RunContext, request: SyncRequest) {
        self.context = context
        self.request = request
        shared = DingTalkClient.Shared(settings: context.config.dingtalk, clock: context.clock)
        appKeyId = TokenSeal.appKeyId(context.config.dingtalk.appKey)
    }

    /// Runs to the end and returns the exit status; the summary is in `summary`.
    public func run() -> (ExitStatus, DingSyncError?) {
        let started = context.clock.nowMs()
        summary.job = config.job
        summary.mode = request.mode.rawValue
        summary.dryRun = request.dryRun
        summary.budget = config.dingtalk.monthlyCallBudget
        var runId: Int64?
        var failure: DingSyncError?
        var logWarning: String?
        do {
            try open()
            let (from, to) = try range(nowMs: started)
            summary.fromMs = from
            summary.toMs = to
            if let session {
                do { runId = try session.run("starting the run log") { try session.state.startRun(mode: request.mode.rawValue, fromMs: from, toMs: to, nowMs: started) } } catch {
                    logWarning = "could not start the run log: \(error)"
                }
            }
            try pipeline(fromMs: from, toMs: to, nowMs: started)
        } catch let e as DingSyncError {
            failure = e
        } catch {
            failure = Database.failure(error, doing: "writing")
        }
        pool?.shutdown()
        if let f = failure, f.cause == .quota, summary.quotaBlockedUntilMs == nil { failure = recordQuotaBlock(f) }
        if committer != nil, failure == nil || failure?.status != .bug {
            // What was paid for is written even when the run failed: the committer flushes
            // the rows it holds, the ledger and the token.
            do { try committer.finish() } catch {
                if failure == nil { failure = (error as? DingSyncError) ?? Database.failure(error, doing: "writing") }
            }
        }
        finishFigures(started: started)
        // Rejects still recorded (from this run or earlier ones) keep the run at 65 until they
        // go through, so cron's alerting does not forget them.
        let outstanding = summary.rejected + summary.failed + summary.pendingRejects
        let status: ExitStatus = failure?.status ?? (outstanding > 0 ? .rejects : .ok)
        summary.exitCode = status.rawValue
        summary.error = failure.map { context.console.redact($0.message) }
        if let runId, let session {
            do { try session.run("finishing the run log") { try session.state.finishRun(id: runId, summary: summary, status: status, error: summary.error, nowMs: context.clock.nowMs()) } } catch {
                logWarning = "could not finish the run log: \(error)"
            }
        }
        if let logWarning {
            // The run log is the audit trail: its loss is said, never swallowed.
            logger.warning("\(logWarning)")
            if failure == nil, status == .ok { return (.unavailable, DingSyncError(.unavailable, "the data was written but the run log was not: \(logWarning)")) }
        }
        return (status, failure)
    }

    // MARK: - Setup

    private func open() throws {
        let sink: RowSink
        if request.dryRun {
            sink = DryRunSink(printer: DryRunPrinter(format: request.format, columns: config.mapping.map(\.field), console: context.console))
        } else {
            guard let m = config.mysql else {
                throw DingSyncError.config("the config has no \"mysql\" section: add one, or use --dry-run")
            }
            let s = try DatabaseSession(settings: m, job: config.job, mapping: config.mapping, retry: config.dingtalk.retry,
                                        clock: context.clock, logger: logger)
            session = s
            sink = TableSink(session: s, clock: context.clock, logger: logger)
        }
        committer = Committer(session: session, sink: sink, context: context, shared: shared, policy: RevisitPolicy())
    }

    /// `[from, to)` of this run's listing, refused (78) when DingTalk's 365-day horizon would refuse it.
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

    /// A dry run previews the next run from the stored state when MySQL is there to ask.
    private var readOnlyStore: StateStore? {
        if let session { return session.state }
        guard request.dryRun, let m = config.mysql else { return nil }
        if let cached = dryRunStore { return cached }
        do {
            let store = StateStore(db: try Database.connect(m), job: config.job)
            guard try store.existingTables().contains("dingsync_state") else { return nil }
            dryRunStore = store
            return store
        } catch {
            logger.info("dry-run could not read the stored state; previewing from sync.start", metadata: ["reason": "\(error)"])
            return nil
        }
    }
    private var dryRunStore: StateStore?

    private func storedWatermark() throws(DingSyncError) -> Int64? {
        guard let store = readOnlyStore else { return nil }
        do { return try session?.run("reading the watermark") { try store.watermark() } ?? store.watermark() } catch {
            if session == nil { return nil }
            throw Database.failure(error, doing: "reading the watermark")
        }
    }

    /// Reads through the session's replay policy when there is one; a dry run's reads are best effort.
    private func read<T>(_ what: String, _ fallback: T, _ body: (StateStore) throws -> T) throws -> T {
        guard let store = readOnlyStore else { return fallback }
        if let session { return try session.run(what) { try body(session.state) } }
        return (try? body(store)) ?? fallback
    }

    // MARK: - The pipeline

    /// The hours of the job's arrivals matter only while pushes bring its closes (`QuietHours`):
    /// only then does a snapshot read them.
    private var hourProfileOffsetMs: Int64? { settings.closesByEvent ? settings.hourOffsetMs : nil }

    private func pipeline(fromMs: Int64, toMs: Int64, nowMs: Int64) throws {
        if let block = try read("reading the quota block", nil, { try $0.quotaBlock(appKeyId: appKeyId) }), block.untilMs > nowMs {
            summary.quotaBlockedUntilMs = block.untilMs
            try probeQuotaBlock(untilMs: block.untilMs, nowMs: nowMs)
            summary.quotaBlockedUntilMs = nil
        }
        if let sealed = try read("reading the cached token", nil, { try $0.sealedToken(appKeyId: appKeyId) }),
           let token = TokenSeal.open(sealed.sealed, secret: config.dingtalk.appSecret) {
            shared.tokens.seed(token, expiresAtMs: sealed.expiresMs)
        }
        if let session {
            let stored = try session.run("reading rejected instances") { try session.state.storedRejects() }
            let details = stored.compactMap { try? InstanceDetail.decode(processInstanceJSON: Data($0.detail.utf8), id: $0.id, processCode: config.dingtalk.processCode) }
            let fixed = try committer.retryStoredRejects(details)
            if !details.isEmpty {
                logger.info("remapped the stored copies of rejected instances (no call)", metadata: ["rejects": "\(details.count)", "now_written": "\(fixed)"])
            }
        }
        let month = BeijingMonth(containing: nowMs)
        let spentByEndpoint = try read("reading the call ledger", [:]) { try $0.monthCalls(month: month.description) }
        let spent = CallCounters.metered(spentByEndpoint)
        let budget = CallBudget(monthly: config.dingtalk.monthlyCallBudget, spent: spent, nowMs: nowMs)
        let resyncMs = Int64(config.sync.resyncOpenDays) * WindowPlanner.dayMs
        settings.closesByEvent = config.events?.followsCloses == true
        settings.hourOffsetMs = Int64(config.sync.timezone.secondsFromGMT(for: Date(timeIntervalSince1970: Double(nowMs) / 1000))) * 1000
        let snapshot = try read("reading the job's state", JobSnapshot()) { try $0.snapshot(nowMs: nowMs, resyncOpenMs: resyncMs, hourOffsetMs: hourProfileOffsetMs) }
        if snapshot.coverage.distrusted {
            let c = snapshot.coverage
            logger.warning("\(c.missedRecent) close(s) found by polling in the last \(EventCoverage.recentDays) days (\(c.missedToday) today) were never pushed, although watch was connected (\(c.eventsRecent) pushed): polling as if events were down (check the app's event subscription and the console filter rule)")
        }

        settings.mode = request.mode
        settings.fromMs = fromMs
        settings.toMs = toMs
        settings.overlapMs = Int64(config.sync.overlapMinutes) * 60_000
        settings.windowDays = config.sync.windowDays
        settings.resyncOpenMs = resyncMs
        settings.monthlyBudget = config.dingtalk.monthlyCallBudget
        settings.api = config.dingtalk.api
        settings.arrivalsByEvent = config.events?.followsArrivals == true
        settings.limit = request.limit
        settings.maxCalls = request.maxCalls
        var pass = PassState(snapshot: snapshot, budget: budget, settings: settings, dryRun: request.dryRun, refetch: request.refetch)
        let plan = pass.plan
        summary.allowance = plan.allowance
        shared.allowance.set(plan.allowance + plan.listingSlack)
        committer.policy = plan.policy
        committer.listingDueMs = plan.listingDueMs
        logger.debug("planned", metadata: ["allowance": "\(plan.allowance)", "scale": "\(plan.scale)", "windows": "\(plan.windows.count)",
                                            "month_calls": "\(spent)", "budget": "\(budget.monthly)"])
        if pass.listingUnpaid {
            // cli.md: 75 when the job's own budget cannot pay for the run's listing. One line:
            // what is due, why it is not paid, when that changes.
            let due = request.mode == .backfill ? "the backfill's listing of its range" : "a listing (how new instances are found) is due"
            throw DingSyncError(.tryLater, "\(due), and job \(config.job) has spent \(spent) of its \(budget.monthly) calls this month (\(month) Beijing time), "
                + "so nothing pays for it; the budget resets at \(month.resetText(in: config.sync.timezone)) and the next sync then lists; "
                + "or raise dingtalk.monthly_call_budget if the organisation's quota allows", cause: .budget)
        }

        let logger = self.logger
        pool = FetchPool(shared: shared, workers: config.dingtalk.concurrency,
                         eventCapacity: 4 * config.dingtalk.concurrency + 64, makeTransport: context.makeTransport,
                         onRetry: { error, delay in
                             logger.notice("retrying after \(error.errorClass.rawValue) error", metadata: ["delay_ms": "\(delay)", "error": "\(error)"])
                         })
        let progress = ProgressReporter(console: context.console, logger: logger)
        defer { progress.finish() }
        summary.windows = plan.windows.count
        executor = Executor(pool: pool, committer: committer, request: request, logger: logger, timeZone: config.sync.timezone,
                            summary: summary) { [unowned self] ids in
            try read("looking up stored instances", Set<String>()) { try $0.storedIds(among: ids) }
        }
        defer { summary = executor.summary }
        pass.tally(nowMs: context.clock.nowMs(), spent: shared.counters.snapshot.metered)
        while let step = pass.next() {
            summary.allowance = pass.allowance
            try perform(step, &pass, progress: progress)
        }
    }

    /// Carries out one step of the pass and records in it what came of the step. Decides
    /// nothing: what comes next, for every mode and API, is the pass's decision.
    private func perform(_ step: PassStep, _ pass: inout PassState, progress: ProgressReporter) throws {
        let resyncMs = settings.resyncOpenMs
        switch step {
        case .list(let windows, let cap):
            executor.summary = summary
            let shared = self.shared
            let ids = try executor.list(windows, progress: progress, fetchWhileListingUpTo: cap, spent: { shared.counters.snapshot.metered })
            summary = executor.summary
            pass.listed(ids, windows: summary.windowStats, owedInMemory: committer.memoryPending)
            tally(&pass)
        case .reread:
            let now = pass.nowMs
            pass.reread(try read("reading the job's state", pass.snapshot) { try $0.snapshot(nowMs: now, resyncOpenMs: resyncMs, hourOffsetMs: hourProfileOffsetMs) })
        case .sweep(let slices):
            shared.allowance.set(pass.callsLeft)
            executor.summary = summary
            let slicesListed = try executor.listRunning(slices)
            summary = executor.summary
            summary.runningSlices = slicesListed
            logger.debug("running slices", metadata: ["listed": "\(summary.runningSlices)", "planned": "\(pass.plan.slices.count)",
                                                       "deferred": "\(pass.plan.slicesDeferred)", "closes_found": "\(summary.closesFound)"])
            pass.swept(slicesListed)
            tally(&pass)
        case .lookUp(let ids):
            pass.lookedUp(final: try read("looking up stored instances", Set<String>()) { try $0.finalIds(among: ids) })
        case .estimate(let e):
            summary.skipped = e.skipped
            summary.estimate = e.calls
            let cut = executor.listingCut
            context.console.err(backfillEstimateLine(listed: e.listed, estimate: e.calls, spentBefore: pass.budget.spent, spentSoFar: pass.spent,
                                                     budget: pass.budget.monthly, cut: cut))
            if !e.fits {
                throw backfillShortfall(estimate: e.calls, listed: e.listed, spentBefore: pass.budget.spent, spentSoFar: pass.spent,
                                        budget: pass.budget.monthly, cut: cut)
            }
        case .fetch(let gets):
            // Pushed gets may go past the pacing line (never past the month's budget).
            shared.allowance.set(pass.callsLeft)
            let plan = pass.plan
            summary.deferred = plan.deferred.values.reduce(0) { $0 + $1.count }
            summary.oldestDeferredMs = plan.deferred.values.compactMap(\.oldestMs).min()
            if summary.deferred > 0 {
                logger.notice("deferred to later runs: the paced budget does not pay for them now", metadata: [
                    "deferred": "\(summary.deferred)",
                    "oldest_waiting_since": "\(summary.oldestDeferredMs.map { Self.local($0, config.sync.timezone) } ?? "-")"])
            }
            summary.revisited = gets.filter { $0.reason == .revisit }.count
            logger.debug("gets planned", metadata: [
                "gets": "\(Dictionary(grouping: gets, by: \.reason).mapValues(\.count).map { "\($0.key.rawValue)=\($0.value)" }.sorted().joined(separator: ","))",
                "deferred": "\(plan.deferred.map { "\($0.key.rawValue)=\($0.value.count)" }.sorted().joined(separator: ","))",
                "not_due": "\(plan.notDue)", "open": "\(pass.snapshot.open.count)", "pending": "\(pass.snapshot.pending.count)"])
            executor.summary = summary
            lastPlan = plan
            pass.releaseSnapshot()
            try executor.fetch(gets, progress: progress)
        }
    }

    /// After a step that made calls: the clock and the calls so far, and what the steps after
    /// it may spend (the gets get what the listing left of the allowance, never its slack).
    private func tally(_ pass: inout PassState) {
        pass.tally(nowMs: context.clock.nowMs(), spent: shared.counters.snapshot.metered)
        shared.allowance.set(pass.callsLeft)
    }

    // MARK: - Figures and the quota block

    private func finishFigures(started: Int64) {
        if shared.v1DetailsOnly.isSet {
            // Said once a run: the rows are complete, but their times lost their seconds.
            logger.warning("the app may not call topapi/processinstance/get: details came from v1's GET, whose times are to the minute (grant the legacy approval permission to keep the seconds)")
        }
        summary.calls = shared.counters.snapshot
        summary.elapsedMs = context.clock.nowMs() - started
        if let committer {
            summary.written = committer.written
            summary.rejected = committer.rejected
            summary.abandoned = committer.abandoned.count
        }
        let now = context.clock.nowMs()
        if let session, !request.dryRun {
            summary.pendingRejects = (try? session.run("counting rejects") { try session.state.rejectCount() }) ?? 0
            if summary.pendingRejects > 0, let committer,
               let tried = (try? session.run("reading the rejects' schedule") { try session.state.oldestRejectTryMs() }) ?? nil {
                let due = Planner.dueAtMs(after: tried, interval: committer.policy.rejectRetryMs)
                summary.nextRejectRetryMs = due > now ? due : nil
            }
        }
        let month = BeijingMonth(containing: now)
        let recorded = monthLedger(month)
        // A failed run whose ledger cannot be read says nothing of the month, rather than 0.
        summary.monthCallsKnown = recorded != nil
        let ledger = CallCounters.metered(recorded ?? [:])
        // A dry run records nothing: its calls are added to what the ledger says.
        summary.monthCalls = ledger + (request.dryRun ? summary.calls.metered : 0)
        let budget = CallBudget(monthly: config.dingtalk.monthlyCallBudget, spent: summary.monthCalls, nowMs: now)
        summary.projectedMonthCalls = budget.projectedMonthEnd
        summary.budgetResetsMs = summary.monthCallsKnown && budget.remaining == 0 ? month.endMs : nil
        let deferredNew = lastPlan?.deferred[.new]?.count ?? 0
        let idle = summary.calls.metered < summary.allowance
        if request.mode == .sync, let plan = lastPlan, deferredNew > 0 || idle {
            let resyncMs = settings.resyncOpenMs
            if let snapshot = try? read("reading the job's state", nil as JobSnapshot?, { try $0.snapshot(nowMs: now, resyncOpenMs: resyncMs, hourOffsetMs: hourProfileOffsetMs) }) {
                // Counted after the run: a catch-up's first gets began during its listing.
                let owed = snapshot.pending.filter { $0.reason == .new }.count
                if deferredNew > 0, owed > 0 {
                    summary.backlog = Backlog(owed: owed, monthlyNeed: plan.monthlyNeed, budget: config.dingtalk.monthlyCallBudget, nowMs: now)
                }
                if idle { summary.upcoming = Planner.upcoming(snapshot, plan: plan, nowMs: now, settings: settings) }
            }
        }
        if budget.overWarningLine, !request.dryRun, let session,
           (try? session.run("recording the budget warning") { try session.state.claimBudgetAlert(month: month.description) }) == true {
            summary.budgetWarning = true
            logger.warning("job \(config.job) has spent \(summary.monthCalls) of its \(budget.monthly) calls this month (\(month) Beijing time): \(budget.percentSpent) % of the budget")
        }
    }

    /// This month's ledger: through the session, or (a run that failed before it had one, a
    /// dry run) read directly when the state tables are there; nil when it cannot be read.
    private func monthLedger(_ month: BeijingMonth) -> [String: Int]? {
        if let session { return try? session.run("reading the call ledger") { try session.state.monthCalls(month: month.description) } }
        if let store = readOnlyStore { return try? store.monthCalls(month: month.description) }
        guard let m = config.mysql, !request.dryRun, let db = try? Database.connect(m) else { return request.dryRun ? [:] : nil }
        let store = StateStore(db: db, job: config.job)
        guard (try? store.existingTables(["dingsync_ledger"]).count) == 1 else { return nil }
        return try? store.monthCalls(month: month.description)
    }

    /// The backfill's estimate, printed after the listing and before any get: the month's
    /// spend so far (a dry run's own calls said as unrecorded, like its summary) and after it.
    private func backfillEstimateLine(listed: Int, estimate: Int, spentBefore: Int, spentSoFar: Int, budget: Int, cut: Bool) -> String {
        let limit = request.maxCalls.map { "--max-calls \($0)" } ?? "the month's budget"
        let partial = cut ? " (the listing stopped at \(limit) after \(spentSoFar) call(s): the range is not listed to its end)" : ""
        let mine = request.dryRun ? " (this dry run's \(spentSoFar) call(s) included, not recorded)" : ""
        let after = spentBefore + spentSoFar + estimate
        return "dingsync: backfill \(config.job): \(listed) instance(s) listed, \(estimate) to fetch: about \(estimate) call(s)\(partial); "
            + "this month \(spentBefore + spentSoFar) of \(budget) spent\(mine); after it \(after) if the estimate holds"
    }

    /// Why a backfill stops before its gets, in words that agree with its cap and the month.
    private func backfillShortfall(estimate: Int, listed: Int, spentBefore: Int, spentSoFar: Int, budget: Int, cut: Bool) -> DingSyncError {
        let monthLeft = max(0, budget - spentBefore - spentSoFar)
        let need = spentSoFar + estimate
        let later = "the listed instances are recorded and later syncs fetch them under the budget"
        let text: String
        if let cap = request.maxCalls, cap - spentSoFar < monthLeft || cut && cap <= budget - spentBefore {
            let head = cut
                ? "the listing used the whole cap of --max-calls \(cap) (\(listed) instance(s) listed so far; the rest of the range is not listed) and fetched nothing"
                : "backfill would need about \(estimate) more call(s) but --max-calls \(cap) leaves \(max(0, cap - spentSoFar)) after the listing's \(spentSoFar) call(s)"
            // A backfill fetches only when its whole estimate fits: with the range not listed to
            // its end, the cap that pays for the listed part is a lower bound, said as one.
            let wouldFetch = cut ? "a cap of at least \(need) would be needed for the \(listed) listed so far, and more for the unlisted rest (or narrow the range)"
                                 : "a cap of \(need) would fetch them"
            text = "\(head); \(monthLeft) remain this month; \(wouldFetch); \(later)"
        } else {
            text = "backfill would need about \(estimate) more call(s) but only \(monthLeft) remain this month (budget \(budget)); \(later), or raise dingtalk.monthly_call_budget or narrow the range"
        }
        return DingSyncError(.tryLater, text, cause: .budget)
    }

    /// Throws unless a probe finds the quota back (then the block is lifted and the run goes on).
    private func probeQuotaBlock(untilMs: Int64, nowMs: Int64) throws {
        let probed = try read("reading the quota probe", nil as Int64?) { try $0.quotaProbedMs(appKeyId: appKeyId) }
        let tz = config.sync.timezone
        let due = QuotaProbe.nextMs(afterProbeAt: probed)
        guard due <= nowMs, let session, !request.dryRun else {
            throw DingSyncError(.tryLater, Self.quotaMessage(untilMs: untilMs) + " (recorded by an earlier run; no call was made; "
                                + "the next probe of the quota is due at \(Self.local(max(due, nowMs), tz)))", cause: .quota)
        }
        try session.run("recording the quota probe") { try session.state.recordQuotaProbe(appKeyId: appKeyId, nowMs: nowMs) }
        let transport: any HTTPTransport
        do { transport = try context.makeTransport() } catch { throw DingSyncError(.bug, "\(error)") }
        if let error = QuotaProbe.probe(DingTalkClient(shared: shared, transport: transport), nowMs: nowMs) {
            guard error.errorClass == .quota else { throw DingSyncError(error.exitStatus, "probing the quota block: \(error)", cause: error.errorClass) }
            throw DingSyncError(.tryLater, Self.quotaMessage(untilMs: untilMs) + " (probed now: still exhausted; "
                                + "the next probe is due at \(Self.local(nowMs + QuotaProbe.intervalMs, tz)))", cause: .quota)
        }
        try session.run("lifting the quota block") { try session.state.clearQuotaBlock(appKeyId: appKeyId) }
        logger.notice("the organisation's DingTalk quota is back: a probe was answered normally, so the block recorded until \(DingTalkTime.formatBeijing(untilMs)) Beijing time is lifted")
    }

    /// DingTalk said the organisation's quota is gone: no call can succeed before the 1st
    /// (Beijing), so later runs stop at once instead of spending retries on it.
    private func recordQuotaBlock(_ failure: DingSyncError) -> DingSyncError {
        let until = BeijingMonth(containing: context.clock.nowMs()).endMs
        summary.quotaBlockedUntilMs = until
        if let session, !request.dryRun {
            do {
                try session.run("recording the quota block") {
                    try session.state.setQuotaBlock(appKeyId: appKeyId, untilMs: until, reason: failure.message)
                    // The refused call is the block's first probe: the next is 6 hours later.
                    try session.state.recordQuotaProbe(appKeyId: appKeyId, nowMs: context.clock.nowMs())
                }
            } catch {
                logger.warning("could not record the quota block: \(error)")
            }
        }
        return DingSyncError(.tryLater, Self.quotaMessage(untilMs: until), cause: .quota)
    }

    static func quotaMessage(untilMs: Int64) -> String {
        "the organisation's monthly DingTalk API quota is exhausted; it resets at \(DingTalkTime.formatBeijing(untilMs)) Beijing time, and runs before then exit 75 without calling DingTalk but for one probe every 6 hours (an add-on pack or an upgrade lifts the block; `dingsync check` probes now)"
    }

    static func local(_ ms: Int64, _ tz: TimeZone) -> String {
        "\(LocalDateTime(epochMs: ms, timeZone: tz)) \(tz.identifier)"
    }
}
