/// Decides, before anything is spent, what a run lists and which instances it fetches: a pure
/// function of the job's snapshot, the clock's reading, the ledger and the config. No I/O and
/// no clock of its own, so every decision is a table-driven unit test.
///
/// A run plans twice: the listing first (`listing`), and after the listed ids are recorded,
/// the gets (`gets`), so that new ids compete with revisits for the same allowance.
public enum Planner {
    public struct Settings: Sendable, Equatable {
        public var mode: SyncRequest.Mode = .sync
        /// Backfill's range, or sync's listing start when the runner has worked it out;
        /// `startMs` is `sync.start`.
        public var fromMs: Int64?
        public var toMs: Int64?
        public var startMs: Int64?
        public var overlapMs: Int64 = 3_600_000
        public var windowDays = 30
        public var resyncOpenMs: Int64 = 365 * RevisitPolicy.day
        public var monthlyBudget = 2_000
        public var limit: Int?
        public var maxCalls: Int?
        public var policy = RevisitPolicy()
        /// `v1`: new ids listed often and fetched at once, closes found by RUNNING listings.
        public var api: DingTalkAPI = .topapi
        public var running = RunningPolicy()
        /// `events.types` has `start`: arrivals are pushed while the connection is healthy.
        public var arrivalsByEvent = false
        /// `events.stream`: closes are pushed while the connection is healthy.
        public var closesByEvent = false
        /// The job's time zone's offset from UTC, for the hour of day (`QuietHours`).
        public var hourOffsetMs: Int64 = 8 * RevisitPolicy.hour
        public init() {}
    }

