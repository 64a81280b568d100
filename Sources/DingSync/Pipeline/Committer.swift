import DingSyncMapping
import Foundation
import Logging

/// Everything a run writes, and only this type writes it: rows, instance state, what is still
/// owed a `get`, the call ledger, the cached token and the watermark. Each batch is one
/// transaction, so a crash leaves the table and the state tables consistent with each other.
/// In a dry run it keeps the same bookkeeping in memory and prints the rows instead.
final class Committer {
    let session: DatabaseSession?
    let sink: RowSink
    let clock: any SyncClock
    let logger: Logger
    let shared: DingTalkClient.Shared
    let appKeyId: String
    let batchSize: Int
    /// The job follows closes by Stream push (`events`), so polling's closes may be missed pushes.
    let followsCloses: Bool
    /// The run's policy, known once the planner has seen the budget (the give-up rule).
    var policy: RevisitPolicy
    /// Where a complete listing is recorded as made (the planner's `listingDueMs`), nil: now.
    var listingDueMs: Int64?
    private let mapper: Mapper
    private let secret: String

    private var rows: [(InstanceDetail, MappedRow)] = []
    private var rejects: [MappingReject] = []
    /// Fetched details that did not map: kept, so a fixed mapping can remap them for free.
    private var rejectedDetails: [InstanceDetail] = []
    private var followUps: [String] = []
    private var gone: [String] = []
    /// The ledger is written in deltas: what the counters held at the last write.
    private var ledgered = CallCounters.Snapshot()
    /// Dry runs: what a real run would have recorded as owed a first get.
    private(set) var memoryPending: Set<String> = []

    private(set) var written = 0
    private(set) var rejected = 0
    private(set) var abandoned: [String] = []

    init(session: DatabaseSession?, sink: RowSink, context: RunContext, shared: DingTalkClient.Shared,
         policy: RevisitPolicy) {
        self.session = session
        self.sink = sink
        clock = context.clock
        logger = context.logger
        self.shared = shared
        self.policy = policy
        appKeyId = TokenSeal.appKeyId(context.config.dingtalk.appKey)
        secret = context.config.dingtalk.appSecret
        batchSize = context.config.mysql?.batchSize ?? 500
        followsCloses = context.config.events?.followsCloses == true
        mapper = Mapper(entries: context.config.mapping, timeZone: context.config.sync.timezone)
    }

    // MARK: listing

    /// Listed ids that are neither stored nor already owed a get become owed their first get.
    /// Returns how many were new.
    /// Returns how many of `ids` are owed a get (not stored), and which of them were owed
    /// nothing before (a first get: the others keep their own schedule, e.g. a gone retry).
    func recordListed(_ ids: [String]) throws -> (owed: Int, firstGets: [String]) {
        guard !ids.isEmpty else { return (0, []) }
        guard let session else {
            let fresh = ids.filter { memoryPending.insert($0).inserted }
            return (fresh.count, fresh)
        }
        let now = clock.nowMs()
        return try session.run("recording listed instances") {
            let stored = try session.state.storedIds(among: ids)
            let fresh = ids.filter { !stored.contains($0) }
            let known = try session.state.pendingIds(among: fresh)
            try session.state.addPending(fresh, reason: .new, nowMs: now)
            return (fresh.count, fresh.filter { !known.contains($0) })
        }
    }

    /// Every id of the window is recorded: the watermark may pass it. The listing's end is
    /// recorded with the last window, so the next listing is scheduled from it.
    func windowListed(_ window: Window, moveWatermark: Bool, listingComplete: Bool) throws {
        guard let session, moveWatermark || listingComplete else { return }
        let now = clock.nowMs()
        var written = ledgered
        try session.transaction("advancing the watermark") {
            if moveWatermark { try session.state.setWatermark(window.toMs, nowMs: now) }
            if listingComplete { try session.state.setLastListed(min(now, listingDueMs ?? now)) }
            written = try self.writeLedger(session.state)
        }
        ledgered = written
    }

