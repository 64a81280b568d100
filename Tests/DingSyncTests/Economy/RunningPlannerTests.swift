@testable import DingSync
import XCTest

/// The v1 planner step (issue 11): open rows cut into one-page slices, each due on an interval
/// that grows with its age; closes found by a RUNNING listing are fetched right after arrivals;
/// a slow safety net fetches rows no listing has confirmed.
final class RunningPlannerTests: XCTestCase {
    static let minute: Int64 = 60_000
    static let hour = 60 * minute
    static let day = 24 * hour
    static let now = PlannerTests.now

    func settings(budget: Int = 4_000, api: DingTalkAPI = .v1) -> Planner.Settings {
        var s = Planner.Settings()
        s.monthlyBudget = budget
        s.startMs = Self.now - 30 * Self.day
        s.api = api
        return s
    }

    func open(_ n: Int, createdAgo: Int64, checkedAgo: Int64, confirmedAgo: Int64? = nil, prefix: String = "o") -> [OpenInstance] {
        (0..<n).map { i in
            OpenInstance(id: "\(prefix)\(i)", createdMs: Self.now - createdAgo + Int64(i) * Self.minute, checkedMs: Self.now - checkedAgo,
                         confirmedMs: confirmedAgo.map { Self.now - $0 })
        }
    }

    func testTheIntervalGrowsWithAgeWithinADayForTwoWeeksThenTwoDays() {
        let p = RunningPolicy()
        let cases: [(age: Int64, interval: Int64)] = [
            (0, 8 * Self.hour), (10 * Self.hour, 8 * Self.hour), (2 * Self.day, 12 * Self.hour),
            (4 * Self.day, 22 * Self.hour), (8 * Self.day, 22 * Self.hour), (14 * Self.day - Self.minute, 22 * Self.hour),
            (14 * Self.day, 48 * Self.hour), (200 * Self.day, 48 * Self.hour),
        ]
        for c in cases { XCTAssertEqual(p.sweepInterval(ageMs: c.age), c.interval, "age \(c.age / Self.hour) h") }
    }

    func testAnIntervalEndingWithinTheMinuteIsDueNow() {
        // What a run records happens seconds after it starts: the next run of an hourly
        // interval finds it a few seconds short, and must not wait another cron step.
        XCTAssertGreaterThanOrEqual(Planner.ratioOf(60 * Self.minute - 5_000, 60 * Self.minute, never: false), 1)
        XCTAssertLessThan(Planner.ratioOf(58 * Self.minute, 60 * Self.minute, never: false), 1)
        // An interval an ample budget shrank to 20 seconds is not due on every run.
        XCTAssertLessThan(Planner.ratioOf(5_000, 20_000, never: false), 1)
        let rows = [OpenInstance(id: "r", createdMs: Self.now - 2 * Self.day, checkedMs: Self.now - 3 * Self.day,
                                 confirmedMs: Self.now - 12 * Self.hour + 5_000)]
        let slices = Planner.slices(JobSnapshot(open: rows), nowMs: Self.now, settings: settings(), policy: RunningPolicy())
        XCTAssertGreaterThanOrEqual(slices[0].priority, 1, "a 12-hour slice confirmed 12 h less five seconds ago is due")
    }

    func testOpenRowsAreCutIntoOnePageSlicesInCreationOrder() {
        var snap = JobSnapshot(open: open(45, createdAgo: 20 * Self.day, checkedAgo: 3 * Self.day).shuffled())
        snap.pending = [PendingInstance(id: "o7", reason: .closed, seenMs: Self.now)]
        let slices = Planner.slices(snap, nowMs: Self.now, settings: settings(), policy: RunningPolicy())
        XCTAssertEqual(slices.map(\.ids.count), [6, 19, 19], "44 rows not owed a get, 19 a slice, full pages from the young end")
        XCTAssertFalse(slices.flatMap(\.ids).contains("o7"), "a row already owed a get is not listed for")
        XCTAssertEqual(Set(slices.flatMap(\.ids)).count, 44)
        for (a, b) in zip(slices, slices.dropFirst()) { XCTAssertLessThan(a.toMs, b.toMs) }
        // Every row's creation instant is inside its slice's window, with a minute to spare for
        // truncated stored times.
        for s in slices {
            for id in s.ids {
                let row = snap.open.first { $0.id == id }!
                XCTAssertTrue(row.createdMs >= s.fromMs && row.createdMs + 59_999 <= s.toMs)
            }
        }
    }