    public enum Reason: String, Sendable, CaseIterable, Comparable {
        case followUp = "follow-up", event, closed, reject, gone, new, revisit
        public static func < (a: Self, b: Self) -> Bool { allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)! }
    }

    public struct Get: Sendable, Equatable {
        public var id: String
        public var reason: Reason
        /// How overdue, relative to its interval (1 = just due); follow-ups come first.
        public var priority: Double
    }

    /// Due but not affordable in this run: what the run says it could not pay for.
    public struct Deferred: Sendable, Equatable {
        public var count = 0
        /// Since when the oldest of them has been waiting (its last check, or when listed).
        public var oldestMs: Int64?
    }

    public struct Plan: Sendable, Equatable {
        /// The calls this run may spend in all (listing included).
        public var allowance: Int
        public var scale: Double
        public var policy: RevisitPolicy
        /// Estimated calls per month at the job's observed volume.
        public var monthlyNeed: Int
        public var windows: [Window] = []
        public var gets: [Get] = []
        public var deferred: [Reason: Deferred] = [:]
        /// Due later: not worth a call yet.
        public var notDue = 0
        /// Calls a listing may borrow beyond `allowance`.
        public var listingSlack = 0
        /// What the month's budget has left when the plan was made (the pushed gets' bound).
        public var monthRemaining = 0
        /// A catch-up listing (a first sync, a job far behind, a cron that runs rarely): the
        /// ids it lists are fetched at once, without the first-get delay, which is there for
        /// the young instances of a job that lists every few hours. Set with the instant the
        /// listing was planned: ids recorded since then are this listing's.
        public var catchUpListedAtMs: Int64?
        /// The instant this run's listing is recorded as made (`last_listed_ms`): when it fell
        /// due, not when the run came, so the next one is due an interval after the last was,
        /// whatever the cron cadence (see `listingScheduleMs`).
        public var listingDueMs: Int64?
        /// v1 only: the sweep policy fitted to the budget, and the RUNNING slices to list now.
        public var running: RunningPolicy?
        public var slices: [RunningSlice] = []
        public var slicesDeferred = 0
        /// A sync's listing is due now, whether or not the allowance pays for it: a spent
        /// month's budget then ends the run with 75 (cli.md) instead of a silent 0.
        public var listingDue = false
    }

    /// The allowance, the policy for this job's volume, and the windows to list (none when a
    /// listing is not due yet).
    public static func listing(_ snapshot: JobSnapshot, budget: CallBudget, settings: Settings) -> Plan {
        // Needs are counted per 30 days, the budget per calendar month (28 to 31 days): fitted
        // to the budget itself, a 31-day month was planned at 3 % more than its share, and the
        // estimate's own error then ran into the pacing line.
        let rate = Int(Double(min(settings.monthlyBudget, budget.sustainableMonthly)) * Double(RevisitPolicy.month) / Double(budget.month.lengthMs))
        let scale: Double, need: Int
        var policy: RevisitPolicy, running: RunningPolicy?
        // Pushes arriving now (a healthy connection for the last hour): closes cost the gets their
        // pushes trigger, and what polling spent finding them goes to arrivals.
        let eventsFlowing = settings.closesByEvent && snapshot.coverage.covers(fromMs: budget.nowMs - RevisitPolicy.hour, toMs: budget.nowMs)
        switch settings.api {
        case .topapi:
            let base = eventsFlowing ? settings.policy.forEvents() : settings.policy
            (scale, policy, need) = base.fitted(to: volume(snapshot, nowMs: budget.nowMs, resyncOpenMs: settings.resyncOpenMs),
                                                budget: rate)
        case .v1:
            // Listing every ~hour and fetching at once is what v1 affords: most revisits become
            // one RUNNING page per slice instead of a get per open row.
            let ages = slices(snapshot, nowMs: budget.nowMs, settings: settings, policy: settings.running)
                .map { budget.nowMs - $0.youngestCreatedMs }
            var sweeps = settings.running
            sweeps.closesByEvent = eventsFlowing
            let fit = sweeps.fitted(arrivalsPerMonth: snapshot.arrivalsLast30Days, sliceAgesMs: ages, budget: rate)
            (scale, need, running) = (fit.scale, fit.need, fit.policy)
            policy = settings.policy
            // While pushes flow the listing is what arrivals wait for, as with topapi: the fit's
            // need counts a close's get per arrival, so a tight month stretched the listing by
            // the square root of its factor (arrival p95 1.23 h at 50 a day on 4,000 calls).
            policy.listIntervalMs = eventsFlowing ? min(fit.policy.listIntervalMs, RevisitPolicy().forEvents().listIntervalMs)
                                                  : fit.policy.listIntervalMs
            policy.firstGetDelayMs = 0
        }
        if eventsFlowing {
            policy.listIntervalMs = QuietHours.interval(policy.listIntervalMs, arrivalsByHour: snapshot.arrivalsByHour,
                                                        nowMs: budget.nowMs, hourOffsetMs: settings.hourOffsetMs)
        }
        var allowance: Int
        switch settings.mode {
        case .sync: allowance = max(budget.paced, budget.catchUp(steadyNeedPerMonth: need))
        case .backfill: allowance = budget.remaining
        }
        if let cap = settings.maxCalls { allowance = min(allowance, cap) }
        var plan = Plan(allowance: allowance, scale: scale, policy: policy, monthlyNeed: need)
        plan.monthRemaining = settings.maxCalls == nil ? budget.remaining : allowance
        plan.running = running
        let now = budget.nowMs
        switch settings.mode {
        case .backfill:
            plan.windows = WindowPlanner.windows(fromMs: settings.fromMs ?? now, toMs: settings.toMs ?? now, windowDays: settings.windowDays)
        case .sync:
            // With `start` pushes trusted since the last listing, arrivals come by event and the
            // listing is the safety net that catches a push lost in transit.
            let listInterval = settings.arrivalsByEvent && snapshot.lastListedMs.map { snapshot.coverage.covers(fromMs: $0, toMs: now) } == true
                ? max(policy.listIntervalMs, Self.arrivalSafetyNetMs) : policy.listIntervalMs
            let due = snapshot.lastListedMs.map { ratioOf(now - $0, listInterval, never: false) >= 1 } ?? true
            // The runner passes the horizon-checked start; alone, the planner derives it.
            let from = settings.fromMs ?? snapshot.watermarkMs.map { $0 - settings.overlapMs } ?? settings.startMs
            // A listing may borrow a few calls beyond the paced allowance (never beyond the
            // month's budget): a listing cut short pays its first pages again on the next run,
            // and what it borrows is paid back by fewer gets now and later.
            plan.listingSlack = max(0, min(Self.listingSlack, budget.remaining - allowance))
            plan.listingDue = due && from != nil
            if due, let from, allowance + plan.listingSlack > 0 {
                let to = listingEnd(from: from, to: settings.toMs ?? now, allowance: allowance + plan.listingSlack,
                                    arrivalsPerDay: Double(snapshot.arrivalsLast30Days) / 30)
                plan.windows = WindowPlanner.windows(fromMs: from, toMs: to, windowDays: settings.windowDays, maxIds: 200,
                                                     arrivalsPerDay: Double(snapshot.arrivalsLast30Days) / 30)
                plan.listingDueMs = listingScheduleMs(last: snapshot.lastListedMs, interval: policy.listIntervalMs, nowMs: now)
                // Most of what a long listing finds is old, and a user's first sync must show
                // rows: waiting would only delay them (by a whole day under a daily cron).
                if from < now - (policy.listIntervalMs + settings.overlapMs + policy.firstGetDelayMs) {
                    plan.catchUpListedAtMs = now
                }
            }
            // With pushes the need the fit sees is the healthy connection's, and an outage or a
            // day of distrusted events costs polling beyond it: spending ahead of the pacing
            // line on that estimate (415 calls in two days of a faulty week) left the pushed
            // gets past the line and the arrivals waiting for it for days. Ahead of the line
            // only for history (a catch-up listing).
            if settings.closesByEvent, plan.catchUpListedAtMs == nil {
                plan.allowance = min(plan.allowance, max(budget.paced, 0))
            }
        }
        return plan
    }

    /// The gets of a sync (or a dry run of one), in the order they are worth making, cut at
    /// what the allowance still pays for after `spent` calls of this run.
    public static func gets(_ snapshot: JobSnapshot, plan: Plan, nowMs: Int64, spent: Int, settings: Settings) -> Plan {
        var plan = plan
        let policy = plan.policy
        var due: [(Get, Int64)] = []
        due.reserveCapacity(snapshot.pending.count + snapshot.open.count)
        // Open rows also owed a get for another reason are planned once, by that reason. Kept
        // as a set of the open ids that are owed (at most the open rows), not of every owed id:
        // a first sync's catch-up owes tens of thousands.
        let openIds = Set(snapshot.open.map(\.id))
        var owedOpen: Set<String> = []
        for p in snapshot.pending {
            if openIds.contains(p.id) { owedOpen.insert(p.id) }
            let waited = nowMs - (p.lastTryMs ?? p.seenMs)
            switch p.reason {
            case .abandoned: continue
            case .followUp:
                due.append((Get(id: p.id, reason: .followUp, priority: .infinity), p.seenMs))
            case .event:
                // A push said this instance changed: the reader of the table is waiting for it now.
                due.append((Get(id: p.id, reason: .event, priority: Self.arrivalClass * 2 + Double(max(0, nowMs - p.seenMs))), p.seenMs))
            case .closed:
                // Absent from a RUNNING listing: closed (or deleted) since its last check. After
                // arrivals, before everything else: this is the close the table is waiting for.
                due.append((Get(id: p.id, reason: .closed, priority: Self.arrivalClass / 2 + Double(max(0, nowMs - p.seenMs))), p.seenMs))
            case .reject:
                let ratio = ratioOf(waited, policy.rejectRetryMs, never: p.lastTryMs == nil)
                if ratio >= 1 { due.append((Get(id: p.id, reason: .reject, priority: ratio), p.lastTryMs ?? p.seenMs)) } else { plan.notDue += 1 }
            case .gone:
                let ratio = ratioOf(waited, policy.goneRetryMs, never: false)
                if ratio >= 1 { due.append((Get(id: p.id, reason: .gone, priority: ratio), p.lastTryMs ?? p.seenMs)) } else { plan.notDue += 1 }
            case .new:
                // A due first get outranks every revisit: a missing row is what readers of the
                // table notice first, and arrivals are a bounded share of the budget.
                let caughtUp = plan.catchUpListedAtMs.map { p.seenMs >= $0 } ?? false
                let ratio = caughtUp ? 1 : ratioOf(nowMs - p.seenMs, policy.firstGetDelayMs, never: false)
                if ratio >= 1 { due.append((Get(id: p.id, reason: .new, priority: Self.arrivalClass + min(ratio, 1e6)), p.seenMs)) } else { plan.notDue += 1 }
            }
        }
        for o in snapshot.open where !owedOpen.contains(o.id) && nowMs - o.createdMs <= settings.resyncOpenMs {
            if let running = plan.running {
                // v1: RUNNING listings follow open rows; a get only when none has confirmed
                // the row for the safety net's interval.
                let seen = o.lastSeenOpenMs
                let ratio = closeHuntRatio(lastSeenMs: seen, interval: running.safetyNetMs, safety: running.safetyNetMs,
                                           coverage: snapshot.coverage, nowMs: nowMs)
                if ratio >= 1 { due.append((Get(id: o.id, reason: .revisit, priority: ratio), seen)) } else { plan.notDue += 1 }
                continue
            }
            let age = nowMs - o.createdMs
            let ratio = closeHuntRatio(lastSeenMs: o.checkedMs, interval: policy.revisitInterval(ageMs: age),
                                       safety: policy.safetyInterval(ageMs: age), coverage: snapshot.coverage, nowMs: nowMs)
            if ratio >= 1 { due.append((Get(id: o.id, reason: .revisit, priority: ratio), o.checkedMs)) } else { plan.notDue += 1 }
        }
        // Most overdue first; ties (and infinities) by reason, then id, so a plan is reproducible.
        due.sort { a, b in
            if a.0.priority != b.0.priority { return a.0.priority > b.0.priority }
            if a.0.reason != b.0.reason { return a.0.reason < b.0.reason }
            return a.0.id < b.0.id
        }
        var room = max(0, plan.allowance - spent)
        if let limit = settings.limit { room = min(room, limit) }
        // A pushed instance's get is owed whenever it is made: holding it behind the pacing
        // line saves no call, it only keeps the reader waiting. The month's budget bounds it.
        let pushed = due.count(where: { $0.0.reason == .event })
        let pushedRoom = settings.limit == nil ? max(0, min(pushed, plan.monthRemaining - spent) - room) : 0
        if pushedRoom > 0 {
            room += pushedRoom
            plan.allowance += pushedRoom
        }
        // Revisits leave the calls that the next half day's arrivals will need: otherwise a
        // night of revisits spends the paced allowance down to nothing and the morning's new
        // approvals queue behind the pacing line for hours.
        // With pushes an arrival costs two gets (its first, its close's), and revisits spend
        // what a day of them leaves: the safety net took every call the quiet hours' listing
        // freed, and while events were distrusted the polling revisits did, so that the pushed
        // gets ran past the pacing line and the arrivals waited for it for days.
        let reserve = settings.mode == .sync ? arrivalReserve(snapshot) * (settings.closesByEvent ? 4 : 1) : 0
        var gets: [Get] = []
        gets.reserveCapacity(min(room, due.count))
        for (g, since) in due {
            let arrival = g.reason == .new || g.reason == .followUp || g.reason == .closed || g.reason == .event
            if gets.count < room, arrival || gets.count < room - reserve {
                gets.append(g)
            } else {
                var d = plan.deferred[g.reason, default: Deferred()]
                d.count += 1
                d.oldestMs = min(d.oldestMs ?? since, since)
                plan.deferred[g.reason] = d
            }
        }
        plan.gets = gets
        return plan
    }

    /// A backfill fetches every listed id whose stored copy is not final (all with --refetch),
    /// at once, or nothing when the estimate does not fit the allowance.
    public static func backfillGets(listed: [String], storedFinal: Set<String>, refetch: Bool, plan: Plan,
                                    spent: Int, settings: Settings) -> (plan: Plan, estimate: Int, fits: Bool) {
        var plan = plan
        var ids = refetch ? listed : listed.filter { !storedFinal.contains($0) }
        if let limit = settings.limit { ids = Array(ids.prefix(limit)) }
        let fits = spent + ids.count <= plan.allowance
        plan.gets = fits ? ids.map { Get(id: $0, reason: .new, priority: 1) } : []
        if !fits { plan.deferred[.new] = Deferred(count: ids.count, oldestMs: nil) }
        return (plan, ids.count, fits)
    }

    /// A listing the allowance cannot finish would be paid for again by the next run (its
    /// watermark cannot move): list only as far as the allowance reaches at the observed
    /// rate of arrivals, so each run's listing completes and moves the watermark.
    static let listingSlack = 5
    /// The calls half a day of arrivals will need: what revisits and slices leave unspent, so
    /// that new rows do not queue behind the pacing line.
    static func arrivalReserve(_ snapshot: JobSnapshot) -> Int {
        Int((Double(snapshot.arrivalsLast30Days) / 60).rounded(.up))
    }

    /// Added to a due first get's overdue ratio so that it sorts before any revisit.
    static let arrivalClass = 1e9

    /// What the job's snapshot says of its volume, for the policy's fit to the budget.
    static func volume(_ snapshot: JobSnapshot, nowMs: Int64, resyncOpenMs: Int64) -> RevisitPolicy.Volume {
        RevisitPolicy.Volume(arrivalsPerMonth: snapshot.arrivalsLast30Days,
                             openAgesMs: snapshot.open.map { nowMs - $0.createdMs }.filter { $0 <= resyncOpenMs })
    }

    static func listingEnd(from: Int64, to: Int64, allowance: Int, arrivalsPerDay: Double) -> Int64 {
        guard arrivalsPerDay > 0, to > from else { return to }
        let perMs = arrivalsPerDay / Double(RevisitPolicy.day)
        // Pages half full on average: arrivals come in office-hour bursts.
        let pages = Double(to - from) * perMs / 10
        guard pages > Double(allowance) else { return to }
        let reach = Int64(Double(allowance) * 10 / perMs)
        return min(to, from + max(RevisitPolicy.hour, reach))
    }

    /// Where a listing made now is recorded: the instant it fell due, at most half an interval
    /// back. Recorded at the run that came first past it, each listing waited for the rest of a
    /// cron step on top of its interval: v1's listing, fitted to 100 minutes at 50 a day on
    /// 4,000 calls, ran every 120 minutes under an hourly cron and every 100 under a 10-minute
    /// one, 70 calls a month apart for the same plan. Scheduled from when it was due, an hourly
    /// cron lists at 60 and 120 minutes in turn, the planned 100 on average. Half an interval
    /// at most: after an outage (or a cron slower than the interval) the schedule restarts
    /// from now instead of owing a burst of listings.
    static func listingScheduleMs(last: Int64?, interval: Int64, nowMs: Int64) -> Int64 {
        guard let last else { return nowMs }
        return min(nowMs, max(nowMs - interval / 2, last + interval))
    }

    /// A run never starts more often than a minute, and what it records (a listing's end, a
    /// fetch) happens seconds after it started: an interval that ends within the minute is due
    /// now, or the next run finds it a few seconds short and it waits a whole cron step (an
    /// hourly listing under a 10-minute cron became one every 70 minutes). An interval that an
    /// ample budget shrank to seconds gets a tenth of itself, so it is not due on every run.
    static let dueSlackMs: Int64 = 60_000

    /// How due the search for an open instance's close is. By `interval` since it was last seen
    /// open; but where Stream pushes covered that time, a close would have been pushed: then by
    /// the safety net since it was last seen, and by `interval` only from the first instant
    /// the pushes did not cover (the connection was down, or the push quota stopped).
    static func closeHuntRatio(lastSeenMs: Int64, interval: Int64, safety safetyMs: Int64, coverage: EventCoverage, nowMs: Int64) -> Double {
        guard !coverage.spans.isEmpty else { return ratioOf(nowMs - lastSeenMs, interval, never: false) }
        let safety = ratioOf(nowMs - lastSeenMs, max(interval, safetyMs), never: false)
        guard let gap = coverage.firstUncovered(fromMs: lastSeenMs, toMs: nowMs) else { return safety }
        return max(safety, ratioOf(nowMs - gap, interval, never: false))
    }

    /// With arrivals pushed, the new-id listing still runs daily: it is the only way to find an
    /// instance whose `start` push was lost in transit.
    static let arrivalSafetyNetMs: Int64 = 24 * RevisitPolicy.hour

    /// The instant `ratioOf` reaches 1 for something last done at `lastMs`.
    public static func dueAtMs(after lastMs: Int64, interval: Int64) -> Int64 {
        lastMs + interval - min(dueSlackMs, interval / 10)
    }

    static func ratioOf(_ waited: Int64, _ interval: Int64, never: Bool) -> Double {
        if never { return .infinity }
        guard interval > 0 else { return .infinity }
        return Double(waited + min(dueSlackMs, interval / 10)) / Double(interval)
    }
}
