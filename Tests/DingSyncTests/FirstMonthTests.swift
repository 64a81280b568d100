import DingSync
import DingTalkSimulator
import Foundation
import XCTest

/// A new user's first sync on the 4th of the month, with more history than the budget: it
/// keeps the steady state's need for the rest of the month, and says what is still owed, by
/// when, and how to go faster.
final class FirstMonthTests: XCTestCase {
    static let day: Int64 = 86_400_000

    func testFirstSyncOnDayFourKeepsTheRestOfTheMonthsSteadyNeed() throws {
        let perDay = 10, budget = 600
        // The 4th, 12:00 Beijing time, of next month (simulated).
        let month = BeijingMonth(containing: wallClockMs())
        let dayFour = month.endMs + 3 * Self.day + Self.day / 2
        let instances = JobFixture.generate(count: 60 * perDay, days: 60, seed: 195, nowMs: dayFour)
        let job = try JobFixture(instances: instances) { c in
            setting(&c, "dingtalk", "monthly_call_budget", budget)
        }
        job.advance(dayFour - job.nowMs())

        // check says it before the first sync: the instances counted with a few listing calls.
        let check = try job.run(["check"])
        XCTAssertEqual(check.code, 0, check.stdout + check.stderr)
        let line = try XCTUnwrap(check.stdout.split(separator: "\n").first { $0.contains("first sync") }, check.stdout)
        XCTAssertTrue(line.contains("list page(s) and \(60 * perDay) get(s) for the instances since sync.start"), String(line))
        XCTAssertTrue(line.contains("more than this month's budget leaves"), String(line))
        XCTAssertTrue(line.contains("raise dingtalk.monthly_call_budget"), String(line))
        XCTAssertLessThan(job.simulator.listingCalls, 60 * perDay / 20 / 2, "a count, not a listing")
        job.simulator.resetCounters()

        let first = try job.run(["sync"])
        XCTAssertEqual(first.code, 0, first.stderr)

        // What the arrivals alone will need for the rest of the month stays unspent.
        let rest = BeijingMonth(containing: dayFour).endMs - job.nowMs()
        let arrivalsLeft = Int(Double(perDay) * Double(rest) / Double(Self.day))
        let spent = job.simulator.approvalCalls
        XCTAssertLessThanOrEqual(spent, budget - arrivalsLeft, "spent \(spent) of \(budget) on the 4th: \(first.stderr)")
        XCTAssertGreaterThan(spent, 0)

        let said = try XCTUnwrap(first.stderrLines.first { $0.contains("still owed a first get") }, first.stderr)
        let owed = 60 * perDay - job.simulator.calls(.get) - job.simulator.calls(.v1Get)
        XCTAssertTrue(said.hasPrefix("dingsync: \(owed) listed instance(s) are still owed a first get"), said)
        XCTAssertNotNil(said.range(of: #"they are in by about \d{4}-\d\d-\d\d"#, options: .regularExpression), said)
        XCTAssertTrue(said.contains("raise dingtalk.monthly_call_budget"), said)
        XCTAssertTrue(said.contains("`dingsync backfill --from DATE --to DATE --max-calls N`"), said)
        let status = try job.run(["status"])
        XCTAssertTrue(status.stdout.contains("history owed:     \(owed) listed instance(s) are still owed a first get"), status.stdout)
    }
}
