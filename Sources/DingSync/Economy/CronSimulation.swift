/// The planner and the budget driven through simulated cron runs against an in-memory
/// DingTalk (the injected clock, no executor, no database): what a cadence spends per Beijing
/// month. `dingbench cadence` runs a whole month of it; the test suite guards the same
/// properties on a few days, where it takes a fraction of a second.
public enum CronSimulation {
    public static let minute: Int64 = 60_000
    public static let hour = 60 * minute
    public static let day = 24 * hour

    /// Approvals arriving `perDay` a day, most closing within hours, a tenth open for months.
    public struct World: Sendable {
        public struct Instance: Sendable { public var created: Int64; public var closes: Int64 }
        public var instances: [Instance] = []
        public init(start: Int64, days: Int, perDay: Int, seed: UInt64) {
            var rng = seed
            func next() -> Double {
                rng = rng &* 6364136223846793005 &+ 1442695040888963407
                return Double(rng >> 11) / Double(1 << 53)
            }
            for d in 0..<days {
                for _ in 0..<perDay {
                    let created = start + Int64(d) * day + Int64(next() * Double(day))
                    let u = next()
                    let duration: Double = u < 0.5 ? 3 * Double(hour) * next() : u < 0.9 ? 3 * Double(day) * next() : 90 * Double(day) * next()
                    instances.append(Instance(created: created, closes: created + Int64(duration)))
                }
            }
            instances.sort { $0.created < $1.created }
        }
    }

    /// Runs cron every `cadence` over `[start, end)`; returns the calls spent per Beijing month
    /// ("2026-12"). A listing costs one call per 20 new ids (at least one), a get one call.
    public static func spend(cadence: Int64, budget: Int, start: Int64, end: Int64, world: World) -> [String: Int] {
        var settings = Planner.Settings()
        settings.monthlyBudget = budget
        settings.startMs = start
        var ledger: [String: Int] = [:]
        var snapshot = JobSnapshot()
        var listedUpTo = 0          // index into world.instances
        var recentFrom = 0          // first listed instance created in the last 30 days
        let ids = world.instances.indices.map { "\($0)" }
        var now = start
        while now < end {
            let month = BeijingMonth(containing: now).description
            let budgetNow = CallBudget(monthly: budget, spent: ledger[month, default: 0], nowMs: now)
            while recentFrom < listedUpTo, world.instances[recentFrom].created < now - 30 * day { recentFrom += 1 }
            snapshot.arrivalsLast30Days = listedUpTo - recentFrom
            var plan = Planner.listing(snapshot, budget: budgetNow, settings: settings)
            var spent = 0
            if !plan.windows.isEmpty, plan.allowance > 0 {
                var fresh: [Int] = []
                while listedUpTo < world.instances.count, world.instances[listedUpTo].created < now {
                    fresh.append(listedUpTo)
                    listedUpTo += 1
                }
                spent += min(plan.allowance, max(1, (fresh.count + 19) / 20))
                for i in fresh { snapshot.pending.append(PendingInstance(id: ids[i], reason: .new, seenMs: now)) }
                snapshot.lastListedMs = now
                snapshot.watermarkMs = now
            }
            plan = Planner.gets(snapshot, plan: plan, nowMs: now, spent: spent, settings: settings)
            if !plan.gets.isEmpty {
                // Apply the fetches to the in-memory state tables (only when something changed:
                // most runs of a one-minute cron fetch nothing).
                var checked: [Int: Bool] = [:]
                for g in plan.gets {
                    let i = Int(g.id)!
                    checked[i] = world.instances[i].closes <= now
                    spent += 1
                }
                snapshot.pending.removeAll { checked[Int($0.id)!] != nil }
                snapshot.open.removeAll { checked[Int($0.id)!] == true }
                for k in snapshot.open.indices where checked[Int(snapshot.open[k].id)!] == false { snapshot.open[k].checkedMs = now }
                for (i, final) in checked where !final && !snapshot.open.contains(where: { $0.id == ids[i] }) {
                    snapshot.open.append(OpenInstance(id: ids[i], createdMs: world.instances[i].created, checkedMs: now))
                }
            }
            ledger[month, default: 0] += spent
            now += cadence
        }
        return ledger
    }
}
