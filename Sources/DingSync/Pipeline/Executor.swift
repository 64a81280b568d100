import DingSyncMapping
import Foundation
import Logging

/// Carries out a plan: lists the planned windows and fetches the planned ids on the pool's
/// threads, under the run's call allowance (the client refuses a call past it, and the
/// executor stops dispatching), handing every answer to the committer as it comes. Decides
/// nothing about what is worth a call: that is the planner's.
final class Executor {
    let pool: FetchPool
    let committer: Committer
    let request: SyncRequest
    let logger: Logger
    let timeZone: TimeZone
    /// A dry run has no committer state to filter listed ids by: it asks the store, if any.
    let storedAmong: ([String]) throws -> Set<String>
    var summary: RunSummary

    // The fetches in flight, across the listing (a catch-up fetches as it lists) and `fetch`.
    private var outstanding = 0
    /// Every id sent a get in this run; the session's state reads share these ids' text.
    private let dispatched = SharedIds()
    /// An instance's first "cannot be fetched" answer, kept until it is asked once more.
    private var retried: [String: DingTalkError] = [:]
    /// Ids whose answer counts at once (recorded as gone before; every id of a backfill).
    private var askedBefore: Set<String> = []
    private var budgetSpent = false
    /// The listing stopped because the run's allowance (or `--max-calls`) ran out: the range
    /// is not listed to its end, which a backfill's estimate must say.
    private(set) var listingCut = false
    private var fatal: DingSyncError?
    private var backfill: Bool { request.mode == .backfill }

    init(pool: FetchPool, committer: Committer, request: SyncRequest, logger: Logger, timeZone: TimeZone,
         summary: RunSummary, storedAmong: @escaping ([String]) throws -> Set<String>) {
        self.pool = pool
        self.committer = committer
        self.request = request
        self.logger = logger
        self.timeZone = timeZone
        self.summary = summary
        self.storedAmong = storedAmong
        committer.session?.sharedIds = dispatched
    }

    /// Lists the windows in order; every page's ids are recorded before the window counts.
    /// Returns the distinct ids listed when a backfill fetches from them; a sync, whose ids are
    /// owed a get in the state tables instead, gets none (kept for nothing, a first sync's
    /// tens of thousands of ids grew the run's memory with the job). A catch-up listing's ids
    /// are fetched at once anyway, so its first gets start as its pages come (DingTalk limits
    /// `listids` and `get` separately: overlapping them is free) while the run's metered calls
    /// stay under `fetchWhileListingUpTo`, which the plan after the listing is sure to allow.
    func list(_ windows: [Window], progress: ProgressReporter, fetchWhileListingUpTo cap: Int = 0,
              spent: () -> Int = { 0 }) throws -> [String] {
        guard !windows.isEmpty else { return [] }
        let moveWatermark = request.mode == .sync && !request.dryRun && request.limit == nil
        var seen: Set<String> = []
        var ordered: [String] = []
        var stats = Array(repeating: WindowStats(), count: windows.count)
        var recorded = 0
        pool.startListing(windows)
        while let event = pool.events.pop() {
            switch event {
            case .page(let w, let ids):
                stats[w].listed += ids.count
                let repeatedBefore = stats[w].repeated
                var fresh: [String] = []
                for id in ids {
                    if seen.insert(id).inserted { fresh.append(id) } else { stats[w].repeated += 1 }
                }
                if backfill { ordered += fresh }
                if request.dryRun {
                    // A preview skips what the stored state already has, like the real run.
                    let stored = try storedAmong(fresh)
                    fresh.removeAll(where: stored.contains)
                }
                let (added, firstGets) = try committer.recordListed(fresh)
                stats[w].fetched += added          // owed a get now
                stats[w].skipped += ids.count - stats[w].repeated - added + repeatedBefore  // already stored or owed one
                recorded += added
                for id in firstGets where fatal == nil && spent() + outstanding < cap && dispatched.insert(id) { send(id) }
                summary.listed = seen.count
                if let limit = request.limit, recorded >= limit { pool.stopListing() }
                progress.update(summary, phase: "listing", totalWindows: windows.count)
            case .windowListed(let w):
                let s = stats[w]
                if s.fetched + s.skipped + s.repeated != s.listed {
                    throw DingSyncError(.bug, "window \(windows[w]): listed \(s.listed) ids but accounted for \(s.fetched + s.skipped + s.repeated); the watermark stays where it was")
                }
                try committer.windowListed(windows[w], moveWatermark: moveWatermark, listingComplete: w == windows.count - 1 && !request.dryRun)
                if moveWatermark { summary.watermarkMs = windows[w].toMs }
                summary.windowStats.append(s.with(windows[w]))
                logger.info("listed window", metadata: ["window": "\(Self.local(windows[w].fromMs, timeZone)) → \(Self.local(windows[w].toMs, timeZone))", "ids": "\(s.listed)"])
            case .listingFinished:
                try throwFatal()
                return ordered
            case .listingFailed(let e):
                if e.cause == .budget {
                    // The allowance ran out mid-listing: what was listed is recorded; the rest
                    // of the range is listed by a later run, the watermark waits for it.
                    logger.notice("listing stopped: this run's share of the monthly budget is spent; a later run continues")
                    listingCut = true
                    try throwFatal()
                    return ordered
                }
                throw e
            case .fetched(let id, let result):
                try fetched(id, result)
                try throwFatal()
            case .sliceListed:
                break
            }
        }
        return ordered
    }

