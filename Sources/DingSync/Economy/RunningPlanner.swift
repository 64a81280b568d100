/// With `dingtalk.api: v1` a job can learn that an approval closed without a `get` of it:
/// v1 lists instance ids filtered by *current* status, so listing the RUNNING (and NEW) ids
/// over the creation span of the job's open rows and diffing the answer against them finds
/// every approval that closed; a `get` is spent only on those (issue 11).
///
/// The open rows, ordered by creation, are cut into slices of at most `sliceRows` rows: a
/// slice's RUNNING ids fit one page, so a slice costs one call. A slice is due when one of its
/// rows has gone unconfirmed (by a RUNNING listing, or a fetch) for the interval of its age: a
/// quarter of the age between 8 h and 22 h while the row is under two weeks old, 48 h after.
/// A slow safety net remains: an open row that no listing has confirmed for `safetyNetMs` is
/// fetched (a DingTalk inconsistency in the status filter must not leave a row stale for ever).
///
/// Why 22 h for rows up to two weeks old, where the interval used to grow to 48 h from 8 days
/// on: a close is late (for a p95 of a day) only when the listing after it comes more than a
/// day later, and a page costs the same whatever it finds. Rows 3 to 14 days old hold an
/// eighth of all closes; at intervals over a day a third of those were late, and they set the
/// p95 (a model of the benchmark's workload: p95 30 h against 20 h for 1.5 % more calls).
/// When the budget binds, that day is the last thing given up: the weeks-old pages and the
/// listing slow first.
public struct RunningPolicy: Sendable, Equatable {
    static let minute: Int64 = 60_000
    static let hour = 60 * minute
    static let day = 24 * hour

    /// Between two listings of new ids (any status): arrivals are fetched at once after it,
    /// so this bounds the arrival delay (cron cadence aside).
    public var listIntervalMs: Int64 = 50 * minute
    /// A row is confirmed again after `ageFraction` of its age, never sooner than
    /// `youngIntervalMs`, never later than `freshCapMs` while under `oldAgeMs`, and every
    /// `tailIntervalMs` after. The floor is 8 h, not 4: the calls a 4-hour young slice spent
    /// bought the median, not the p95 (at 50 a day and 4,000 calls, close p95 62 h against 69 h).
    public var youngIntervalMs: Int64 = 8 * hour
    public var ageFraction = 0.25
    public var freshCapMs: Int64 = 22 * hour
    public var oldAgeMs: Int64 = 14 * day
    public var tailIntervalMs: Int64 = 48 * hour
    /// However tight the budget, a weeks-old row's close is seen within two and a half days, so
    /// hardly any close stays unsettled past two: with the tail allowed to slow to 8 days, 12
    /// closes were unsettled at the end of the benchmark's month (50 a day, 4,000 calls), for
    /// about 70 calls a month saved.
    public var tailCeilingMs: Int64 = 60 * hour
    /// An open row unconfirmed for this long is owed a `get`.
    public var safetyNetMs: Int64 = 10 * day
    /// Rows per slice: one below a page, so one unknown running id does not cost a second page.
    public var sliceRows = 19
    /// DingTalk's window limit, with a margin.
    public var maxSliceSpanMs: Int64 = 119 * day
    /// Gets per arrival beyond its first: its close. About a tenth close before their first
    /// get, but deleted ones' retries, revocations' follow-ups and the safety net make up for
    /// them (the benchmark at 50 a day: 3,035 gets a month for 1,520 arrivals; counted at 0.9,
    /// the need came out 5 % low and the spend ran into the pacing line).
    static let closeGetShare = 1.0
    /// While Stream pushes bring the closes (`watch`): a slice is listed only for the safety net.
    public var closesByEvent = false

    /// The share of the month's budget (per 30 days) planned: v1's need is close to what it
    /// spends (the benchmark: within 2 %), so 5 % is left for bursts and a bad day's retries.
    static let plannedShare = 0.95

