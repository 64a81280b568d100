@testable import DingSync
import XCTest

/// The planner trusts pushes for exactly the time the connection was up, and polls the rest.
final class EventCoverageTests: XCTestCase {
    static let hour: Int64 = 3_600_000
    static let day = 24 * hour
    let now = PlannerTests.now

    func testSpansCoverOnlyWhatTheyJoin() {
        let m: Int64 = 60_000
        let c = EventCoverage(spans: [.init(fromMs: 0, toMs: 10 * m), .init(fromMs: 10 * m, toMs: 20 * m), .init(fromMs: 25 * m, toMs: 40 * m)])
        XCTAssertTrue(c.covers(fromMs: 2 * m, toMs: 18 * m))
        XCTAssertNil(c.firstUncovered(fromMs: 5 * m, toMs: 20 * m))
        XCTAssertEqual(c.firstUncovered(fromMs: 5 * m, toMs: 30 * m), 20 * m, "the gap 20..25 min is where a push may have been lost")
        XCTAssertEqual(c.firstUncovered(fromMs: -5 * m, toMs: 3 * m), -5 * m)
        XCTAssertTrue(c.covers(fromMs: 26 * m, toMs: 40 * m))
    }

    /// A reconnect (DingTalk's disconnect about every 20 h) leaves a gap of seconds between two
    /// spans: the safety net's to catch, not a reason to poll every open instance for days.
    func testAReconnectsGapOfSecondsKeepsTheCoverage() {
        let c = EventCoverage(spans: [.init(fromMs: 0, toMs: 20 * Self.hour), .init(fromMs: 20 * Self.hour + 3_000, toMs: 40 * Self.hour)])
        XCTAssertTrue(c.covers(fromMs: Self.hour, toMs: 39 * Self.hour))
        let outage = EventCoverage(spans: [.init(fromMs: 0, toMs: 20 * Self.hour), .init(fromMs: 20 * Self.hour + EventCoverage.reconnectGapMs + 1, toMs: 40 * Self.hour)])
        XCTAssertEqual(outage.firstUncovered(fromMs: Self.hour, toMs: 39 * Self.hour), 20 * Self.hour, "longer than a reconnect: an outage")
    }

    func testTooManyMissedPushesInADayDistrustEvents() {
        let spans = [EventCoverage.Span(fromMs: 0, toMs: 100)]
        XCTAssertTrue(EventCoverage(spans: spans, missedToday: 1, eventsToday: 10).covers(fromMs: 0, toMs: 50), "one miss is noise")
        XCTAssertTrue(EventCoverage(spans: spans, missedToday: 2, eventsToday: 60).covers(fromMs: 0, toMs: 50), "2 of 62 is 3 %")
        XCTAssertFalse(EventCoverage(spans: spans, missedToday: 4, eventsToday: 40).covers(fromMs: 0, toMs: 50), "4 of 44 is 9 %")
    }

    /// Polling is what finds missed pushes: a day that trusts them again finds none, so the
    /// distrust is judged over the week as well, and holds while the week's share is high.
    func testAWeekOfMissedPushesKeepsPollingOnAQuietDay() {
        let spans = [EventCoverage.Span(fromMs: 0, toMs: 100)]
        let quietToday = EventCoverage(spans: spans, missedToday: 0, eventsToday: 30, missedRecent: 30, eventsRecent: 270)
        XCTAssertTrue(quietToday.distrusted, "30 of 300 this week is 10 %, though none today")
        XCTAssertFalse(quietToday.covers(fromMs: 0, toMs: 50))
        XCTAssertFalse(EventCoverage(spans: spans, missedToday: 0, eventsToday: 40, missedRecent: 6, eventsRecent: 300).distrusted, "6 of 306 is 2 %")
        XCTAssertTrue(EventCoverage(spans: spans, missedToday: 4, eventsToday: 40, missedRecent: 4, eventsRecent: 400).distrusted,
                      "a bad day is enough on its own")
    }

