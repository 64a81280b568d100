@testable import DingSync
import XCTest

/// Spend follows the calendar, not the cron cadence: the planner and the budget driven through
/// simulated days (`CronSimulation`: an in-memory DingTalk, the injected clock). A few days and
/// a few hundred instances guard the properties here; the whole month is `dingbench cadence`
/// in `make bench-economy`, where its figures are printed.
final class CadenceTests: XCTestCase {
    typealias Sim = CronSimulation
    static let start = CallBudgetTests.decemberStart           // 2026-12-01 00:00 Beijing

    /// What the pacing line lets a job spend by `ms` into the month.
    func pacingLine(budget: Int, at ms: Int64) -> Int {
        CallBudget(monthly: budget, spent: 0, nowMs: Self.start + ms).paced
    }

    func testCronEveryMinuteAndEveryHourSpendTheSameDays() {
        let days: Int64 = 4
        let end = Self.start + days * Sim.day
        // History beyond what the budget pays in these days, and 50 new a day: the budget binds.
        let world = Sim.World(start: Self.start - 6 * Sim.day, days: 10, perDay: 50, seed: 7)
        let budget = 4_000
        let everyMinute = Sim.spend(cadence: Sim.minute, budget: budget, start: Self.start, end: end, world: world)
        let everyHour = Sim.spend(cadence: Sim.hour, budget: budget, start: Self.start, end: end, world: world)
        let a = everyMinute["2026-12", default: 0], b = everyHour["2026-12", default: 0]
        let line = pacingLine(budget: budget, at: days * Sim.day)
        print("CadenceTests: \(days) days, \(world.instances.count) instances: every minute \(a), every hour \(b), pacing line \(line)")
        XCTAssertLessThanOrEqual(a, budget)
        XCTAssertLessThanOrEqual(b, budget)
        XCTAssertGreaterThan(b, line / 2, "the budget is used, not hoarded")
        XCTAssertLessThanOrEqual(abs(a - b), max(a, b) / 20, "every minute: \(a), every hour: \(b)")
    }

    func testNoRunOrderSpendsPastTheBudget() {
        // Needs several times the budget; the days straddle a month end, so both months' ledgers
        // are held to it.
        let from = Self.start - 2 * Sim.day
        let world = Sim.World(start: from - 5 * Sim.day, days: 9, perDay: 80, seed: 11)
        for cadence in [5 * Sim.minute, 37 * Sim.minute, 6 * Sim.hour] {
            let spent = Sim.spend(cadence: cadence, budget: 300, start: from, end: from + 4 * Sim.day, world: world)
            XCTAssertEqual(Set(spent.keys), ["2026-11", "2026-12"])
            for (month, calls) in spent {
                XCTAssertLessThanOrEqual(calls, 300, "cadence \(cadence / Sim.minute) min, \(month)")
                XCTAssertGreaterThan(calls, 0, "cadence \(cadence / Sim.minute) min, \(month)")
            }
        }
    }
}
