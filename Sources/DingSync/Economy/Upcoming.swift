/// What a run that did less than it could tells the operator: when the next listing is due and
/// how much is due before a stated time. Found by asking the planner itself at that time, so
/// it never disagrees with what the next runs will do.
public struct Upcoming: Sendable, Equatable, Codable {
    /// When a listing of new ids is next due (nil: never listed, so the next run lists).
    public var nextListingMs: Int64?
    /// Instances owed or due a get (new, revisits, retries) by `beforeMs`.
    public var dueGets: Int
    public var beforeMs: Int64
}

extension Planner {
    public static func upcoming(_ snapshot: JobSnapshot, plan: Plan, nowMs: Int64, settings: Settings) -> Upcoming {
        let next = snapshot.lastListedMs.map { dueAtMs(after: $0, interval: plan.policy.listIntervalMs) }
        // The next listing is the natural horizon; when it is overdue (the budget held it back)
        // or unknown, the next hour.
        let before = next.flatMap { $0 > nowMs ? $0 : nil } ?? nowMs + 60 * 60_000
        var unlimited = plan
        unlimited.allowance = Int.max / 2
        unlimited.catchUpListedAtMs = nil
        var s = settings
        s.limit = nil
        let due = gets(snapshot, plan: unlimited, nowMs: before, spent: 0, settings: s)
        return Upcoming(nextListingMs: next, dueGets: due.gets.count, beforeMs: before)
    }
}
