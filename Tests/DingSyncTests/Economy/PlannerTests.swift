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
        // 1,500 arrivals a month need more than 95 % of 1,500 calls: the policy stays tight.
        let plan = Planner.listing(snap, budget: CallBudget(monthly: 1_500, spent: spent, nowMs: now), settings: settings(budget: 1_500))
        return Planner.gets(snap, plan: plan, nowMs: now, spent: 0, settings: settings(budget: 1_500))
    }

    /// An ample budget buys a fresher policy that plans to spend most of it. A job whose spend
    /// ran ahead of the month (the need is an estimate) plans slower for the rest of it, so its
    /// last days are not starved; a first sync mid-month still catches up.
    func testAJobAheadOfItsMonthPlansSlowerForTheRestOfIt() {
        let midMonth = CallBudgetTests.decemberStart + 15 * Self.day + 12 * Self.hour
        var snap = JobSnapshot(arrivalsLast30Days: 300)
        snap.open = (0..<20).map { OpenInstance(id: "o\($0)", createdMs: midMonth - Int64($0) * Self.day, checkedMs: midMonth - Self.hour) }
        for api in [DingTalkAPI.topapi, .v1] {
            var s = settings(budget: 10_000)
            s.api = api
            let onLine = Planner.listing(snap, budget: CallBudget(monthly: 10_000, spent: 5_000, nowMs: midMonth), settings: s)
            let ahead = Planner.listing(snap, budget: CallBudget(monthly: 10_000, spent: 8_000, nowMs: midMonth), settings: s)
            XCTAssertLessThan(onLine.scale, 1, "\(api): the budget buys freshness")
            XCTAssertGreaterThan(ahead.scale, onLine.scale * 2, "\(api): 2,000 left for half a month is a rate of 4,000, not 10,000")
            let first = Planner.listing(snap, budget: CallBudget(monthly: 10_000, spent: 0, nowMs: midMonth), settings: s)
            XCTAssertGreaterThan(first.allowance, 5_000, "\(api): a first sync mid-month still catches up")
        }
        let b = CallBudget(monthly: 10_000, spent: 8_000, nowMs: midMonth)
        XCTAssertEqual(b.sustainableMonthly, 4_000, "2,000 left for the second half of the month")
        XCTAssertEqual(CallBudget(monthly: 10_000, spent: 0, nowMs: midMonth).sustainableMonthly, 10_000, "never above the budget")
        XCTAssertEqual(CallBudget(monthly: 10_000, spent: 9_990, nowMs: CallBudgetTests.decemberStart + 31 * Self.day - Self.minute).sustainableMonthly,
                       300, "the last day counts whole")
    }

    /// Needs are per 30 days, budgets per calendar month: February's budget buys more a day than
    /// March's, and a 31-day month must not be planned at 98 % of its budget.
    func testTheFitReadsTheBudgetPerDayOfItsMonth() {
        var snap = JobSnapshot(arrivalsLast30Days: 300)
        let feb = BeijingMonth.epochMs(year: 2027, month: 2) + Self.hour, mar = BeijingMonth.epochMs(year: 2027, month: 3) + Self.hour
        for api in [DingTalkAPI.topapi, .v1] {
            var s = settings(budget: 10_000)
            s.api = api
            snap.open = (0..<20).map { OpenInstance(id: "o\($0)", createdMs: feb - Int64($0) * Self.day, checkedMs: feb - Self.hour) }
            let inFeb = Planner.listing(snap, budget: CallBudget(monthly: 10_000, spent: 0, nowMs: feb), settings: s)
            snap.open = (0..<20).map { OpenInstance(id: "o\($0)", createdMs: mar - Int64($0) * Self.day, checkedMs: mar - Self.hour) }
            let inMar = Planner.listing(snap, budget: CallBudget(monthly: 10_000, spent: 0, nowMs: mar), settings: s)
            XCTAssertLessThan(inFeb.scale, inMar.scale * 0.95, "\(api): 10,000 over 28 days is 10,714 per 30, over 31 days 9,677")
        }
    }

    func testListingIsDueByTimeNotByRun() {
        let p = RevisitPolicy()
        let cases: [(lastListed: Int64?, due: Bool)] = [
            (nil, true),
            (Self.now - p.listIntervalMs, true),
            // Within the minute counts as due (what a run records comes seconds after its start).
            (Self.now - p.listIntervalMs + Planner.dueSlackMs, true),
            (Self.now - p.listIntervalMs + Planner.dueSlackMs + 1, false),
            (Self.now - 10 * Self.minute, false),
        ]
        for c in cases {
            let snap = JobSnapshot(watermarkMs: Self.now - 3 * Self.hour, lastListedMs: c.lastListed, arrivalsLast30Days: 1_500)
            let plan = Planner.listing(snap, budget: CallBudget(monthly: 1_500, spent: 0, nowMs: Self.now), settings: settings(budget: 1_500))
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
        let tightPlan = Planner.listing(snap, budget: CallBudget(monthly: 1_500, spent: 0, nowMs: Self.now), settings: settings(budget: 1_500))
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
                // Young, checked one young interval ago: due (ratio 1).
                OpenInstance(id: "young-due", createdMs: Self.now - 6 * Self.day, checkedMs: Self.now - p.youngIntervalMs),
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
        // Beginning of the month, 33 calls reserve (1,000/30), 17 already spent: 16 paced.
        let start = CallBudgetTests.decemberStart
        // 750 arrivals a month need the whole budget: no catch-up room, the policy is tight;
        // 13 calls (half a day of arrivals) are kept for new approvals.
        let snap = JobSnapshot(open: (0..<5).map { OpenInstance(id: "o\($0)", createdMs: start - 40 * Self.day, checkedMs: start - 30 * Self.day - Int64($0) * Self.hour) },
                               arrivalsLast30Days: 750)
        let budget = CallBudget(monthly: 1_000, spent: 17, nowMs: start)
        var plan = Planner.listing(snap, budget: budget, settings: settings(budget: 1_000))
        XCTAssertEqual(plan.scale, 1)
        XCTAssertEqual(plan.allowance, 16, "only the paced reserve is left: 33 - 17")
        plan = Planner.gets(snap, plan: plan, nowMs: start, spent: 0, settings: settings(budget: 1_000))
        XCTAssertEqual(plan.gets.map(\.id), ["o4", "o3", "o2"], "the longest unchecked first, 13 calls kept for arrivals")
        XCTAssertEqual(plan.deferred[.revisit]?.count, 2)
        XCTAssertEqual(plan.deferred[.revisit]?.oldestMs, start - 30 * Self.day - Self.hour)
    }

    func testRevisitsLeaveHalfADayOfArrivalsButNewIdsTakeIt() {
        let start = CallBudgetTests.decemberStart
        let open = (0..<20).map { OpenInstance(id: "o\($0)", createdMs: start - 40 * Self.day, checkedMs: start - 20 * Self.day) }
        let fresh = (0..<4).map { PendingInstance(id: "n\($0)", reason: .new, seenMs: start - Self.day) }
        // 750 arrivals a month: 13 calls kept for them; 16 paced. New ids take what they need
        // first, revisits only what is left above the reserve.
        let budget = CallBudget(monthly: 1_000, spent: 17, nowMs: start)
        for (pending, gets) in [([PendingInstance](), 3), (fresh, 4)] {
            let snap = JobSnapshot(open: open, pending: pending, arrivalsLast30Days: 750)
            var plan = Planner.listing(snap, budget: budget, settings: settings(budget: 1_000))
            plan = Planner.gets(snap, plan: plan, nowMs: start, spent: 0, settings: settings(budget: 1_000))
            XCTAssertEqual(plan.gets.count, gets, "\(pending.count) new")
            XCTAssertEqual(plan.gets.filter { $0.reason == .new }.count, pending.count)
        }
    }

    /// A first sync (or one far behind) fetches what it lists at once; a regular listing's new
    /// ids wait for the first-get delay, and so do ids left from earlier runs.
    func testACatchUpListingIsFetchedAtOnceARegularOneWaits() {
        let p = RevisitPolicy()
        for (watermarkAgo, catchUp) in [(20 * Self.day, true), (p.listIntervalMs, false)] {
            let snap = JobSnapshot(watermarkMs: Self.now - watermarkAgo, lastListedMs: Self.now - p.listIntervalMs,
                                   arrivalsLast30Days: 1_500)
            let plan = Planner.listing(snap, budget: CallBudget(monthly: 1_500, spent: 0, nowMs: Self.now), settings: settings(budget: 1_500))
            XCTAssertFalse(plan.windows.isEmpty)
            XCTAssertEqual(plan.catchUpListedAtMs != nil, catchUp, "watermark \(watermarkAgo / Self.hour) h ago")
            var listed = snap
            listed.pending = [PendingInstance(id: "listed-now", reason: .new, seenMs: Self.now + 5),
                              PendingInstance(id: "listed-before", reason: .new, seenMs: Self.now - Self.hour)]
            let gets = Planner.gets(listed, plan: plan, nowMs: Self.now + 10, spent: 1, settings: settings(budget: 1_500)).gets
            XCTAssertEqual(gets.map(\.id), catchUp ? ["listed-now"] : [])
        }
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