    public init() {}

    public func sweepInterval(ageMs: Int64) -> Int64 {
        if ageMs >= oldAgeMs { return tailIntervalMs }
        return min(freshCapMs, max(youngIntervalMs, Int64(Double(max(0, ageMs)) * ageFraction)))
    }

    /// The intervals times `factor`: < 1 when the budget buys more (everything fresher, down to
    /// listing on every run, like topapi's fit), > 1 when it cannot pay the policy. Then the
    /// shortfall falls where it costs the p95s least: the weeks-old pages slow by the factor's
    /// square (never past `tailCeilingMs`), the young rows by the factor but never past the
    /// 22-hour cap, the listing of new ids by the factor's square root only (the first
    /// benchmark held arrivals at 50 min and starved the sweeps: close p95 415 h; a missing row
    /// is what readers notice first, but a close never seen is worse). The safety net stays:
    /// it is about DingTalk, not the budget.
    public func scaled(by factor: Double) -> RunningPolicy {
        var p = self
        // Under a minute is "every run": no cron fires more often than that.
        func s(_ v: Int64, _ f: Double) -> Int64 { let x = Int64((Double(v) * f).rounded()); return x < Self.minute ? 0 : x }
        let tight = factor > 1
        p.youngIntervalMs = s(youngIntervalMs, factor)
        p.ageFraction = ageFraction * factor
        if !tight { p.freshCapMs = s(freshCapMs, factor) }
        p.tailIntervalMs = min(s(tailIntervalMs, tight ? factor * factor : factor), tailCeilingMs)
        p.listIntervalMs = s(listIntervalMs, tight ? factor.squareRoot() : factor)
        return p
    }

    /// Calls a month: listings, a first get per arrival and a close get for most, the slices at
    /// their intervals (`sliceAgesMs`: the youngest age of each slice).
    public func monthlyNeed(arrivalsPerMonth: Int, sliceAgesMs: [Int64]) -> Int {
        let month = Double(30 * Self.day)
        var need = month / Double(max(Self.minute, listIntervalMs)) + Double(arrivalsPerMonth) * (1 + Self.closeGetShare)
        need += sliceAgesMs.reduce(0) { age, ms in
            let interval = closesByEvent ? max(sweepInterval(ageMs: ms), EventCoverage.safetyNetMs) : sweepInterval(ageMs: ms)
            return age + month / Double(max(Self.minute, interval))
        }
        return Int(need.rounded(.up))
    }

    /// The scaling whose need fills the planned share of the budget: fresher sweeps (and
    /// listings) when the budget allows, down to every run; slower sweeps when it binds (up to
    /// four times). Returns the factor, the policy and the unscaled need.
    public func fitted(arrivalsPerMonth: Int, sliceAgesMs: [Int64], budget: Int) -> (scale: Double, policy: RunningPolicy, need: Int) {
        let target = Self.plannedShare * Double(max(0, budget))
        let need = monthlyNeed(arrivalsPerMonth: arrivalsPerMonth, sliceAgesMs: sliceAgesMs)
        func fits(_ f: Double) -> Bool {
            Double(scaled(by: f).monthlyNeed(arrivalsPerMonth: arrivalsPerMonth, sliceAgesMs: sliceAgesMs)) <= target
        }
        var lo = 0.001, hi = 4.0
        if fits(lo) { return (lo, scaled(by: lo), need) }
        if !fits(hi) { return (hi, scaled(by: hi), need) }
        while hi - lo > 1e-4 {
            let mid = (lo + hi) / 2
            if fits(mid) { hi = mid } else { lo = mid }
        }
        return (hi, scaled(by: hi), need)
    }
}