    func testASliceIsDueByItsLeastRecentlyConfirmedRow() {
        // Rows two days old: due every 12 h. Confirmed 13 h ago → due; 11 h ago → not; one of
        // them fetched 1 h ago does not make a slice fresh while another is stale.
        let cases: [(confirmed: [Int64?], checked: Int64, due: Bool)] = [
            ([13 * Self.hour, 13 * Self.hour], 3 * Self.day, true),
            ([11 * Self.hour, 11 * Self.hour], 3 * Self.day, false),
            ([1 * Self.hour, 13 * Self.hour], 3 * Self.day, true),
            ([nil, nil], 11 * Self.hour, false),
            ([nil, nil], 13 * Self.hour, true),
        ]
        for c in cases {
            let rows = c.confirmed.enumerated().map { i, ago in
                OpenInstance(id: "r\(i)", createdMs: Self.now - 2 * Self.day, checkedMs: Self.now - c.checked, confirmedMs: ago.map { Self.now - $0 })
            }
            let snap = JobSnapshot(open: rows, arrivalsLast30Days: 0)
            var plan = Planner.listing(snap, budget: CallBudget(monthly: 4_000, spent: 0, nowMs: Self.now), settings: settings(budget: 4_000))
            plan.running = RunningPolicy()  // unscaled, whatever the fit
            plan = Planner.running(snap, plan: plan, nowMs: Self.now, spent: 0, settings: settings())
            XCTAssertEqual(plan.slices.count, c.due ? 1 : 0, "\(c)")
        }
    }

    func testRowsBeyondDingTalksHorizonAreNeverListedButStillFollowedByTheSafetyNet() {
        let earliest = WindowPlanner.earliestAllowed(nowMs: Self.now)
        let rows = [
            OpenInstance(id: "inside", createdMs: earliest + Self.hour, checkedMs: Self.now - 20 * Self.day),
            OpenInstance(id: "beyond", createdMs: earliest - Self.minute, checkedMs: Self.now - 20 * Self.day),
        ]
        var s = settings()
        s.resyncOpenMs = 400 * Self.day
        let snap = JobSnapshot(open: rows)
        let slices = Planner.slices(snap, nowMs: Self.now, settings: s, policy: RunningPolicy())
        XCTAssertEqual(slices.flatMap(\.ids), ["inside"])
        XCTAssertGreaterThanOrEqual(slices[0].fromMs, earliest, "no window DingTalk would refuse")
        let plan = Planner.listing(snap, budget: CallBudget(monthly: 4_000, spent: 0, nowMs: Self.now), settings: s)
        XCTAssertTrue(Planner.gets(snap, plan: plan, nowMs: Self.now, spent: 0, settings: s).gets.contains { $0.id == "beyond" })
    }

    func testAnOldRowSharingAPageWithYoungOnesIsDueAtItsOwnPace() {
        for (oldConfirmedAgo, due) in [(7 * Self.hour, false), (47 * Self.hour, false), (49 * Self.hour, true)] {
            let young = open(5, createdAgo: Self.day, checkedAgo: Self.hour)
            let old = OpenInstance(id: "old", createdMs: Self.now - 60 * Self.day, checkedMs: Self.now - 50 * Self.day,
                                   confirmedMs: Self.now - oldConfirmedAgo)
            let slices = Planner.slices(JobSnapshot(open: young + [old]), nowMs: Self.now, settings: settings(), policy: RunningPolicy())
            XCTAssertEqual(slices.count, 1, "six rows share one page")
            XCTAssertEqual(slices[0].priority >= 1, due, "old row confirmed \(oldConfirmedAgo / Self.hour) h ago")
        }
    }

    func testSlicesLeaveTheAllowanceToOwedGetsAndAreOrderedByHowOverdue() {
        let young = open(19, createdAgo: Self.day, checkedAgo: 30 * Self.hour, prefix: "y")       // 5x overdue
        let old = open(10, createdAgo: 60 * Self.day, checkedAgo: 3 * Self.day, prefix: "t")       // 1.5x overdue
        var snap = JobSnapshot(open: young + old, arrivalsLast30Days: 0)
        var plan = Planner.listing(snap, budget: CallBudget(monthly: 4_000, spent: 0, nowMs: Self.now), settings: settings())
        plan.running = RunningPolicy()
        plan.allowance = 10
        snap.pending = (0..<9).map { PendingInstance(id: "n\($0)", reason: .new, seenMs: Self.now) }
        var p = Planner.running(snap, plan: plan, nowMs: Self.now, spent: 0, settings: settings())
        XCTAssertEqual(p.slices.map(\.ids.first), ["y0"], "10 calls, 9 owed for arrivals: one slice, the most overdue")
        XCTAssertEqual(p.slicesDeferred, 1)
        snap.pending = []
        p = Planner.running(snap, plan: plan, nowMs: Self.now, spent: 0, settings: settings())
        XCTAssertEqual(p.slices.map(\.ids.first), ["y0", "t0"])
        // topapi never lists by status.
        var legacy = plan
        legacy.running = nil
        XCTAssertTrue(Planner.running(snap, plan: legacy, nowMs: Self.now, spent: 0, settings: settings(api: .topapi)).slices.isEmpty)
    }

