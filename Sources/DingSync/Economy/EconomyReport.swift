import DingSyncMapping
import Foundation

/// What the job costs and owes, for `status` and `check`: this Beijing month's calls against
/// the budget and its projection to month end, every job of the same app key (one
/// organisation's quota), what is due and not yet fetched, and any quota block.
public struct EconomyReport: Sendable, Codable, Equatable {
    public var month: String
    public var budget: Int
    public var calls: [String: Int]
    public var spent: Int
    public var projectedMonthEnd: Int
    /// Metered calls this month of every job in this database with the same app key.
    public var appKeyJobs: [String: Int]
    public var monthlyNeed: Int
    public var openInstances: Int
    public var owed: Int
    public var dueNow: Int
    public var oldestUncheckedMs: Int64?
    public var abandoned: Int
    public var quotaBlockedUntilMs: Int64?
    /// While blocked: the last probe of the quota (nil: none yet) and when the next is due.
    public var quotaProbedMs: Int64?
    public var nextQuotaProbeMs: Int64?
    /// Listed instances owed a first get beyond a day's need (a first sync's history): by when.
    public var backlog: Backlog?
    /// When the report was made (for the budget's reset), not part of the JSON.
    public var nowMs: Int64 = 0

    enum CodingKeys: String, CodingKey {
        case month, budget, calls, spent, projectedMonthEnd, appKeyJobs, monthlyNeed, openInstances, owed, dueNow
        case oldestUncheckedMs, abandoned, quotaBlockedUntilMs, quotaProbedMs, nextQuotaProbeMs, backlog
    }

    public static func load(_ store: StateStore, config: JobConfig, nowMs: Int64) throws -> EconomyReport {
        let month = BeijingMonth(containing: nowMs)
        let appKeyId = TokenSeal.appKeyId(config.dingtalk.appKey)
        let calls = try store.monthCalls(month: month.description)
        let spent = CallCounters.metered(calls)
        let budget = CallBudget(monthly: config.dingtalk.monthlyCallBudget, spent: spent, nowMs: nowMs)
        let resync = Int64(config.sync.resyncOpenDays) * WindowPlanner.dayMs
        let snapshot = try store.snapshot(nowMs: nowMs, resyncOpenMs: resync)
        var settings = Planner.Settings()
        settings.monthlyBudget = config.dingtalk.monthlyCallBudget
        settings.api = config.dingtalk.api
        settings.resyncOpenMs = resync
        settings.startMs = config.sync.startMs
        var plan = Planner.listing(snapshot, budget: budget, settings: settings)
        plan.allowance = Int.max / 2  // what is due, whatever this instant's pacing allows
        plan = Planner.gets(snapshot, plan: plan, nowMs: nowMs, spent: 0, settings: settings)
        let block = try store.quotaBlock(appKeyId: appKeyId).flatMap { $0.untilMs > nowMs ? $0 : nil }
        let probed = block == nil ? nil : try store.quotaProbedMs(appKeyId: appKeyId)
        let owedNew = snapshot.pending.filter { $0.reason == .new }.count
        return EconomyReport(
            month: month.description, budget: budget.monthly, calls: calls, spent: spent,
            projectedMonthEnd: budget.projectedMonthEnd,
            appKeyJobs: try store.appMonthCalls(appKeyId: appKeyId, month: month.description),
            monthlyNeed: plan.monthlyNeed, openInstances: snapshot.open.count,
            owed: snapshot.pending.filter { $0.reason != .abandoned }.count, dueNow: plan.gets.count,
            // v1: a RUNNING listing that returned the row checked it as well as a get would have.
            oldestUncheckedMs: snapshot.open.map { config.dingtalk.api == .v1 ? $0.lastSeenOpenMs : $0.checkedMs }.min(),
            abandoned: snapshot.pending.filter { $0.reason == .abandoned }.count,
            quotaBlockedUntilMs: block?.untilMs, quotaProbedMs: probed,
            nextQuotaProbeMs: block.map { _ in max(nowMs, QuotaProbe.nextMs(afterProbeAt: probed)) },
            backlog: owedNew > max(20, plan.monthlyNeed / 30)
                ? Backlog(owed: owedNew, monthlyNeed: plan.monthlyNeed, budget: budget.monthly, nowMs: nowMs) : nil,
            nowMs: nowMs)
    }

