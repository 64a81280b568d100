@testable import DingSync
import DingTalkSimulator
import Foundation

/// The planner and the budget driven by cron over simulated days, against an in-memory DingTalk
/// that answers listings, RUNNING slices (v1) and gets from a world of approvals with known
/// lifetimes. Pure and fast, so a cadence can be compared at every minute over days: the
/// executor, the database and the wire are tested elsewhere, and `make bench-economy` runs the
/// real pipeline over a month.
struct SpendModel {
    static let minute: Int64 = 60_000
    static let hour = 60 * minute
    static let day = 24 * hour

    /// Approvals with the economy benchmark's lifetimes: half close within 20 min–8 h, a quarter
    /// within 8 h–3 days, 12 % within 3–14 days, 8 % stay open 30–120 days (some past
    /// `resync_open_days`' old default), the rest within 3 days.
    struct World {
        var created: [Int64] = []
        var closes: [Int64] = []
        init(fromMs: Int64, toMs: Int64, perDay: Int, seed: UInt64) {
            var rng = SplitMix64(seed: seed)
            func unit() -> Double { SplitMix64.unit(rng.next()) }
            func logUniform(_ a: Int64, _ b: Int64) -> Int64 { Int64(exp(log(Double(a)) + unit() * (log(Double(b)) - log(Double(a))))) }
            var dayStart = fromMs
            var lives: [(Int64, Int64)] = []
            while dayStart < toMs {
                for _ in 0..<perDay {
                    // 80 % in office hours (09:00–18:00 Beijing, `fromMs` being a Beijing midnight).
                    let at = dayStart + (unit() < 0.8 ? 9 * hour + Int64(unit() * Double(9 * hour)) : Int64(unit() * Double(day)))
                    let u = unit()
                    let life = u < 0.5 ? logUniform(20 * minute, 8 * hour) : u < 0.75 ? logUniform(8 * hour, 3 * day)
                        : u < 0.87 ? logUniform(3 * day, 14 * day) : u < 0.95 ? logUniform(30 * day, 120 * day) : logUniform(20 * minute, 3 * day)
                    if at < toMs { lives.append((at, at + life)) }
                }
                dayStart += day
            }
            lives.sort { $0.0 < $1.0 }
            created = lives.map(\.0)
            closes = lives.map(\.1)
        }
    }

    let world: World
    var settings = Planner.Settings()
    var snapshot = JobSnapshot()
    /// Calls per Beijing month, as the job's ledger holds them.
    var ledger: [String: Int] = [:]
    var listedUpTo = 0
    /// Calls by kind (listing pages, RUNNING slices, gets by reason) and the listings made.
    var breakdown: [String: Int] = [:]
    private var openIndex: [String: Int] = [:]

    /// The job as months of cron left it at `nowMs`: everything created before it listed, the
    /// open ones checked (and confirmed) at instants spread over their revisit intervals, the
    /// month's ledger on its pacing line.
    init(world: World, api: DingTalkAPI, budget: Int, primedAtMs now: Int64) {
        self.world = world
        settings.api = api
        settings.monthlyBudget = budget
        settings.startMs = world.created.first
        let tight = RevisitPolicy(), sweep = RunningPolicy()
        while listedUpTo < world.created.count, world.created[listedUpTo] < now {
            let i = listedUpTo
            let age = now - world.created[i]
            let spread = Double((i &* 2_654_435_761) % 1_000) / 1_000
            let checked = now - Int64(spread * Double(min(age, tight.revisitInterval(ageMs: age))))
            let confirmed = now - Int64(spread * Double(min(age, sweep.sweepInterval(ageMs: age))))
            // Stored open: still open when last seen open (closes since then are what the job owes).
            if world.closes[i] > (api == .v1 ? max(checked, confirmed) : checked), age <= settings.resyncOpenMs {
                snapshot.open.append(OpenInstance(id: "\(i)", createdMs: world.created[i], checkedMs: checked,
                                                  confirmedMs: api == .v1 ? confirmed : nil))
            }
            listedUpTo += 1
        }
        snapshot.lastListedMs = now - Self.hour
        snapshot.watermarkMs = now - Self.hour
        let b = CallBudget(monthly: budget, spent: 0, nowMs: now)
        ledger[b.month.description] = Int(Double(budget) * b.elapsedFraction)
        reindex()
    }

    private mutating func reindex() {
        openIndex = Dictionary(uniqueKeysWithValues: snapshot.open.enumerated().map { ($1.id, $0) })
    }

    /// One cron run at `now`; returns the calls it made.
    @discardableResult
    mutating func run(at now: Int64) -> Int {
        let month = BeijingMonth(containing: now).description
        let budget = CallBudget(monthly: settings.monthlyBudget, spent: ledger[month, default: 0], nowMs: now)
        var firstRecent = listedUpTo
        while firstRecent > 0, world.created[firstRecent - 1] >= now - 30 * Self.day { firstRecent -= 1 }
        snapshot.arrivalsLast30Days = listedUpTo - firstRecent
        var plan = Planner.listing(snapshot, budget: budget, settings: settings)
        var spent = 0
        if !plan.windows.isEmpty {
            let from = snapshot.watermarkMs.map { $0 - settings.overlapMs } ?? now
            var inWindow = 0
            var k = listedUpTo
            while k > 0, world.created[k - 1] >= from { k -= 1; inWindow += 1 }
            while listedUpTo < world.created.count, world.created[listedUpTo] < now {
                snapshot.pending.append(PendingInstance(id: "\(listedUpTo)", reason: .new, seenMs: now))
                listedUpTo += 1
                inWindow += 1
            }
            // A page holds 20 ids; an empty window still costs its one page.
            spent += max(1, (inWindow + 19) / 20)
            breakdown["listing", default: 0] += max(1, (inWindow + 19) / 20)
            breakdown["listings", default: 0] += 1
            snapshot.lastListedMs = plan.listingDueMs ?? now
            snapshot.watermarkMs = now
        }
        plan = Planner.running(snapshot, plan: plan, nowMs: now, spent: spent, settings: settings)
        for slice in plan.slices {
            spent += 1
            breakdown["slice", default: 0] += 1
            for id in slice.ids {
                guard let k = openIndex[id] else { continue }
                if world.closes[Int(id)!] <= now {
                    snapshot.pending.append(PendingInstance(id: id, reason: .closed, seenMs: now))
                } else {
                    snapshot.open[k].confirmedMs = now
                }
            }
        }
        plan = Planner.gets(snapshot, plan: plan, nowMs: now, spent: spent, settings: settings)
        if !plan.gets.isEmpty {
            var fetched: Set<String> = []
            var closed: Set<String> = []
            for g in plan.gets {
                spent += 1
                breakdown[g.reason.rawValue, default: 0] += 1
                fetched.insert(g.id)
                let i = Int(g.id)!
                if world.closes[i] <= now {
                    closed.insert(g.id)
                } else if let k = openIndex[g.id] {
                    snapshot.open[k].checkedMs = now
                } else {
                    snapshot.open.append(OpenInstance(id: g.id, createdMs: world.created[i], checkedMs: now))
                }
            }
            snapshot.pending.removeAll { fetched.contains($0.id) }
            snapshot.open.removeAll { closed.contains($0.id) }
            reindex()
        }
        ledger[month, default: 0] += spent
        return spent
    }

    /// Runs cron every `cadence` over `[from, to)`; returns the calls made.
    mutating func cron(every cadence: Int64, from: Int64, to: Int64) -> Int {
        var total = 0
        var t = from
        while t < to {
            total += run(at: t)
            t += cadence
        }
        return total
    }
}
