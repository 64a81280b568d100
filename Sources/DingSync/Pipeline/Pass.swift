/// One thing a pass does that touches the outside world. The runner carries a step out and
/// tells the pass what came of it; which step comes next is `PassState.next()`'s decision.
enum PassStep: Equatable {
    /// List new ids over the windows; a catch-up fetches their first gets as the pages come,
    /// while the run's metered calls stay under `fetchingUpTo` (0: no fetch while listing).
    case list([Window], fetchingUpTo: Int)
    /// Read the job's state again: a step recorded what the plan after it must see.
    case reread
    /// v1: RUNNING listings of the open rows' slices (none may be due: the sweep's plan is
    /// still reported).
    case sweep([RunningSlice])
    /// Backfill: which of the listed ids have a final stored copy (those cost no get).
    case lookUp([String])
    /// Backfill: the estimate is said before any get, and the pass stops when it does not fit.
    case estimate(Estimate)
    case fetch([Planner.Get])

    struct Estimate: Equatable {
        var listed: Int
        /// Listed ids whose stored copy is final.
        var skipped: Int
        /// Gets the backfill would make.
        var calls: Int
        var fits: Bool
    }
}

/// A `sync` or `backfill` pass from its listing plan to its last get, as pure state: the
/// runner asks `next()` for a step, carries it out, and records what came of it here. Every
/// difference between the modes, the APIs and a dry run is decided in this file, so a pass's
/// course is a unit test without I/O; the planner's functions decide each step's content.
struct PassState {
    /// The order of a pass's decisions. A stage may decide that nothing is to be done.
    enum Stage: Equatable { case list, reread, refit, sweep, gets, lookUp, estimate, fetch }

    let settings: Planner.Settings
    let budget: CallBudget
    /// A dry run records nothing: its listed ids are owed a get in memory only, and it lists
    /// no RUNNING slice (a sweep records what it finds).
    let dryRun: Bool
    /// `backfill --refetch`: every listed id is fetched, final or not.
    let refetch: Bool

    private(set) var stages: [Stage]
    private(set) var snapshot: JobSnapshot
    private(set) var plan: Planner.Plan
    /// The run's allowance as the summary reports it: the listing's, or the catch-up's refit
    /// (pushed gets may go past it).
    private(set) var allowance: Int
    /// The clock and the run's metered calls, as of the last step that made calls.
    private(set) var nowMs: Int64
    private(set) var spent = 0

    /// What the listing found: the distinct ids, the windows' figures (a catch-up's refit reads
    /// their creation spans), and, in a dry run, the ids owed a first get in memory.
    private(set) var listed: [String] = []
    private(set) var listedWindows: [WindowStats] = []
    private(set) var owedInMemory: Set<String> = []
    private(set) var didList = false
    /// A step recorded rows since the snapshot was read.
    private(set) var stale = false
    private(set) var storedFinal: Set<String> = []

    init(snapshot: JobSnapshot, budget: CallBudget, settings: Planner.Settings, dryRun: Bool = false, refetch: Bool = false) {
        self.snapshot = snapshot
        self.budget = budget
        self.settings = settings
        self.dryRun = dryRun
        self.refetch = refetch
        plan = Planner.listing(snapshot, budget: budget, settings: settings)
        allowance = plan.allowance
        nowMs = budget.nowMs
        switch settings.mode {
        // A sync reads again only what a step changed: under a cron every minute most runs
        // list nothing, and the open rows' query was most of what such a run cost.
        case .sync: stages = [.list, .reread, .refit, .sweep, .reread, .gets, .fetch]
        case .backfill: stages = [.list, .lookUp, .estimate, .fetch]
        }
    }

    /// A listing is due (or planned) and the month's budget has nothing left to pay for it.
    var listingUnpaid: Bool { budget.remaining == 0 && (!plan.windows.isEmpty || plan.listingDue) }

    /// What the gets, and a sweep, may still spend: the allowance less the run's calls so far;
    /// never the listing's borrowed slack.
    var callsLeft: Int { max(0, plan.allowance - spent) }

    /// The next step, nil when the pass is done.
    mutating func next() -> PassStep? {
        while !stages.isEmpty {
            if let step = decide(stages.removeFirst()) { return step }
        }
        return nil
    }

    private mutating func decide(_ stage: Stage) -> PassStep? {
        switch stage {
        case .list:
            guard !plan.windows.isEmpty else { return nil }
            // A sync's catch-up fetches as it lists, within what the plan after the listing
            // allows whatever the listing shows (the pacing line: a refit never goes below it).
            let atOnce = settings.mode == .sync && plan.catchUpListedAtMs != nil && !dryRun && settings.limit == nil
            return .list(plan.windows, fetchingUpTo: atOnce ? min(plan.allowance, budget.paced) : 0)
        case .reread:
            return stale && !dryRun ? .reread : nil
        case .refit:
            // A first sync's snapshot has seen no instance: its listing shows the job's volume.
            if didList, !dryRun, plan.catchUpListedAtMs != nil {
                plan = Planner.refitAfterCatchUp(plan, snapshot: snapshot, listed: listedWindows, budget: budget, settings: settings)
                allowance = plan.allowance
            }
            return nil
        case .sweep:
            // v1: with what the new ids and the closes already found leave of the allowance.
            guard plan.running != nil, !dryRun else { return nil }
            plan = Planner.running(snapshot, plan: plan, nowMs: nowMs, spent: spent, settings: settings)
            return .sweep(plan.slices)
        case .gets:
            if dryRun {
                let known = Set(snapshot.pending.map(\.id))
                // A preview shows the new rows now, whatever the first-get delay would do.
                let seen = nowMs - plan.policy.firstGetDelayMs
                snapshot.pending += owedInMemory.subtracting(known).sorted().map { PendingInstance(id: $0, reason: .new, seenMs: seen) }
            }
            plan = Planner.gets(snapshot, plan: plan, nowMs: nowMs, spent: spent, settings: settings)
            return nil
        case .lookUp:
            return refetch ? nil : .lookUp(listed)
        case .estimate:
            let fit = Planner.backfillGets(listed: listed, storedFinal: storedFinal, refetch: refetch, plan: plan,
                                           spent: spent, settings: settings)
            plan = fit.plan
            if !fit.fits { stages.removeAll() }
            let skipped = refetch ? 0 : listed.filter(storedFinal.contains).count
            return .estimate(.init(listed: listed.count, skipped: skipped, calls: fit.estimate, fits: fit.fits))
        case .fetch:
            return .fetch(plan.gets)
        }
    }

    // MARK: - What came of a step

    /// The clock and the run's metered calls after a step that made calls.
    mutating func tally(nowMs: Int64, spent: Int) {
        self.nowMs = nowMs
        self.spent = spent
    }

    mutating func listed(_ ids: [String], windows: [WindowStats], owedInMemory: Set<String>) {
        listed = ids
        listedWindows = windows
        self.owedInMemory = owedInMemory
        didList = true
        stale = true
    }

    /// `slices`: how many were listed whole (each recorded its confirmations and closes).
    mutating func swept(_ slices: Int) {
        if slices > 0 { stale = true }
    }

    mutating func reread(_ snapshot: JobSnapshot) {
        self.snapshot = snapshot
        stale = false
    }

    /// Once the gets are planned the snapshot has done its work: a catch-up's owed rows (all
    /// 20,000 of a first sync of 20,000) are not held through the fetching (`make bench`'s RSS
    /// ratio: 1.11 with them held, 1.07 without).
    mutating func releaseSnapshot() {
        snapshot = JobSnapshot()
    }

    mutating func lookedUp(final: Set<String>) {
        storedFinal = final
    }
}
