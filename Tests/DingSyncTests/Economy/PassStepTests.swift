@testable import DingSync
import XCTest

/// A pass's course (issue 18): `sync`, `backfill`, v1 sweeps, dry runs and event-triggered
/// passes are one loop, and what differs between them is decided by `PassState.next()`. Each
/// case drives it as the runner would, reporting made-up results of each step.
final class PassStepTests: XCTestCase {
    static let minute: Int64 = 60_000
    static let hour = 60 * minute
    static let day = 24 * hour
    static let now = PlannerTests.now

    func settings(_ mode: SyncRequest.Mode = .sync, api: DingTalkAPI = .topapi) -> Planner.Settings {
        var s = Planner.Settings()
        s.mode = mode
        s.api = api
        s.monthlyBudget = 4_000
        s.startMs = Self.now - 30 * Self.day
        return s
    }

    func pass(_ snapshot: JobSnapshot, _ settings: Planner.Settings, dryRun: Bool = false, refetch: Bool = false) -> PassState {
        var p = PassState(snapshot: snapshot, budget: CallBudget(monthly: 4_000, spent: 0, nowMs: Self.now), settings: settings,
                          dryRun: dryRun, refetch: refetch)
        p.tally(nowMs: Self.now, spent: 0)
        return p
    }

    /// A job that keeps up: its listing is due (by default), and no history is owed.
    func steady(lastListedAgo: Int64 = 6 * hour, open: [OpenInstance] = [], pending: [PendingInstance] = []) -> JobSnapshot {
        JobSnapshot(watermarkMs: Self.now - 10 * Self.minute, lastListedMs: Self.now - lastListedAgo, open: open, pending: pending,
                    arrivalsLast30Days: 1_500)
    }

    /// Open rows two days old, last confirmed a day ago: their RUNNING slices are due.
    func openRows(_ n: Int) -> [OpenInstance] {
        (0..<n).map { OpenInstance(id: "o\($0)", createdMs: Self.now - 2 * Self.day + Int64($0) * Self.minute, checkedMs: Self.now - Self.day) }
    }

    func kind(_ step: PassStep?) -> String {
        switch step {
        case .list: "list"
        case .reread: "reread"
        case .sweep: "sweep"
        case .lookUp: "lookUp"
        case .estimate: "estimate"
        case .fetch: "fetch"
        case nil: "done"
        }
    }

    func testASyncCatchUpListsWhileFetchingThenRefitsAndFetchesWhatItListed() {
        // A first sync: no watermark, a month of history from sync.start.
        var p = pass(JobSnapshot(), settings())
        guard case .list(let windows, let cap)? = p.next() else { return XCTFail("a first sync lists first") }
        XCTAssertFalse(windows.isEmpty)
        XCTAssertNotNil(p.plan.catchUpListedAtMs)
        XCTAssertEqual(cap, min(p.plan.allowance, p.budget.paced), "a catch-up fetches while it lists, within what the refit allows")
        let before = p.allowance
        let ids = (0..<40).map { "n\($0)" }
        p.listed(ids, windows: windows.map { WindowStats(fromMs: $0.fromMs, toMs: $0.toMs, listed: 20) }, owedInMemory: [])
        p.tally(nowMs: Self.now + Self.minute, spent: 12)
        XCTAssertEqual(p.next(), .reread, "what the listing recorded is read before the gets are planned")
        var listed = JobSnapshot(watermarkMs: Self.now, lastListedMs: Self.now)
        listed.pending = ids.map { PendingInstance(id: $0, reason: .new, seenMs: Self.now + 1) }
        p.reread(listed)
        guard case .fetch(let gets)? = p.next() else { return XCTFail("a topapi sync fetches after its listing") }
        XCTAssertLessThanOrEqual(p.allowance, before, "the refit never raises the allowance")
        XCTAssertEqual(Set(gets.map(\.id)), Set(ids), "a catch-up's ids are fetched at once")
        XCTAssertEqual(p.callsLeft, max(0, p.plan.allowance - 12), "the gets get what the listing left")
        XCTAssertNil(p.next())
    }

    func testARegularSyncFetchesNothingWhileListing() {
        var p = pass(steady(), settings())
        guard case .list(_, let cap)? = p.next() else { return XCTFail("the listing is due") }
        XCTAssertNil(p.plan.catchUpListedAtMs)
        XCTAssertEqual(cap, 0)
    }

