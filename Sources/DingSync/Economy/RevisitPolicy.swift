/// When each kind of call is worth making, as intervals of time (never "every run"), so the
/// spend follows the clock and not the cron cadence.
///
/// The figures are those of a tight budget (about 4,000 calls a month for 50 approvals a day),
/// chosen with a model of the workload and checked with the economy benchmark; `fitted(...)`
/// shortens every interval when the job's budget is above its need, so an ample budget buys
/// freshness instead of lying unused.
public struct RevisitPolicy: Sendable, Equatable {
    static let minute: Int64 = 60_000
    static let hour: Int64 = 60 * minute
    static let day: Int64 = 24 * hour
    static let month: Int64 = 30 * day

    /// Between two listings of new ids.
    public var listIntervalMs: Int64 = 180 * minute
    /// A newly listed instance waits this long for its first `get`: half of all approvals
    /// close within hours, and one fetched after its close needs no second call. Listing
    /// interval plus this delay bound the arrival delay (3 h + 4 h < the 8 h floor).
    public var firstGetDelayMs: Int64 = 4 * hour
    /// An open instance is checked again `ageFraction` of its age after its last check, but
    /// never sooner than `youngIntervalMs` nor later than `tailIntervalMs`: the interval grows
    /// with age because the long tail open for months closes rarely. Measured alternatives
    /// (doubling from the first get, or intervals from the closing odds at each age) cost
    /// 20–60 % more calls for the same p95 close delay or bought only a better median: a
    /// close is late when the check after it is, whatever came before, so checks evenly
    /// spaced while closes are likely are the cheapest way to bound the delay.
    public var youngIntervalMs: Int64 = 108 * hour
    public var ageFraction = 1.0 / 3
    public var tailIntervalMs: Int64 = 10 * day
    /// Pending rejects are retried this often (a fix to the config or the table is a human's
    /// job, not something a tight retry loop brings about).
    public var rejectRetryMs: Int64 = 6 * hour
    /// An instance whose `get` answers "gone" is asked again after this long, and given up
    /// after `goneAnswers` such answers spread over at least `goneSpanMs` (the first answer
    /// is asked twice in its run: a listed id that a `get` cannot find yet is rare, and a
    /// deleted one then costs four calls in all).
    public var goneRetryMs: Int64 = 12 * hour
    public var goneAnswers = 3
    public var goneSpanMs: Int64 = 1 * day
    /// While Stream pushes bring the closes (`watch`, a healthy connection): a close costs the
    /// get its push triggers, and an open instance is confirmed only by this safety net
    /// (`safetyYoungMs`, growing with age, at most `safetyTailMs`), which catches a push lost
    /// in transit. Set by `forEvents()`.
    public var closesByEvent = false
    public var safetyYoungMs: Int64 = 7 * day
    public var safetyAgeFraction = 0.5
    public var safetyTailMs: Int64 = 45 * day

    public init() {}

    /// The tight policy while pushes bring the closes: the calls revisits cost under polling go
    /// to arrivals instead (a listing every 55 minutes, fetched at once: a new row within the
    /// hour), and closes cost one get each, when pushed.
    public func forEvents() -> RevisitPolicy {
        var p = self
        p.closesByEvent = true
        p.listIntervalMs = 55 * Self.minute
        p.firstGetDelayMs = 0
        return p
    }

    /// How long a covered open instance of this age waits for the safety net.
    public func safetyInterval(ageMs: Int64) -> Int64 {
        min(safetyTailMs, max(safetyYoungMs, Int64(Double(max(0, ageMs)) * safetyAgeFraction)))
    }