    /// topapi: a young open instance is revisited within hours when polling; under a healthy
    /// connection only the weekly safety net fetches it; after an outage it is polled again,
    /// paced from the outage's start, not from its last get.
    func testOpenInstancesArePolledOnlyForUncoveredTime() {
        let open = OpenInstance(id: "o1", createdMs: now - 2 * Self.day, checkedMs: now - 2 * Self.day)
        func gets(_ coverage: EventCoverage, at t: Int64) -> [String] {
            var snap = JobSnapshot(open: [open], arrivalsLast30Days: 300)
            snap.coverage = coverage
            var s = Planner.Settings()
            s.monthlyBudget = 4_000
            let plan = Planner.listing(snap, budget: CallBudget(monthly: 4_000, spent: 0, nowMs: t), settings: s)
            return Planner.gets(snap, plan: plan, nowMs: t, spent: 0, settings: s).gets.map(\.id)
        }
        XCTAssertEqual(gets(EventCoverage(), at: now), ["o1"], "without events, two days unchecked is due")
        let healthy = EventCoverage(spans: [.init(fromMs: now - 3 * Self.day, toMs: now)])
        XCTAssertEqual(gets(healthy, at: now), [], "pushes covered the two days")
        let outage = EventCoverage(spans: [.init(fromMs: now - 3 * Self.day, toMs: now - 10 * Self.hour),
                                           .init(fromMs: now - 4 * Self.hour, toMs: now)])
        XCTAssertEqual(gets(outage, at: now), ["o1"], "a 6-hour outage ten hours ago: polled again")
        let justNow = EventCoverage(spans: [.init(fromMs: now - 3 * Self.day, toMs: now - 10 * 60_000)])
        XCTAssertEqual(gets(justNow, at: now), [], "a young outage is not overdue yet at the instance's interval")
        let week = OpenInstance(id: "o1", createdMs: now - 9 * Self.day, checkedMs: now - 8 * Self.day)
        var snap = JobSnapshot(open: [week], arrivalsLast30Days: 300)
        snap.coverage = EventCoverage(spans: [.init(fromMs: now - 10 * Self.day, toMs: now)])
        var s = Planner.Settings()
        s.monthlyBudget = 4_000
        let plan = Planner.listing(snap, budget: CallBudget(monthly: 4_000, spent: 0, nowMs: now), settings: s)
        XCTAssertEqual(Planner.gets(snap, plan: plan, nowMs: now, spent: 0, settings: s).gets.map(\.id), ["o1"],
                       "the weekly safety net confirms it even while pushes flow")
    }

    /// A pushed instance is fetched at once, before any revisit, even when the allowance is
    /// nearly gone; and it is never held back by the arrival reserve.
    func testAPushedInstanceIsFetchedFirst() {
        var snap = JobSnapshot(arrivalsLast30Days: 3_000)
        snap.pending = [PendingInstance(id: "new", reason: .new, seenMs: now - Self.day),
                        PendingInstance(id: "pushed", reason: .event, seenMs: now - 1_000)]
        snap.open = (0..<50).map { OpenInstance(id: "o\($0)", createdMs: now - 30 * Self.day, checkedMs: now - 20 * Self.day) }
        var s = Planner.Settings()
        s.monthlyBudget = 4_000
        var plan = Planner.listing(snap, budget: CallBudget(monthly: 4_000, spent: 0, nowMs: now), settings: s)
        plan.allowance = 1
        let gets = Planner.gets(snap, plan: plan, nowMs: now, spent: 0, settings: s)
        XCTAssertEqual(gets.gets.map(\.id), ["pushed"])
        XCTAssertEqual(gets.gets.first?.reason, .event)
    }

    /// With `start` pushes trusted, the new-id listing runs daily as a safety net; after an
    /// outage it lists again at once.
    func testArrivalsByPushMakeTheListingASafetyNet() {
        var snap = JobSnapshot(watermarkMs: now - 3 * Self.hour, lastListedMs: now - 3 * Self.hour, arrivalsLast30Days: 600)
        var s = Planner.Settings()
        s.monthlyBudget = 2_000
        s.startMs = now - 30 * Self.day
        func listed() -> Bool { !Planner.listing(snap, budget: CallBudget(monthly: 2_000, spent: 0, nowMs: now), settings: s).windows.isEmpty }
        XCTAssertTrue(listed(), "polling lists new ids every hour or so")
        s.arrivalsByEvent = true
        snap.coverage = EventCoverage(spans: [.init(fromMs: now - Self.day, toMs: now)])
        XCTAssertFalse(listed(), "start pushes covered the three hours")
        snap.lastListedMs = now - 25 * Self.hour
        snap.coverage = EventCoverage(spans: [.init(fromMs: now - 2 * Self.day, toMs: now)])
        XCTAssertTrue(listed(), "the daily safety net")
        snap.lastListedMs = now - 3 * Self.hour
        snap.coverage = EventCoverage(spans: [.init(fromMs: now - Self.day, toMs: now - 2 * Self.hour)])
        XCTAssertTrue(listed(), "down for the last two hours: arrivals are listed again")
    }
}

/// While pushes flow, the budget that polling spent finding closes goes to arrivals.
final class EventFitTests: XCTestCase {
    let now = PlannerTests.now
    static let day: Int64 = 86_400_000

    /// 50 a day with 300 open rows up to `oldestDays` old, listed and checked an hour ago.
    func busyJob(oldestDays: Int64) -> (JobSnapshot, Planner.Settings) {
        var snap = JobSnapshot(watermarkMs: now - 3_600_000, lastListedMs: now - 3_600_000, arrivalsLast30Days: 1_500)
        snap.open = (0..<300).map { OpenInstance(id: "o\($0)", createdMs: now - Int64($0) % oldestDays * Self.day - 1, checkedMs: now - 3_600_000) }
        var s = Planner.Settings()
        s.monthlyBudget = 4_000
        s.closesByEvent = true
        return (snap, s)
    }