    func testAV1SyncSweepsBetweenListingAndFetching() {
        var p = pass(steady(open: openRows(30)), settings(api: .v1))
        XCTAssertEqual(kind(p.next()), "list")
        p.listed(["n1"], windows: [], owedInMemory: [])
        p.tally(nowMs: Self.now, spent: 1)
        XCTAssertEqual(p.next(), .reread)
        p.reread(steady(lastListedAgo: 0, open: openRows(30), pending: [PendingInstance(id: "n1", reason: .new, seenMs: Self.now)]))
        guard case .sweep(let slices)? = p.next() else { return XCTFail("v1 sweeps after its listing") }
        XCTAssertEqual(slices.map(\.ids.count), [11, 19], "the open rows, a page a slice")
        p.swept(2)
        p.tally(nowMs: Self.now, spent: 3)
        XCTAssertEqual(p.next(), .reread, "the closes a sweep found are owed gets")
        p.reread(steady(lastListedAgo: 0, open: openRows(30), pending: [PendingInstance(id: "n1", reason: .new, seenMs: Self.now),
                                                                         PendingInstance(id: "o3", reason: .closed, seenMs: Self.now)]))
        guard case .fetch(let gets)? = p.next() else { return XCTFail("then it fetches") }
        XCTAssertEqual(gets.map(\.id), ["n1", "o3"], "the arrival, then the close the sweep found")
        XCTAssertNil(p.next())
    }

    func testASweepThatListedNothingIsNotReadAgain() {
        var p = pass(steady(lastListedAgo: Self.minute, open: openRows(5)), settings(api: .v1))
        XCTAssertEqual(kind(p.next()), "sweep", "no listing is due: nothing to read again before the sweep")
        p.swept(0)
        XCTAssertEqual(kind(p.next()), "fetch")
    }

    func testABackfillLooksUpEstimatesAndFetchesButNeverSweeps() {
        var s = settings(.backfill, api: .v1)
        s.fromMs = Self.now - 10 * Self.day
        s.toMs = Self.now - 5 * Self.day
        var p = pass(steady(open: openRows(30)), s)
        XCTAssertEqual(p.next(), .list([Window(fromMs: Self.now - 10 * Self.day, toMs: Self.now - 5 * Self.day)], fetchingUpTo: 0))
        p.listed(["a", "b", "c"], windows: [], owedInMemory: [])
        p.tally(nowMs: Self.now, spent: 1)
        XCTAssertEqual(p.next(), .lookUp(["a", "b", "c"]))
        p.lookedUp(final: ["b"])
        XCTAssertEqual(p.next(), .estimate(.init(listed: 3, skipped: 1, calls: 2, fits: true)))
        XCTAssertEqual(p.next()?.gets?.map(\.id), ["a", "c"])
        XCTAssertNil(p.next())

        // --refetch asks nothing of the store; an estimate that does not fit ends the pass.
        var r = pass(JobSnapshot(), s, refetch: true)
        XCTAssertEqual(kind(r.next()), "list")
        r.listed((0..<5_000).map { "i\($0)" }, windows: [], owedInMemory: [])
        XCTAssertEqual(r.next(), .estimate(.init(listed: 5_000, skipped: 0, calls: 5_000, fits: false)))
        XCTAssertNil(r.next())
    }

    func testADryRunNeitherReadsAgainNorSweepsAndFetchesWhatItListedInMemory() {
        var p = pass(steady(open: openRows(30)), settings(api: .v1), dryRun: true)
        XCTAssertEqual(kind(p.next()), "list")
        p.listed(["x", "y"], windows: [], owedInMemory: ["x", "y"])
        p.tally(nowMs: Self.now, spent: 1)
        guard case .fetch(let gets)? = p.next() else { return XCTFail("a preview goes from its listing to its gets") }
        XCTAssertEqual(Set(gets.map(\.id)).intersection(["x", "y"]), ["x", "y"], "the listed rows are previewed now")
        XCTAssertNil(p.next())

        // A dry run's catch-up does not fetch while it lists (nothing records what it fetched).
        var first = pass(JobSnapshot(), settings(), dryRun: true)
        guard case .list(_, let cap)? = first.next() else { return XCTFail("a first sync lists first") }
        XCTAssertEqual(cap, 0)
    }

    func testAnEventPassWithNothingToListGoesStraightToFetching() {
        var s = settings()
        s.closesByEvent = true
        let pushed = steady(lastListedAgo: Self.minute, pending: [PendingInstance(id: "e1", reason: .event, seenMs: Self.now - 2_000)])
        var p = pass(pushed, s)
        XCTAssertEqual(p.next(), .fetch([Planner.Get(id: "e1", reason: .event, priority: Planner.arrivalClass * 2 + 2_000)]))
        XCTAssertNil(p.next())

        // v1 plans its sweep all the same (none is due without open rows) and lists nothing.
        s.api = .v1
        var v1 = pass(pushed, s)
        XCTAssertEqual(v1.next(), .sweep([]))
        v1.swept(0)
        XCTAssertEqual(v1.next()?.gets?.map(\.id), ["e1"])
    }
}

extension PassStep {
    var gets: [Planner.Get]? {
        if case .fetch(let g) = self { return g }
        return nil
    }
}
