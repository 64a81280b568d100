@testable import DingSync
import XCTest

/// The planner is a pure function: each case is a snapshot, an instant and a budget, and the
/// plan it must give.
final class PlannerTests: XCTestCase {
    static let minute: Int64 = 60_000
    static let hour = 60 * minute
    static let day = 24 * hour
    static let now = CallBudgetTests.decemberStart + 10 * day  // 2026-12-11 00:00 Beijing

    func settings(budget: Int = 4_000, mode: SyncRequest.Mode = .sync) -> Planner.Settings {
        var s = Planner.Settings()
        s.mode = mode
        s.monthlyBudget = budget
        s.startMs = Self.now - 30 * Self.day
        return s
    }

    /// A tight budget: the tight policy, unscaled.
    func tight(_ snapshot: JobSnapshot, spent: Int = 0, at now: Int64 = now) -> Planner.Plan {
        var snap = snapshot
        snap.arrivalsLast30Days = 1_500
        let plan = Planner.listing(snap, budget: CallBudget(monthly: 4_000, spent: spent, nowMs: now), settings: settings())
        return Planner.gets(snap, plan: plan, nowMs: now, spent: 0, settings: settings())
    }

    func testListingIsDueByTimeNotByRun() {
        let p = RevisitPolicy()
        let cases: [(lastListed: Int64?, due: Bool)] = [
            (nil, true),
            (Self.now - p.listIntervalMs, true),
            (Self.now - p.listIntervalMs + 1, false),
            (Self.now - 10 * Self.minute, false),
        ]
        for c in cases {
            let snap = JobSnapshot(watermarkMs: Self.now - 3 * Self.hour, lastListedMs: c.lastListed, arrivalsLast30Days: 1_500)
            let plan = Planner.listing(snap, budget: CallBudget(monthly: 4_000, spent: 0, nowMs: Self.now), settings: settings())
            XCTAssertEqual(!plan.windows.isEmpty, c.due, "last listed \(String(describing: c.lastListed))")
            if c.due {
                // From the watermark minus the overlap to now.
                XCTAssertEqual(plan.windows.first?.fromMs, Self.now - 3 * Self.hour - Self.hour)
                XCTAssertEqual(plan.windows.last?.toMs, Self.now)
            }
        }
    }

    func testARichBudgetBuysFreshnessAndATightOneDoesNot() {
        let snap = JobSnapshot(watermarkMs: Self.now - Self.hour, lastListedMs: Self.now - 5 * Self.minute, arrivalsLast30Days: 1_500)
        let tightPlan = Planner.listing(snap, budget: CallBudget(monthly: 4_000, spent: 0, nowMs: Self.now), settings: settings())
        XCTAssertEqual(tightPlan.scale, 1)
        XCTAssertTrue(tightPlan.windows.isEmpty)
        let rich = Planner.listing(snap, budget: CallBudget(monthly: 1_000_000, spent: 0, nowMs: Self.now), settings: settings(budget: 1_000_000))
        XCTAssertLessThan(rich.scale, 0.05)
        XCTAssertEqual(rich.policy.listIntervalMs, 0, "a rich budget lists on every run")
        XCTAssertFalse(rich.windows.isEmpty)
    }

    func testGetsAreOrderedByHowOverdueTheyAre() {
        let p = RevisitPolicy()
        let snap = JobSnapshot(
            open: [
                // Young and just checked: not due.
                OpenInstance(id: "young-fresh", createdMs: Self.now - 3 * Self.hour, checkedMs: Self.now - 10 * Self.minute),
                // Young, checked 3 h ago at age 3 h: due (interval = age at check = 3 h, ratio 1).
                OpenInstance(id: "young-due", createdMs: Self.now - 6 * Self.hour, checkedMs: Self.now - 3 * Self.hour),
                // Long tail: 60 days old, checked 20 days ago, cap 10 days: ratio 2.
                OpenInstance(id: "tail-overdue", createdMs: Self.now - 60 * Self.day, checkedMs: Self.now - 20 * Self.day),
                // Long tail checked 5 days ago: not due.
                OpenInstance(id: "tail-fresh", createdMs: Self.now - 90 * Self.day, checkedMs: Self.now - 5 * Self.day),
            ],
            pending: [
                PendingInstance(id: "new-old", reason: .new, seenMs: Self.now - 2 * p.firstGetDelayMs),
                PendingInstance(id: "new-young", reason: .new, seenMs: Self.now - 10 * Self.minute),
                PendingInstance(id: "orig", reason: .followUp, seenMs: Self.now),
                PendingInstance(id: "deleted", reason: .abandoned, seenMs: Self.now - 9 * Self.day),
            ])
        let plan = tight(snap)
        XCTAssertEqual(plan.gets.map(\.id), ["orig", "new-old", "tail-overdue", "young-due"])
        XCTAssertEqual(plan.gets.map(\.reason), [.followUp, .new, .revisit, .revisit])
        XCTAssertEqual(plan.notDue, 3)
        XCTAssertTrue(plan.deferred.isEmpty)
    }

