@testable import DingSync
import XCTest

final class RevisitPolicyTests: XCTestCase {
    let hour = RevisitPolicy.hour
    let day = RevisitPolicy.day

    func testTheIntervalGrowsWithAge() {
        let p = RevisitPolicy()
        XCTAssertEqual(p.revisitInterval(ageMs: 5 * hour), p.youngIntervalMs)
        XCTAssertEqual(p.revisitInterval(ageMs: 13 * day), p.youngIntervalMs)
        XCTAssertEqual(p.revisitInterval(ageMs: 21 * day), 7 * day, "a third of its age")
        XCTAssertEqual(p.revisitInterval(ageMs: 30 * day), p.tailIntervalMs)
        XCTAssertEqual(p.revisitInterval(ageMs: 200 * day), p.tailIntervalMs)
        XCTAssertLessThanOrEqual(p.listIntervalMs + p.firstGetDelayMs, 8 * hour, "arrival delay bound under the 8 h floor")
        XCTAssertLessThan(p.youngIntervalMs, 5 * day, "close delay bound under the 5-day floor while young")
    }

    func testScalingShortensFreshnessButNotTheGiveUpRule() {
        let p = RevisitPolicy().scaled(by: 0.5)
        XCTAssertEqual(p.youngIntervalMs, RevisitPolicy().youngIntervalMs / 2)
        XCTAssertEqual(p.revisitInterval(ageMs: 21 * day), RevisitPolicy().revisitInterval(ageMs: 21 * day) / 2)
        XCTAssertEqual(p.listIntervalMs, RevisitPolicy().listIntervalMs / 2)
        XCTAssertEqual(p.firstGetDelayMs, RevisitPolicy().firstGetDelayMs / 4, "a first get is bought before a revisit")
        XCTAssertEqual(p.goneSpanMs, RevisitPolicy().goneSpanMs)
        XCTAssertEqual(RevisitPolicy().scaled(by: 0.01).firstGetDelayMs, 0, "under a minute is every run")
    }

    func testTheNeedCountsListingsArrivalsAndOpenInstancesAtTheirIntervals() {
        let p = RevisitPolicy()
        XCTAssertEqual(p.monthlyNeed(.init(arrivalsPerMonth: 0, openAgesMs: [])), 240, "a listing every 3 h")
        XCTAssertEqual(p.monthlyNeed(.init(arrivalsPerMonth: 1_500, openAgesMs: [])), 240 + 1_500)
        XCTAssertEqual(p.monthlyNeed(.init(arrivalsPerMonth: 0, openAgesMs: Array(repeating: day, count: 9))), 240 + 60, "9 × 30 d / 4.5 d")
        XCTAssertEqual(p.monthlyNeed(.init(arrivalsPerMonth: 0, openAgesMs: Array(repeating: 60 * day, count: 10))), 240 + 30)
    }

    func testTheFitIsTightWhenTheBudgetBindsAndFresherWhenItDoesNot() {
        let p = RevisitPolicy()
        let busy = RevisitPolicy.Volume(arrivalsPerMonth: 1_500, openAgesMs: (0..<400).map { Int64($0) * 6 * hour })
        let tight = p.fitted(to: busy, budget: 3_000)
        XCTAssertEqual(tight.scale, 1)
        XCTAssertEqual(tight.policy, p)

        // A budget the tight policy nearly fills buys nothing: a fit a few percent fresher only
        // makes revisits that the pacing line defers.
        let need = Double(p.monthlyNeed(busy))
        XCTAssertEqual(p.fitted(to: busy, budget: Int(need / 0.965)).scale, 1)
        XCTAssertLessThan(p.fitted(to: busy, budget: Int(need / 0.90)).scale, 1)

        let quiet = RevisitPolicy.Volume(arrivalsPerMonth: 600, openAgesMs: (0..<150).map { Int64($0) * 16 * hour })
        let fit = p.fitted(to: quiet, budget: 4_000)
        XCTAssertLessThan(fit.scale, 0.6)
        XCTAssertGreaterThan(fit.scale, 0.2)
        XCTAssertEqual(fit.need, p.monthlyNeed(quiet), "the need shown is the tight policy's")
        let spend = fit.policy.monthlyNeed(quiet)
        XCTAssertLessThanOrEqual(Double(spend), RevisitPolicy.plannedShare * 4_000)
        XCTAssertGreaterThan(Double(spend), 0.9 * 4_000, "the budget is used, not left idle")

        let rich = p.fitted(to: quiet, budget: 10_000_000)
        XCTAssertEqual(rich.scale, 0.001, accuracy: 1e-9, "never below 1/1000")
    }
}