    /// Every freshness interval times `factor` (0 < factor ≤ 1), and the first-get delay
    /// times its square: a missing new row is what readers of the table notice first, and it
    /// is the cheapest freshness to buy (one call per arrival however short the delay). The
    /// give-up rule for deleted instances is not scaled: it is about DingTalk's consistency,
    /// not about the budget.
    public func scaled(by factor: Double) -> RevisitPolicy {
        var p = self
        func s(_ v: Int64, _ f: Double = factor) -> Int64 { Int64((Double(v) * f).rounded()) }
        // Under a minute is "every run": no cron fires more often than that.
        func everyRun(_ x: Int64) -> Int64 { x < Self.minute ? 0 : x }
        p.listIntervalMs = everyRun(s(listIntervalMs))
        p.firstGetDelayMs = everyRun(s(firstGetDelayMs, factor * factor))
        p.youngIntervalMs = s(youngIntervalMs)
        p.ageFraction = ageFraction * factor
        p.tailIntervalMs = s(tailIntervalMs)
        p.rejectRetryMs = s(rejectRetryMs)
        // The safety net is budget-fitted only where it is the whole of close-hunting.
        if closesByEvent {
            p.safetyYoungMs = s(safetyYoungMs)
            p.safetyAgeFraction = safetyAgeFraction * factor
            p.safetyTailMs = s(safetyTailMs)
        }
        return p
    }

    /// How long after its last check an open instance of this age is due again.
    public func revisitInterval(ageMs: Int64) -> Int64 {
        min(tailIntervalMs, max(youngIntervalMs, Int64(Double(max(0, ageMs)) * ageFraction)))
    }

    /// What the job costs a month at this policy: listings, a first get per arrival, and the
    /// open instances at their intervals (from the state tables, so a form whose approvals
    /// close fast is seen to need little).
    public func monthlyNeed(_ volume: Volume) -> Int {
        func per(_ interval: Int64) -> Double { Double(Self.month) / Double(max(Self.minute, interval)) }
        // Under pushes every arrival costs its close's get too, and open ones only the safety net.
        let arrivals = Double(volume.arrivalsPerMonth) * (closesByEvent ? 2 : 1)
        let need = per(listIntervalMs) + arrivals
            + volume.openAgesMs.reduce(0) { $0 + per(closesByEvent ? safetyInterval(ageMs: $1) : revisitInterval(ageMs: $1)) }
        return Int(need.rounded(.up))
    }

    /// A job's observed volume: arrivals in the last 30 days, the ages of its open instances.
    public struct Volume: Sendable, Equatable {
        public var arrivalsPerMonth: Int
        public var openAgesMs: [Int64]
        public init(arrivalsPerMonth: Int, openAgesMs: [Int64]) {
            self.arrivalsPerMonth = arrivalsPerMonth
            self.openAgesMs = openAgesMs
        }
    }

    /// The share of the month's budget (per 30 days of it) the policy plans to spend; the rest
    /// absorbs bursts and the retries of a bad day. The need errs high (the benchmark spends
    /// about 94 % of what is planned: instances close before their revisit), so 98 % planned
    /// is about 92 % spent. (Until the fit read the budget per day of its month, a 31-day month
    /// was planned at 95 % of 31 days' budget over 30 days, 98 % per 30 days: the same plan.)
    static let plannedShare = 0.98
    /// A budget the tight policy fills beyond this share buys no freshness: the need is an
    /// estimate, and intervals shortened by a few percent only make revisits the pacing line
    /// then defers (50 a day on 4,000 calls fitted at 0.96-0.99: close p95 122 h against 115 h).
    static let freshnessHeadroom = 0.95

    /// The freshest scaling of this policy whose need fits the planned share of the budget
    /// (1 when even the tight policy does not fit, never below 1/1000), with the tight
    /// policy's need: what the job needs at least, the figure `check` and `status` show.
    public func fitted(to volume: Volume, budget: Int) -> (scale: Double, policy: RevisitPolicy, need: Int) {
        let target = Self.plannedShare * Double(max(0, budget))
        let tight = monthlyNeed(volume)
        guard Double(tight) < Self.freshnessHeadroom * Double(max(0, budget)) else { return (1, self, tight) }
        func fits(_ f: Double) -> Bool { Double(scaled(by: f).monthlyNeed(volume)) <= target }
        // The need falls as the factor grows: bisect for the smallest factor that fits.
        var lo = 0.001, hi = 1.0
        if fits(lo) { hi = lo }
        while hi - lo > 1e-4 {
            let mid = (lo + hi) / 2
            if fits(mid) { hi = mid } else { lo = mid }
        }
        return (hi, scaled(by: hi), tight)
    }
}