    func testClosesComeRightAfterArrivalsAndOpenRowsOnlyOnTheSafetyNet() {
        let rows = [
            OpenInstance(id: "confirmed", createdMs: Self.now - 40 * Self.day, checkedMs: Self.now - 30 * Self.day, confirmedMs: Self.now - Self.hour),
            OpenInstance(id: "stale", createdMs: Self.now - 40 * Self.day, checkedMs: Self.now - 30 * Self.day, confirmedMs: Self.now - 11 * Self.day),
            OpenInstance(id: "young", createdMs: Self.now - 2 * Self.day, checkedMs: Self.now - 2 * Self.day),
        ]
        let snap = JobSnapshot(open: rows, pending: [
            PendingInstance(id: "gone-closed", reason: .closed, seenMs: Self.now - Self.hour),
            PendingInstance(id: "arrived", reason: .new, seenMs: Self.now - 5 * Self.minute),
        ], arrivalsLast30Days: 1_500)
        let plan = Planner.listing(snap, budget: CallBudget(monthly: 4_000, spent: 0, nowMs: Self.now), settings: settings())
        XCTAssertNotNil(plan.running)
        XCTAssertEqual(plan.policy.firstGetDelayMs, 0, "v1 fetches arrivals at once")
        let gets = Planner.gets(snap, plan: plan, nowMs: Self.now, spent: 0, settings: settings()).gets
        XCTAssertEqual(gets.map(\.id), ["arrived", "gone-closed", "stale"],
                       "a row confirmed an hour ago needs no get; the young one is followed by listings, not gets")
        XCTAssertEqual(gets.map(\.reason), [.new, .closed, .revisit])
        // The same state under topapi revisits by age instead and has no 'closed' reason to learn.
        let legacyPlan = Planner.listing(snap, budget: CallBudget(monthly: 4_000, spent: 0, nowMs: Self.now), settings: settings(api: .topapi))
        XCTAssertNil(legacyPlan.running)
        let legacy = Planner.gets(snap, plan: legacyPlan, nowMs: Self.now, spent: 0, settings: settings(api: .topapi)).gets
        XCTAssertTrue(legacy.contains { $0.id == "confirmed" }, "topapi ignores RUNNING confirmations")
    }

    func testTheFitSlowsSweepsWhenTheBudgetBindsAndSpeedsThemWhenItDoesNot() {
        let ages = (0..<20).map { Int64($0) * 5 * Self.day }
        let p = RunningPolicy()
        let tight = p.fitted(arrivalsPerMonth: 1_500, sliceAgesMs: ages, budget: 4_300)
        XCTAssertGreaterThan(tight.scale, 1)
        XCTAssertGreaterThan(Double(tight.need), 0.95 * 4_300, "unscaled it would not fit the planned share")
        XCTAssertLessThanOrEqual(Double(tight.policy.monthlyNeed(arrivalsPerMonth: 1_500, sliceAgesMs: ages)), 0.95 * 4_300 + 1)
        // Arrivals alone beyond the budget: the slowest sweeps, and the need says so.
        let hopeless = p.fitted(arrivalsPerMonth: 1_500, sliceAgesMs: ages, budget: 3_000)
        XCTAssertEqual(hopeless.scale, 4)
        let rich = p.fitted(arrivalsPerMonth: 1_500, sliceAgesMs: ages, budget: 100_000)
        XCTAssertLessThan(rich.scale, 0.2)
        XCTAssertLessThan(rich.policy.listIntervalMs, p.listIntervalMs, "an ample budget lists more often too")
        XCTAssertGreaterThan(tight.policy.listIntervalMs, p.listIntervalMs, "a tight one lists less often too ...")
        XCTAssertLessThan(Double(tight.policy.listIntervalMs) / Double(p.listIntervalMs),
                          Double(tight.policy.tailIntervalMs) / Double(p.tailIntervalMs), "... but by less than it slows sweeps")
        XCTAssertEqual(tight.policy.freshCapMs, p.freshCapMs, "rows under two weeks stay within the day")
        let slightly = p.fitted(arrivalsPerMonth: 1_500, sliceAgesMs: ages, budget: 4_450)
        XCTAssertGreaterThan(slightly.scale, 1)
        XCTAssertGreaterThan(Double(slightly.policy.tailIntervalMs) / Double(p.tailIntervalMs),
                             Double(slightly.policy.youngIntervalMs) / Double(p.youngIntervalMs), "the weeks-old pages slow first")
        XCTAssertEqual(hopeless.policy.tailIntervalMs, 60 * Self.hour, "a close in the tail is seen within two and a half days")
        XCTAssertLessThan(rich.policy.freshCapMs, p.freshCapMs)
        let lavish = p.fitted(arrivalsPerMonth: 1_500, sliceAgesMs: ages, budget: 100_000_000)
        XCTAssertEqual(lavish.policy.listIntervalMs, 0, "a lavish budget lists on every run")
    }
}