    func testFlowingPushesBuyFasterArrivalsAndCountACloseGetPerArrival() {
        var (snap, s) = busyJob(oldestDays: 60)
        let polling = Planner.listing(snap, budget: CallBudget(monthly: 4_000, spent: 0, nowMs: now), settings: s)
        XCTAssertFalse(polling.policy.closesByEvent, "no span: polling's policy")
        XCTAssertGreaterThan(polling.policy.listIntervalMs, 60 * 60_000)
        snap.coverage = EventCoverage(spans: [.init(fromMs: now - 2 * Self.day, toMs: now)])
        let pushed = Planner.listing(snap, budget: CallBudget(monthly: 4_000, spent: 0, nowMs: now), settings: s)
        XCTAssertTrue(pushed.policy.closesByEvent)
        XCTAssertLessThanOrEqual(pushed.policy.listIntervalMs, 55 * 60_000, "new rows within the hour")
        XCTAssertEqual(pushed.policy.firstGetDelayMs, 0)
        XCTAssertGreaterThanOrEqual(pushed.monthlyNeed, 3_000, "a first get and a close get per arrival")
        s.closesByEvent = false
        XCTAssertFalse(Planner.listing(snap, budget: CallBudget(monthly: 4_000, spent: 0, nowMs: now), settings: s).policy.closesByEvent,
                       "a job without events never trusts spans")
    }

    /// v1 while pushes flow: the new-id listing keeps topapi's hour even in a tight month.
    func testTheV1ListingKeepsTheHourWhilePushesFlow() {
        var (snap, s) = busyJob(oldestDays: 100)
        snap.coverage = EventCoverage(spans: [.init(fromMs: now - 2 * Self.day, toMs: now)])
        s.api = .v1
        let plan = Planner.listing(snap, budget: CallBudget(monthly: 4_000, spent: 0, nowMs: now), settings: s)
        XCTAssertLessThanOrEqual(plan.policy.listIntervalMs, 55 * 60_000, "new rows within the hour")
        XCTAssertGreaterThan(plan.scale, 1, "the month is tight: the sweeps stretch, not the listing")
    }
}

/// A pushed close's get is owed whenever it is made: the pacing line would only delay it.
final class PushedGetPacingTests: XCTestCase {
    let now = PlannerTests.now

    func testPushedGetsPassThePacingLineButNeverTheMonthsBudget() {
        var snap = JobSnapshot(arrivalsLast30Days: 1_500)
        snap.pending = (0..<5).map { PendingInstance(id: "p\($0)", reason: .event, seenMs: now - 1_000) }
            + [PendingInstance(id: "new", reason: .new, seenMs: now - 86_400_000)]
        var s = Planner.Settings()
        s.monthlyBudget = 4_000
        var plan = Planner.listing(snap, budget: CallBudget(monthly: 4_000, spent: 1_000, nowMs: now), settings: s)
        plan.allowance = 2
        let paced = Planner.gets(snap, plan: plan, nowMs: now, spent: 0, settings: s)
        XCTAssertEqual(Set(paced.gets.map(\.id)), Set((0..<5).map { "p\($0)" }), "every pushed get, none of the paced new one")
        XCTAssertEqual(paced.allowance, 5, "the run's allowance grows by the pushed gets past the line")
        XCTAssertEqual(paced.deferred[.new]?.count, 1)

        plan.monthRemaining = 3
        let capped = Planner.gets(snap, plan: plan, nowMs: now, spent: 0, settings: s)
        XCTAssertEqual(capped.gets.count, 3, "the month's remaining budget bounds them")
        XCTAssertTrue(capped.gets.allSatisfy { $0.reason == .event })
    }
}

/// While pushes bring the closes, the safety net spends only what a day of arrivals and their
/// pushed closes leave of the allowance.
final class SafetyNetReserveTests: XCTestCase {
    let now = PlannerTests.now
    static let day: Int64 = 86_400_000

    func testTheSafetyNetLeavesADayOfArrivalsAndTheirCloses() {
        var snap = JobSnapshot(arrivalsLast30Days: 1_500)
        snap.open = (0..<200).map { OpenInstance(id: "o\($0)", createdMs: now - 60 * Self.day, checkedMs: now - 50 * Self.day) }
        snap.coverage = EventCoverage(spans: [.init(fromMs: now - 70 * Self.day, toMs: now)])
        var s = Planner.Settings()
        s.monthlyBudget = 4_000
        s.closesByEvent = true
        var plan = Planner.listing(snap, budget: CallBudget(monthly: 4_000, spent: 0, nowMs: now), settings: s)
        XCTAssertTrue(plan.policy.closesByEvent)
        plan.allowance = 150
        XCTAssertEqual(Planner.gets(snap, plan: plan, nowMs: now, spent: 0, settings: s).gets.count, 150 - 100,
                       "a day of 50 arrivals, each a first get and a pushed close's, stays unspent")
        s.closesByEvent = false
        var polling = Planner.listing(snap, budget: CallBudget(monthly: 4_000, spent: 0, nowMs: now), settings: s)
        polling.allowance = 150
        XCTAssertEqual(Planner.gets(snap, plan: polling, nowMs: now, spent: 0, settings: s).gets.count, 150 - 25,
                       "polling keeps half a day of first gets")
    }
}
