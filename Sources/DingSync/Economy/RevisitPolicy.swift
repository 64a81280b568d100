/// When each kind of call is worth making, as intervals of time (never "every run"), so the
/// spend follows the clock and not the cron cadence.
///
/// The figures are those of a tight budget (about 4,000 calls a month for 50 approvals a day,
/// chosen with the economy benchmark); `scaled(by:)` shortens every interval when the job's
/// budget is far above its need, so a rich budget buys freshness instead of lying unused.
public struct RevisitPolicy: Sendable, Equatable {
    static let minute: Int64 = 60_000
    static let hour: Int64 = 60 * minute
    static let day: Int64 = 24 * hour

    /// Between two listings of new ids.
    public var listIntervalMs: Int64 = 180 * minute
    /// A newly listed instance waits this long for its first `get`: half of all approvals
    /// close within hours, and one fetched after its close needs no second call.
    public var firstGetDelayMs: Int64 = 4 * hour
    /// Open instances: the next check comes `growth ×` the age it had at the last check after
    /// that check (one: checks at ages a, 2a, 4a…)...
    public var growth: Double = 1.0
    public var minIntervalMs: Int64 = 1 * hour
    /// ...at most `youngCapMs` apart while younger than `tailAgeMs`, then `tailCapMs` apart:
    /// the long tail open for months changes rarely, but is still followed.
    public var youngCapMs: Int64 = 3 * day
    public var tailAgeMs: Int64 = 30 * day
    public var tailCapMs: Int64 = 16 * day
    /// Pending rejects are retried this often (a fix to the config or the table is a human's
    /// job, not something a tight retry loop brings about).
    public var rejectRetryMs: Int64 = 6 * hour
    /// An instance whose `get` answers "gone" is asked again after this long, and given up
    /// after `goneAnswers` such answers spread over at least `goneSpanMs`.
    public var goneRetryMs: Int64 = 6 * hour
    public var goneAnswers = 4
    public var goneSpanMs: Int64 = 1 * day

    public init() {}

    /// Every freshness interval times `factor` (0 < factor ≤ 1); arrivals (listing and the
    /// first get) times its square, because a new row is what readers of the table miss first
    /// and it is the cheaper freshness to buy. The give-up rule for deleted instances is not
    /// scaled: it is about DingTalk's consistency, not about the budget.
    public func scaled(by factor: Double) -> RevisitPolicy {
        var p = self
        func s(_ v: Int64, _ f: Double = factor) -> Int64 { Int64((Double(v) * f).rounded()) }
        // Under a minute is "every run": no cron fires more often than that.
        func arrival(_ v: Int64) -> Int64 { let x = s(v, factor * factor); return x < Self.minute ? 0 : x }
        p.listIntervalMs = arrival(listIntervalMs)
        p.firstGetDelayMs = arrival(firstGetDelayMs)
        p.minIntervalMs = s(minIntervalMs)
        p.youngCapMs = s(youngCapMs)
        p.tailCapMs = s(tailCapMs)
        p.rejectRetryMs = s(rejectRetryMs)
        p.growth = growth * factor
        return p
    }

    /// How long after its last check an open instance is due again: it grows with the age the
    /// instance had at that check (with today's age it would never come due), capped by today's.
    public func revisitInterval(ageAtCheckMs: Int64, ageMs: Int64) -> Int64 {
        let cap = ageMs < tailAgeMs ? youngCapMs : tailCapMs
        let grown = Int64((Double(max(0, ageAtCheckMs)) * growth).rounded())
        return min(cap, max(minIntervalMs, grown))
    }

    /// A rough monthly need at this policy, for the scale and for `check`/`status`: listings,
    /// a first get per arrival plus the revisits a young approval costs on average (about two,
    /// measured by the economy benchmark), and the long tail at its cap. Erring high keeps a
    /// binding budget from being mistaken for an ample one.
    public func monthlyNeed(arrivalsPerMonth: Int, openOld: Int) -> Int {
        let month = Double(30 * Self.day)
        let listings = month / Double(max(Self.minute, listIntervalMs))
        let tail = Double(openOld) * month / Double(max(Self.hour, tailCapMs))
        return Int((listings + Double(arrivalsPerMonth) * 3 + tail).rounded(.up))
    }

    /// The factor that fits the tight policy's need into the budget with a margin: 1 when the
    /// budget is tight, smaller (fresher) when it is ample, never below 1/100.
    public static func scale(need: Int, budget: Int) -> Double {
        guard budget > 0 else { return 1 }
        return min(1, max(0.01, Double(need) / (0.8 * Double(budget))))
    }
}