    /// `status --format json`'s economy object: snake_case keys like the config's (the
    /// Swift names are camelCase), but the maps keyed by data (endpoints, job names) as they are.
    public func jsonObject() throws -> [String: Any] {
        let enc = JSONEncoder()
        enc.keyEncodingStrategy = .convertToSnakeCase
        var object = try JSONSerialization.jsonObject(with: enc.encode(self)) as? [String: Any] ?? [:]
        object["calls"] = calls
        object["app_key_jobs"] = appKeyJobs
        object["projection_is_demand"] = projectedMonthEnd > budget
        return object
    }

    /// The projection's words: above the budget it is demand, which the pacing does not pay.
    func projectionText(timeZone tz: TimeZone) -> String {
        let need = "the job needs about \(monthlyNeed) a month at its observed volume"
        if spent >= budget {
            let reset = BeijingMonth(containing: nowMs).resetText(in: tz)
            return "none: the budget of \(budget) is spent (\(spent)), so no call is made until it resets at \(reset); \(need)"
        }
        if projectedMonthEnd > budget {
            return "projected demand \(projectedMonthEnd) by month end at this month's pace; pacing holds spend to \(budget) "
                + "(what it cannot pay waits, oldest first); \(need)"
        }
        return "\(projectedMonthEnd) by month end at this month's pace; \(need)"
    }

    /// The v1 family's calls, when the job used it this month (after a switch, both show).
    var v1Calls: String {
        let q = calls[V1Codec.queryAPI] ?? 0, g = calls[V1Codec.getAPI] ?? 0
        guard q + g > 0 else { return "" }
        return ", \(V1Codec.queryAPI) \(q)" + (g > 0 ? ", \(V1Codec.getAPI) \(g)" : "")
    }

    /// Lines for `status`, aligned with its other fields.
    public func lines(timeZone tz: TimeZone) -> [String] {
        let percent = CallBudget.percent(spent, of: budget)
        var out = [
            "calls this month: \(spent) of \(budget) (\(percent) %, \(month) Beijing time): listids \(calls["listids"] ?? 0), get \(calls["get"] ?? 0)\(v1Calls); token requests \(calls["token"] ?? 0) (not metered)",
            "projected:        " + projectionText(timeZone: tz),
        ]
        let others = appKeyJobs.filter { $0.value > 0 }
        if others.count > 1 {
            let total = others.values.reduce(0, +)
            out.append("same app key:     \(total) this month over \(others.count) job(s): " + others.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
        }
        out.append("revisit backlog:  \(dueNow) due now (\(owed) owed a get, \(openInstances) open followed)"
                   + (oldestUncheckedMs.map { "; oldest unchecked open instance last fetched \(TimeParsing.formatLocal($0, timeZone: tz))" } ?? ""))
        if let backlog { out.append("history owed:     " + backlog.text(timeZone: tz)) }
        if abandoned > 0 { out.append("given up:         \(abandoned) instance(s) DingTalk kept answering as gone (deleted?); never fetched again") }
        if let until = quotaBlockedUntilMs {
            out.append("quota block:      the organisation's monthly DingTalk quota is exhausted until \(DingTalkTime.formatBeijing(until)) Beijing time; runs exit 75 without calling but for one probe every 6 hours")
            let last = quotaProbedMs.map { "last probe \(TimeParsing.formatLocal($0, timeZone: tz))" } ?? "not probed yet"
            out.append("quota probe:      \(last); next due \(nextQuotaProbeMs.map { TimeParsing.formatLocal($0, timeZone: tz) } ?? "-") (the first sync from then probes; `dingsync check` probes now)")
        }
        return out
    }
}