    func testWhatTheAllowanceCannotPayIsDeferredAndSaidSo() {
        // Beginning of the month, 130 calls reserve (4,000/30), 130 already spent: nothing paced.
        let start = CallBudgetTests.decemberStart
        // 2,000 arrivals a month need the whole budget: no catch-up room.
        let snap = JobSnapshot(open: (0..<5).map { OpenInstance(id: "o\($0)", createdMs: start - 40 * Self.day, checkedMs: start - 30 * Self.day - Int64($0) * Self.hour) },
                               arrivalsLast30Days: 2_000)
        let budget = CallBudget(monthly: 4_000, spent: 130, nowMs: start)
        var plan = Planner.listing(snap, budget: budget, settings: settings())
        XCTAssertEqual(plan.allowance, 3, "only the paced reserve is left: 133 - 130")
        plan = Planner.gets(snap, plan: plan, nowMs: start, spent: 0, settings: settings())
        XCTAssertEqual(plan.gets.map(\.id), ["o4", "o3", "o2"], "the longest unchecked first")
        XCTAssertEqual(plan.deferred[.revisit]?.count, 2)
        XCTAssertEqual(plan.deferred[.revisit]?.oldestMs, start - 30 * Self.day - Self.hour)
    }

    func testStaleOpenInstancesBeyondTheResyncHorizonAreNotFollowed() {
        var s = settings()
        s.resyncOpenMs = 30 * Self.day
        let snap = JobSnapshot(open: [OpenInstance(id: "ancient", createdMs: Self.now - 31 * Self.day, checkedMs: Self.now - 20 * Self.day)],
                               arrivalsLast30Days: 1_500)
        let plan = Planner.listing(snap, budget: CallBudget(monthly: 4_000, spent: 0, nowMs: Self.now), settings: s)
        XCTAssertTrue(Planner.gets(snap, plan: plan, nowMs: Self.now, spent: 0, settings: s).gets.isEmpty)
    }

    func testGoneInstancesAreRetriedSparingly() {
        let p = RevisitPolicy()
        let snap = JobSnapshot(pending: [
            PendingInstance(id: "gone-recent", reason: .gone, seenMs: Self.now - Self.day, tries: 1, lastTryMs: Self.now - Self.hour),
            PendingInstance(id: "gone-due", reason: .gone, seenMs: Self.now - Self.day, tries: 2, lastTryMs: Self.now - p.goneRetryMs),
        ])
        XCTAssertEqual(tight(snap).gets.map(\.id), ["gone-due"])
    }

    func testALimitCapsTheGets() {
        var s = settings(budget: 1_000_000)
        s.limit = 2
        let snap = JobSnapshot(pending: (0..<5).map { PendingInstance(id: "n\($0)", reason: .new, seenMs: Self.now) })
        let plan = Planner.listing(snap, budget: CallBudget(monthly: 1_000_000, spent: 0, nowMs: Self.now), settings: s)
        XCTAssertEqual(Planner.gets(snap, plan: plan, nowMs: Self.now, spent: 0, settings: s).gets.count, 2)
    }

    func testBackfillFetchesOnlyNewOrNonFinalAndOnlyWhenTheEstimateFits() {
        var s = settings(mode: .backfill)
        s.fromMs = Self.now - 10 * Self.day
        s.toMs = Self.now - 5 * Self.day
        let budget = CallBudget(monthly: 100, spent: 90, nowMs: Self.now)
        let plan = Planner.listing(JobSnapshot(), budget: budget, settings: s)
        XCTAssertEqual(plan.windows, [Window(fromMs: Self.now - 10 * Self.day, toMs: Self.now - 5 * Self.day)])
        XCTAssertEqual(plan.allowance, 10)
        let fit = Planner.backfillGets(listed: ["a", "b", "c", "d"], storedFinal: ["b"], refetch: false, plan: plan, spent: 1, settings: s)
        XCTAssertEqual(fit.estimate, 3)
        XCTAssertTrue(fit.fits)
        XCTAssertEqual(fit.plan.gets.map(\.id), ["a", "c", "d"])
        let over = Planner.backfillGets(listed: (0..<20).map { "i\($0)" }, storedFinal: [], refetch: false, plan: plan, spent: 1, settings: s)
        XCTAssertFalse(over.fits)
        XCTAssertTrue(over.plan.gets.isEmpty)
        s.maxCalls = 2
        let capped = Planner.listing(JobSnapshot(), budget: budget, settings: s)
        XCTAssertEqual(capped.allowance, 2)
    }
}
