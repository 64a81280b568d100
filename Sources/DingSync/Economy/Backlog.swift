import DingSyncMapping
import Foundation

/// A first sync (or a job far behind) meets more history than the month's budget pays for.
/// economy.md lets a catch-up spend the unspent part of the budget beyond what the steady state
/// needs for the rest of the month; the plan made before the listing cannot know that need (a
/// first sync's snapshot has seen no instance), so it is fitted again once the listing has
/// shown the job's volume. What is left is owed, and said: how much, by when, and how to go faster.
extension Planner {
    public static func refitAfterCatchUp(_ plan: Plan, snapshot: JobSnapshot, listed: [WindowStats],
                                         budget: CallBudget, settings: Settings) -> Plan {
        var s = snapshot
        // The snapshot counts every id owed a first get as this month's arrival; the windows
        // say when they were created (ids spread evenly within a window).
        let monthAgo = budget.nowMs - RevisitPolicy.month
        let recent = listed.reduce(0.0) { sum, w in
            let overlap = max(0, w.toMs - max(w.fromMs, monthAgo))
            return sum + Double(w.listed) * Double(overlap) / Double(max(1, w.toMs - w.fromMs))
        }
        let owedNew = s.pending.count(where: { $0.reason == .new })
        s.arrivalsLast30Days += min(owedNew, Int(recent.rounded())) - owedNew
        let refit = listing(s, budget: budget, settings: settings)
        var p = plan
        p.allowance = min(plan.allowance, refit.allowance)
        p.monthlyNeed = refit.monthlyNeed
        return p
    }
}

/// History still owed a first get, and when it is in at this budget.
public struct Backlog: Sendable, Equatable, Codable {
    public var owed: Int
    /// The steady state's calls a month at the job's volume, and the budget.
    public var monthlyNeed: Int
    public var budget: Int
    /// nil: never at this budget (the steady state needs all of it).
    public var etaMs: Int64?

    /// The surplus of each month over the steady state's need pays the history, from the next
    /// 1st (this month's surplus is what the catch-up spent or the pacing holds).
    public init(owed: Int, monthlyNeed: Int, budget: Int, nowMs: Int64) {
        (self.owed, self.monthlyNeed, self.budget) = (owed, monthlyNeed, budget)
        let surplus = budget - monthlyNeed
        guard surplus > 0 else { etaMs = nil; return }
        let months = Double(owed) / Double(surplus)
        etaMs = BeijingMonth(containing: nowMs).endMs + Int64(months * Double(RevisitPolicy.month))
    }

    /// What the run's end and `status` say.
    public func text(timeZone: TimeZone) -> String {
        let when = etaMs.map { "at this budget they are in by about \(LocalDateTime(epochMs: $0, timeZone: timeZone).dateText)" }
            ?? "at this budget they never are: the steady state needs about \(monthlyNeed) calls a month of the \(budget)"
        return "\(owed) listed instance(s) are still owed a first get; \(when) (the steady state's need, about \(monthlyNeed) a month, is kept for the rest of the month). "
            + "To go faster: raise dingtalk.monthly_call_budget, or `dingsync backfill --from DATE --to DATE --max-calls N` fetches a range now"
    }
}