    /// v1: a RUNNING slice listed whole. Its rows that were listed are confirmed open; those
    /// that were not have closed (or vanished) and are owed a get; a listed id the job does
    /// not know is owed its first get. One transaction, with the ledger.
    func runningListed(_ slice: RunningSlice, listed: [String]) throws -> (closed: Int, unknown: Int) {
        guard let session else { return (0, 0) }
        let present = Set(listed)
        let confirmed = slice.ids.filter(present.contains)
        let closed = slice.ids.filter { !present.contains($0) }
        let settles = Set(slice.ids)
        let others = listed.filter { !settles.contains($0) }
        let now = clock.nowMs()
        var written = ledgered
        var unknown = 0
        try session.transaction("recording a running listing") {
            try session.state.confirmRunning(confirmed, nowMs: now)
            try session.state.addPending(closed, reason: .closed, nowMs: now)
            let stored = try session.state.storedIds(among: others)
            let fresh = others.filter { !stored.contains($0) }
            try session.state.addPending(fresh, reason: .new, nowMs: now)
            unknown = fresh.count
            written = try self.writeLedger(session.state)
        }
        ledgered = written
        return (closed.count, unknown)
    }

    // MARK: fetching

    enum Outcome { case row, rejected }

    /// A fetched instance: mapped now, written with its batch. Returns the original it
    /// replaces (MODIFY/REVOKE), which is recorded as owed a get in the same transaction.
    @discardableResult
    func fetched(_ detail: InstanceDetail) throws -> (Outcome, followUp: String?) {
        var follow: String?
        if let main = detail.attributes["main_process_instance_id"], !main.isEmpty, main != detail.id {
            followUps.append(main)
            follow = main
        }
        let outcome: Outcome
        switch mapper.map(detail) {
        case .success(let row):
            rows.append((detail, row))
            outcome = .row
        case .failure(let reject):
            rejected += 1
            logger.warning("instance rejected", metadata: ["instance": "\(detail.id)", "column": "\(reject.column)", "reason": "\(reject.reason)"])
            rejects.append(reject)
            rejectedDetails.append(detail)
            outcome = .rejected
        }
        if rows.count >= batchSize { try flush() }
        return (outcome, follow)
    }

    /// Stored copies of rejected instances, mapped again with no call: a mapping or table
    /// fixed since the reject goes through now. Returns how many were written.
    func retryStoredRejects(_ details: [InstanceDetail]) throws -> Int {
        guard !details.isEmpty else { return 0 }
        var ok: [(InstanceDetail, MappedRow)] = []
        var still: [MappingReject] = []
        for d in details {
            switch mapper.map(d) {
            case .success(let row): ok.append((d, row))
            case .failure(let reject): still.append(reject)
            }
        }
        let settled = ok.map(\.0.id)
        let outcome = try sink.write(ok, rejects: still, fresh: false) { try $0.settle(settled, only: [.reject]) }
        // Those still refused are not this run's new rejects: the run's exit counts what stays
        // recorded at its end.
        written += outcome.written
        return outcome.written
    }

    /// A get that answered "this instance is gone" twice in a run.
    func goneAnswer(_ id: String, _ error: DingTalkError) throws {
        gone.append(id)
        rejects.append(MappingReject(instanceId: id, column: "(get)", rawValue: nil, reason: error.description))
    }

