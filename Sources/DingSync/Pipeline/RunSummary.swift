import Foundation
import DingSyncMapping

/// The figures of one run: printed at the end, written by `--summary-json`, kept in the run log.
public struct RunSummary: Sendable, Codable, Equatable {
    public var job: String = ""
    public var mode: String = ""
    public var dryRun = false
    public var fromMs: Int64?
    public var toMs: Int64?
    public var windows = 0
    public var listed = 0
    public var fetched = 0
    public var written = 0
    /// Listed but not fetched: stored as final and unchanged.
    public var skipped = 0
    public var rejected = 0
    /// Ids whose `get` failed on its own (e.g. deleted instance); recorded and retried later.
    public var failed = 0
    public var revisited = 0
    /// v1: RUNNING slices listed whole, and the open rows they found closed (owed a get).
    public var runningSlices = 0
    public var closesFound = 0
    public var calls = CallCounters.Snapshot()
    public var elapsedMs: Int64 = 0
    public var exitCode: Int32 = 0
    public var error: String?
    public var watermarkMs: Int64?
    /// Listed vs. accounted per window (the reconciliation record).
    public var windowStats: [WindowStats] = []
    /// The economy: the job's monthly budget, its metered calls this Beijing month after the
    /// run, what this run was allowed, what was due but left for later runs (and since when
    /// the oldest of it waits), a backfill's estimate, instances given up as deleted.
    public var budget = 0
    public var monthCalls = 0
    /// False when the ledger could not be read (a run that failed before reaching it): the
    /// summary then leaves the month out instead of saying 0.
    public var monthCallsKnown = true
    /// Set when the month's budget is spent: the instant it resets.
    public var budgetResetsMs: Int64?
    public var projectedMonthCalls = 0
    public var allowance = 0
    public var deferred = 0
    public var oldestDeferredMs: Int64?
    public var estimate: Int?
    public var abandoned = 0
    public var budgetWarning = false
    public var quotaBlockedUntilMs: Int64?
    /// Rejects recorded in the state tables after the run (this run's and older ones), and
    /// when the next run may refetch the first of them (reject schedule).
    public var pendingRejects = 0
    public var nextRejectRetryMs: Int64?
    /// A sync that spent less than its allowance: what is due next (nil otherwise).
    public var upcoming: Upcoming?
    /// A sync that left listed instances owed a first get for the budget: how many, and by when.
    public var backlog: Backlog?

    public init() {}

    public var humanText: String {
        let secs = String(format: "%.1f", Double(elapsedMs) / 1000)
        return "\(dryRun ? "dry-run " : "")\(mode) \(job): listed \(listed), fetched \(fetched), written \(written), "
            + "skipped \(skipped), rejected \(rejected)\(failed > 0 ? ", failed \(failed)" : ""), "
            + (runningSlices > 0 ? "running slices \(runningSlices) (closes found \(closesFound)), " : "")
            + "API calls \(calls.total) (token \(calls.token), listids \(calls.listids), get \(calls.get)\(calls.v1Query + calls.v1Get > 0 ? ", \(V1Codec.queryAPI) \(calls.v1Query), \(V1Codec.getAPI) \(calls.v1Get)" : "")), "
            + "retries \(calls.retries), elapsed \(secs)s" + monthText + (deferred > 0 ? ", deferred \(deferred)" : "")
    }

    /// The month's spend; a dry run's own calls said as unrecorded, like its estimate line.
    var monthText: String {
        guard monthCallsKnown else { return "" }
        let mine = dryRun ? " (this dry run's \(calls.metered) call(s) included, not recorded)" : ""
        let spent = budgetResetsMs.map { "; budget spent: no call until it resets at \(DingTalkTime.formatBeijing($0)) Beijing time" } ?? ""
        return "; month \(monthCalls) of \(budget) calls\(mine)\(spent)"
    }

    /// What exit 65 and its alert count: the rejects still recorded after the run (an earlier
    /// run's too: a run that fetched nothing still ends at 65 for them) and this run's failed
    /// gets. A dry run records nothing, so it counts its own.
    public var outstanding: Int { (dryRun ? rejected : max(rejected, pendingRejects)) + failed }

    /// The exit-65 sentence: how many, how many of them new, and when they are refetched.
    public func rejectsSentence(timeZone: TimeZone) -> String {
        let new = rejected + failed
        let fresh = new == outstanding ? "" : " (\(new) in this run)"
        let when = nextRejectRetryMs.map { "refetched by the first run from \(LocalDateTime(epochMs: $0, timeZone: timeZone)) \(timeZone.identifier)" }
            ?? "retried by the next run"
        return "\(outstanding) instance(s) could not be written\(fresh); they are recorded as rejects and \(when)"
    }

    /// The end of the summary of a sync that did less than it could: why, and what to run
    /// when that is not soon enough.
    public func upcomingText(timeZone: TimeZone) -> String {
        guard let u = upcoming else { return "" }
        func at(_ ms: Int64) -> String { "\(LocalDateTime(epochMs: ms, timeZone: timeZone)) \(timeZone.identifier)" }
        // A listing due before the horizon is overdue: the horizon is the next listing otherwise.
        let listing = u.nextListingMs.map { $0 < u.beforeMs ? "a listing is due since \(at($0)) and waits for the budget" : "next listing due at \(at($0))" }
            ?? "the next run lists"
        return "; \(listing); \(u.dueGets) instance(s) due a get before \(at(u.beforeMs)); "
            + "`dingsync backfill --from DATE --to DATE` fetches a range now"
    }

    public func json() -> Data {
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? enc.encode(self)) ?? Data("{}".utf8)
    }
}
