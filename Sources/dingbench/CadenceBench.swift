import DingSync
import Foundation

/// A Beijing month of cron against the planner and the budget (`CronSimulation`: no DingTalk,
/// no database), at several cadences. The month-long form of the test suite's CadenceTests:
/// every minute and every hour spend the same month (within 5 %), and no cadence spends past
/// the budget, even with a backlog several times the budget. Exits 1 if either fails.
enum CadenceBench {
    typealias Sim = CronSimulation
    static let decemberStart: Int64 = 1_796_054_400_000     // 2026-12-01 00:00 Beijing

    static func run() throws {
        let start = decemberStart, end = start + 31 * Sim.day
        var failed: [String] = []

        // 50 a day with 60 days of history; budget 4,000.
        let world = Sim.World(start: start - 60 * Sim.day, days: 91, perDay: 50, seed: 7)
        var spent: [Int64: Int] = [:]
        for cadence in [Sim.minute, Sim.hour] {
            spent[cadence] = Sim.spend(cadence: cadence, budget: 4_000, start: start, end: end, world: world)["2026-12", default: 0]
            print("FIGURE\tcadence month, 50/day, budget 4000\tcron every \(cadence / Sim.minute) min\t\(spent[cadence]!) calls")
        }
        let (a, b) = (spent[Sim.minute]!, spent[Sim.hour]!)
        if a > 4_000 || b > 4_000 { failed.append("over the budget: every minute \(a), every hour \(b)") }
        if b <= 2_000 { failed.append("the budget is hoarded: every hour \(b)") }
        if abs(a - b) > max(a, b) / 20 { failed.append("every minute \(a) and every hour \(b) differ by more than 5 %") }

        // 80 a day with 30 days of history: several times a budget of 1,000.
        let heavy = Sim.World(start: start - 30 * Sim.day, days: 61, perDay: 80, seed: 11)
        for cadence in [5 * Sim.minute, 37 * Sim.minute, 6 * Sim.hour] {
            let calls = Sim.spend(cadence: cadence, budget: 1_000, start: start, end: end, world: heavy)["2026-12", default: 0]
            print("FIGURE\tcadence month, 80/day, budget 1000\tcron every \(cadence / Sim.minute) min\t\(calls) calls")
            if calls > 1_000 { failed.append("cron every \(cadence / Sim.minute) min spent \(calls) of 1,000") }
        }
        for f in failed { print("DETAIL\tFAILED\t\(f)") }
        if !failed.isEmpty { throw BenchError(failed.joined(separator: "; ")) }
    }
}