    /// v1: lists the planned RUNNING slices; each complete slice is handed to the committer
    /// (confirmed rows, closes owed a get, unknown running ids owed a first get). Returns how
    /// many slices were listed whole; one cut short by the allowance is simply not counted.
    func listRunning(_ slices: [RunningSlice]) throws -> Int {
        guard !slices.isEmpty else { return 0 }
        var done = 0
        pool.startRunning(slices)
        while let event = pool.events.pop() {
            switch event {
            case .sliceListed(let i, let ids):
                let r = try committer.runningListed(slices[i], listed: ids)
                summary.closesFound += r.closed
                summary.listed += r.unknown
                done += 1
            case .listingFinished:
                return done
            case .listingFailed(let e):
                if e.cause == .budget {
                    logger.notice("running listing stopped: this run's share of the monthly budget is spent; a later run continues")
                    return done
                }
                throw e
            case .fetched(let id, let result):
                // A catch-up's first gets, started while it listed, may still be answering.
                try fetched(id, result)
            case .page, .windowListed:
                break
            }
        }
        return done
    }

    /// Fetches the planned ids; a MODIFY/REVOKE's original is fetched too while the allowance
    /// lasts (it is recorded as owed a get either way). Ends at the first fatal error, after
    /// writing every answer already received. A backfill spends exactly the estimate it printed
    /// (its pages plus its new or non-final instances): an original it finds owed, and a second
    /// ask after a "cannot be fetched", are left recorded for `sync`'s schedule.
    func fetch(_ gets: [Planner.Get], progress: ProgressReporter) throws {
        // An id already recorded as gone had its second chance: its answer counts at once.
        askedBefore.formUnion(gets.filter { $0.reason == .gone || backfill }.map(\.id))
        for g in gets where fatal == nil && dispatched.insert(g.id) { send(g.id) }
        while outstanding > 0, fatal == nil, let event = pool.events.pop() {
            guard case .fetched(let id, let result) = event else { continue }
            try fetched(id, result)
            // What is left is what is dispatched and not answered yet (all gets are dispatched at once).
            progress.update(summary, phase: "fetching", totalWindows: summary.windows, remaining: outstanding)
        }
        pool.finishWork()
        try throwFatal()
    }

    private func send(_ id: String) {
        outstanding += 1
        pool.dispatch(id)
    }

    private func fetched(_ id: String, _ result: Result<InstanceDetail, DingTalkError>) throws {
        outstanding -= 1
        guard fatal == nil else {
            // After a fatal error nothing new starts, but an answer in hand was paid for.
            if case .success(let detail) = result { _ = try? record(id, detail) }
            return
        }
        do {
            switch try handle(id, result, secondChance: !askedBefore.contains(id), retried: &retried) {
            case .none: break
            case .resend: send(id)
            case .budgetSpent: budgetSpent = true
            case .follow(let main):
                if !budgetSpent, !backfill, request.limit == nil, dispatched.insert(main) { send(main) }
            }
        } catch let e as DingSyncError {
            fatal = e
        }
    }

    private func throwFatal() throws {
        if let fatal {
            // No new call starts; answers already in hand are written (they were paid for).
            pool.shutdown()
            while let event = pool.events.pop() {
                if case .fetched(let id, .success(let detail)) = event { _ = try? record(id, detail) }
            }
            throw fatal
        }
    }

    private enum Next { case none, resend, budgetSpent, follow(String) }

    private func handle(_ id: String, _ result: Result<InstanceDetail, DingTalkError>, secondChance: Bool,
                        retried: inout [String: DingTalkError]) throws -> Next {
        switch result {
        case .success(let detail):
            return try record(id, detail).map(Next.follow) ?? .none
        case .failure(let error) where error.errorClass == .instance && secondChance && retried[id] == nil:
            retried[id] = error
            logger.info("instance could not be fetched; trying it once more", metadata: ["instance": "\(id)", "error": "\(error)"])
            return .resend
        case .failure(let error) where error.errorClass == .instance:
            try recordUnfetchable(id, error)
            return .none
        case .failure(let error) where error.errorClass == .budget:
            // A paid-for "cannot be fetched" answer whose second ask the allowance no longer
            // covers still counts: dropped, the id would be owed a first get again and cost a
            // call on every run without ever reaching the give-up rule.
            if let first = retried[id] { try recordUnfetchable(id, first) } else { summary.deferred += 1 }
            return .budgetSpent
        case .failure(let error) where error.errorClass == .cancelled:
            if let first = retried[id] { try recordUnfetchable(id, first) }
            return .none
        case .failure(let error):
            throw DingSyncError(error.exitStatus, "\(error.doing("fetching instance \(id)")): \(error)", cause: error.errorClass)
        }
    }

    private func recordUnfetchable(_ id: String, _ error: DingTalkError) throws {
        summary.failed += 1
        logger.warning(request.dryRun ? "instance could not be fetched" : "instance could not be fetched; recorded, retried later",
                       metadata: ["instance": "\(id)", "error": "\(error)"])
        try committer.goneAnswer(id, error)
    }

    @discardableResult
    private func record(_ id: String, _ detail: InstanceDetail) throws -> String? {
        summary.fetched += 1
        defer { summary.written = committer.written }  // as batches commit, for the progress line
        return try committer.fetched(detail).followUp
    }

    static func local(_ ms: Int64, _ tz: TimeZone) -> String { SyncRunner.local(ms, tz) }
}
