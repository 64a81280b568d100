@testable import DingSync
import XCTest

/// Spend follows the calendar, not the cron cadence (economy.md: every minute against every
/// hour changes the monthly spend by at most a few percent). A job in its steady state — 150
/// days of history, a few hundred open approvals, the month's ledger on its pacing line — runs
/// the same days under cron every 1, 10 and 60 minutes, at both APIs, on a budget that binds.
/// Until a listing was scheduled from when it fell due, v1's 100-minute listing ran every 120
/// minutes under the hourly cron: a sixth fewer listings, 2-6 % less spend over these days.
final class CadenceSpendTests: XCTestCase {
    static let day = SpendModel.day
    static let minute = SpendModel.minute

    /// Calls per 30 days at each cadence over `days`, after a day that lets the cadence settle in.
    func spend(api: DingTalkAPI, budget: Int, days: Int = 3) -> [(cadence: Int64, calls: Int, kinds: [String: Int])] {
        let primed = CallBudgetTests.decemberStart + 9 * Self.day        // 2026-12-10 00:00 Beijing
        let world = SpendModel.World(fromMs: primed - 150 * Self.day, toMs: primed + Int64(days + 1) * Self.day, perDay: 50, seed: 21)
        return [Self.minute, 10 * Self.minute, 60 * Self.minute].map { cadence in
            var model = SpendModel(world: world, api: api, budget: budget, primedAtMs: primed)
            _ = model.cron(every: cadence, from: primed, to: primed + Self.day)
            model.breakdown = [:]
            let calls = model.cron(every: cadence, from: primed + Self.day, to: primed + Int64(days + 1) * Self.day)
            return (cadence, calls * 30 / days, model.breakdown)
        }
    }

    func check(_ api: DingTalkAPI, budget: Int = 4_000) {
        let s = spend(api: api, budget: budget)
        let figures = s.map { "cron every \($0.cadence / Self.minute) min: \($0.calls) calls per 30 days \($0.kinds.sorted { $0.key < $1.key })" }
            .joined(separator: "; ")
        let (lo, hi) = (s.map(\.calls).min()!, s.map(\.calls).max()!)
        XCTAssertLessThanOrEqual(hi, budget, "\(api): \(figures)")
        XCTAssertGreaterThan(lo, budget / 2, "\(api): the budget is used, not hoarded: \(figures)")
        XCTAssertLessThanOrEqual(hi - lo, hi / 20, "\(api): \(figures)")
        // The listing is the one schedule shorter than a few cron steps: how often it runs must
        // not depend on them either (v1's went from every 100 to every 120 minutes, 2 % of the
        // spend: less than the days' noise in the total).
        let listings = s.map { $0.kinds["listings", default: 0] }
        XCTAssertLessThanOrEqual(listings.max()! - listings.min()!, max(1, listings.max()! / 20), "\(api): listings \(listings): \(figures)")
    }

    func testTopapiSpendsTheSameAtEveryCadence() { check(.topapi) }

    func testV1SpendsTheSameAtEveryCadence() { check(.v1) }
}
