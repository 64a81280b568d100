@testable import DingSync
import XCTest

final class RevisitPolicyTests: XCTestCase {
    let hour = RevisitPolicy.hour
    let day = RevisitPolicy.day

    func testTheIntervalGrowsWithAgeUpToItsCaps() {
        let p = RevisitPolicy()
        XCTAssertEqual(p.revisitInterval(ageAtCheckMs: 10 * 60_000, ageMs: hour), p.minIntervalMs)
        XCTAssertEqual(p.revisitInterval(ageAtCheckMs: 5 * hour, ageMs: 7 * hour), 5 * hour, "doubling: checked at 5 h, due at 10 h")
        XCTAssertEqual(p.revisitInterval(ageAtCheckMs: 8 * day, ageMs: 10 * day), p.youngCapMs)
        XCTAssertEqual(p.revisitInterval(ageAtCheckMs: 35 * day, ageMs: 40 * day), p.tailCapMs)
        XCTAssertEqual(p.revisitInterval(ageAtCheckMs: 20 * day, ageMs: 40 * day), p.tailCapMs, "the cap is today's age's")
    }

    func testScalingShortensFreshnessButNotTheGiveUpRule() {
        let p = RevisitPolicy().scaled(by: 0.5)
        XCTAssertEqual(p.youngCapMs, RevisitPolicy().youngCapMs / 2)
        XCTAssertEqual(p.listIntervalMs, RevisitPolicy().listIntervalMs / 4, "arrivals are bought first")
        XCTAssertEqual(p.goneSpanMs, RevisitPolicy().goneSpanMs)
        XCTAssertEqual(RevisitPolicy().scaled(by: 0.01).firstGetDelayMs, 0, "under a minute is every run")
    }

    func testScaleFollowsNeedOverBudget() {
        XCTAssertEqual(RevisitPolicy.scale(need: 5_000, budget: 4_000), 1)
        XCTAssertEqual(RevisitPolicy.scale(need: 1_600, budget: 4_000), 0.5, accuracy: 1e-9)
        XCTAssertEqual(RevisitPolicy.scale(need: 10, budget: 1_000_000), 0.01)
    }
}