/// A creation-time span of open rows whose RUNNING ids one listing returns.
public struct RunningSlice: Sendable, Equatable {
    /// Inclusive bounds, as the v1 query takes them.
    public var fromMs: Int64
    public var toMs: Int64
    /// The open rows this slice settles: each is confirmed if listed, owed a get if not.
    public var ids: [String]
    /// Stored creation times may be truncated (to the second by the legacy get, to the minute
    /// by v1's): a window reaches this far past its youngest row.
    static let truncationMarginMs: Int64 = 59_999
    /// Its youngest row's creation instant.
    var youngestCreatedMs: Int64 { toMs - Self.truncationMarginMs }
    /// How overdue (1 = just due).
    public var priority: Double
}

extension Planner {
    /// The statuses an open row can have (NEW is a draft not yet submitted, still open).
    public static let openStatuses = ["RUNNING", "NEW"]

    /// The open rows as slices, in creation order, each with how overdue it is.
    static func slices(_ snapshot: JobSnapshot, nowMs: Int64, settings: Settings, policy: RunningPolicy) -> [RunningSlice] {
        let owed = Set(snapshot.pending.map(\.id))
        // Youngest first: a page costs one call however few ids it holds, so each slice takes a
        // full page of rows from the young end, and older rows that share a page with young
        // ones are checked at the young pace for nothing.
        // DingTalk refuses a window starting beyond its 365-day horizon (a 78 for the whole run):
        // rows older than that are left to the safety net's gets.
        let earliest = WindowPlanner.earliestAllowed(nowMs: nowMs)
        let rows = snapshot.open.filter { !owed.contains($0.id) && nowMs - $0.createdMs <= settings.resyncOpenMs && $0.createdMs >= earliest }
            .sorted { ($0.createdMs, $0.id) > ($1.createdMs, $1.id) }
        var out: [RunningSlice] = []
        var i = 0
        while i < rows.count {
            var j = i + 1
            // A slice ends at a page's worth of rows, or at DingTalk's window limit.
            while j < rows.count, j - i < policy.sliceRows, rows[i].createdMs - rows[j].createdMs <= policy.maxSliceSpanMs { j += 1 }
            let part = rows[i..<j].reversed()
            let youngest = part.map(\.createdMs).max()!
            // Due when one of its rows is, each by the interval of its own age: slices are cut
            // afresh each run, and an old row that now shares a page with young ones must not
            // make the slice due at the young pace (it is checked along with them for free).
            let ratio = part.map { closeHuntRatio(lastSeenMs: $0.lastSeenOpenMs, interval: policy.sweepInterval(ageMs: nowMs - $0.createdMs),
                                                  safety: EventCoverage.safetyNetMs, coverage: snapshot.coverage, nowMs: nowMs) }.max()!
            out.append(RunningSlice(fromMs: part.first!.createdMs, toMs: youngest + RunningSlice.truncationMarginMs, ids: part.map(\.id), priority: ratio))
            i = j
        }
        return out.reversed()
    }

    /// v1 only: the slices to list now, most overdue first, as many as the allowance pays for
    /// after the gets already owed (arrivals, closes found earlier) and half a day of arrivals.
    /// Runs after the listing of new ids has been recorded, so those count as owed.
    public static func running(_ snapshot: JobSnapshot, plan: Plan, nowMs: Int64, spent: Int, settings: Settings) -> Plan {
        var plan = plan
        guard settings.api == .v1, settings.mode == .sync, let policy = plan.running else { return plan }
        let due = slices(snapshot, nowMs: nowMs, settings: settings, policy: policy).filter { $0.priority >= 1 }
            .sorted { $0.priority != $1.priority ? $0.priority > $1.priority : $0.fromMs < $1.fromMs }
        let owedNow = snapshot.pending.filter { [.new, .followUp, .closed].contains($0.reason) }.count
        let reserve = arrivalReserve(snapshot)
        var room = max(0, plan.allowance - spent - owedNow - reserve)
        if settings.limit != nil { room = 0 }
        for s in due {
            if room > 0 {
                plan.slices.append(s)
                room -= 1
            } else {
                plan.slicesDeferred += 1
            }
        }
        return plan
    }
}