    /// Writes what is buffered, with the state changes that belong to it and the ledger.
    func flush() throws {
        let batch = rows, batchRejects = rejects, follow = followUps, goneIds = gone, keep = rejectedDetails
        rows.removeAll(keepingCapacity: true)
        rejects.removeAll()
        rejectedDetails.removeAll()
        followUps.removeAll()
        gone.removeAll()
        let now = clock.nowMs()
        let policy = self.policy
        var abandonedNow: [String] = []
        var ledger = ledgered
        let fetchedIds = batch.map(\.0.id)
        let finalDetails = batch.map(\.0).filter(\.isFinal) + keep.filter(\.isFinal)
        let finals = finalDetails.map(\.id)
        let missed = try missedPushes(finalDetails, nowMs: now)
        // Gone and rejected ids follow their own schedules: a push about them is served too.
        let served = fetchedIds + keep.map(\.id) + goneIds
        let outcome = try sink.write(batch, rejects: batchRejects, fresh: true) { [self] store in
            abandonedNow = []
            // Follow-ups first: an original fetched in this same batch is settled right after.
            for id in follow { try store.addFollowUp(id, nowMs: now) }
            try store.settle(fetchedIds)
            try store.forgetRunning(batch.filter { $0.0.isFinal }.map(\.0.id))
            try store.recordInstances(keep, nowMs: now)
            if session != nil {
                try store.serveEvents(fetched: served, final: Set(finals + goneIds), nowMs: now)
                try store.countMissed(missed, nowMs: now)
            }
            for id in goneIds where try store.markGone(id, nowMs: now, policy: policy) { abandonedNow.append(id) }
            ledger = try writeLedger(store)
        }
        ledgered = ledger
        for id in abandonedNow {
            logger.warning("instance given up: DingTalk keeps answering that it is gone; it will not be fetched again", metadata: ["instance": "\(id)"])
        }
        abandoned += abandonedNow
        written += outcome.written
        rejected += outcome.rejectedByDatabase
    }

    /// Closes this batch found by polling (the stored copy was open) that no push announced,
    /// although the connection was up when they happened: pushes DingTalk failed to deliver.
    /// When is DingTalk's `finish_time` (a push is due within the minute); without one, the
    /// whole stretch since the instance was last seen open must be covered. Counted per day;
    /// too many, and the planner stops trusting events. Only jobs that follow closes by push
    /// pay for the two reads.
    private func missedPushes(_ finals: [InstanceDetail], nowMs: Int64) throws -> Int {
        guard let session, followsCloses, !finals.isEmpty else { return 0 }
        let found = try session.run("looking up closes found by polling") { try session.state.closesWithoutEvent(finals.map(\.id)) }
        guard let since = found.map(\.lastOpenMs).min() else { return 0 }
        let spans = try session.run("reading the Stream spans") { try session.state.eventCoverage(sinceMs: since, nowMs: nowMs).spans }
        let coverage = EventCoverage(spans: spans)
        var closedAt: [String: Int64] = [:]
        for d in finals { closedAt[d.id] = d.attributes["finish_time"].flatMap(DingTalkTime.parseBeijing) }
        return found.filter { f in
            if let t = closedAt[f.id], t >= f.lastOpenMs, t <= nowMs {
                return coverage.covers(fromMs: t, toMs: min(nowMs, t + Self.pushDelayMs))
            }
            return coverage.covers(fromMs: f.lastOpenMs, toMs: nowMs)
        }.count
    }
    static let pushDelayMs: Int64 = 60_000

    // MARK: ledger and token

    /// The calls since the last write, added to the month's ledger (inside the caller's
    /// transaction); the caller takes the returned counters as written once it commits. A
    /// replayed transaction writes the same delta again, once.
    private func writeLedger(_ store: StateStore) throws -> CallCounters.Snapshot {
        let now = shared.counters.snapshot
        let before = ledgered.ledgerEntries
        let delta = now.ledgerEntries.reduce(into: [String: Int]()) { $0[$1.key] = $1.value - (before[$1.key] ?? 0) }
        try store.addCalls(delta, month: BeijingMonth(containing: clock.nowMs()).description, appKeyId: appKeyId, nowMs: clock.nowMs())
        return now
    }

    /// The ledger and a token fetched by this run (sealed), at the end of the run.
    func finish() throws {
        try flush()
        try sink.finish()
        guard let session else { return }
        let fresh = shared.tokens.takeFresh()
        var ledger = ledgered
        defer { ledgered = ledger }
        try session.transaction("recording the call ledger") {
            ledger = try writeLedger(session.state)
            if let fresh, let sealed = TokenSeal.seal(fresh.token, secret: secret) {
                try session.state.storeSealedToken(appKeyId: appKeyId, sealed: sealed, expiresMs: fresh.expiresAtMs)
            }
        }
    }
}
