import DingSync
import DingSyncMapping
import DingTalkSimulator
import Foundation
import MySQLClient
import XCTest

/// The budget's edges as a new user meets them (issue 20, points 1–6): a month already spent,
/// `check` and `status` over budget, a `--max-calls` cap the listing eats, dry runs' real
/// calls, and a failed run's month figure.
final class BudgetEdgeTests: XCTestCase {
    static let day: Int64 = 86_400_000

    /// A job on the 10th of next month, 12:00 Beijing (simulated): days can pass in the same month.
    func job(count: Int = 20, days: Int = 8, budget: Int, seed: UInt64 = 2001) throws -> JobFixture {
        let dayTen = BeijingMonth(containing: wallClockMs()).endMs + 9 * Self.day + Self.day / 2
        let instances = JobFixture.generate(count: count, days: days, seed: seed, nowMs: dayTen)
        let job = try JobFixture(instances: instances) { c in setting(&c, "dingtalk", "monthly_call_budget", budget) }
        job.advance(dayTen - job.nowMs())
        return job
    }

    /// Makes the ledger say `total` metered calls were spent this month (all of them gets).
    func spend(_ job: JobFixture, total: Int) throws {
        let conn = try job.connect()
        let month = BeijingMonth(containing: job.nowMs()).description
        try conn.execute("UPDATE dingsync_ledger SET calls = CASE endpoint WHEN 'get' THEN \(total) WHEN 'token' THEN calls ELSE 0 END WHERE month = '\(month)'")
    }

    /// The 1st of next month, the day the budget resets (the job's zone is Asia/Shanghai).
    func resetText(_ job: JobFixture) -> String {
        LocalDateTime(epochMs: BeijingMonth(containing: job.nowMs()).endMs, timeZone: BeijingMonth.zone).dateText
    }

    // MARK: 1. a spent budget

    func testSpentBudgetSaysSoAndExits75WhenAListingIsDue() throws {
        let job = try job(budget: 250)
        XCTAssertEqual(try job.run(["sync"]).code, 0)
        try spend(job, total: 277)
        job.simulator.resetCounters()

        // Nothing due yet: 0 is fine, but the run says the budget is spent, and the warning has the real share.
        let idle = try job.run(["sync"])
        XCTAssertEqual(idle.code, 0, idle.stderr)
        XCTAssertTrue(idle.stderr.contains("budget spent"), idle.stderr)
        let warning = try XCTUnwrap(idle.stderrLines.first { $0.contains("has spent 277 of its 250 calls") }, idle.stderr)
        XCTAssertTrue(warning.contains("110 %"), warning)
        XCTAssertFalse(warning.contains("80 %"), warning)

        // Two days later a listing is due and nothing can pay for it: 75, one line saying what, why, when.
        job.advance(3 * Self.day)
        let due = try job.run(["sync"])
        XCTAssertEqual(due.code, 75, due.stderr)
        XCTAssertEqual(job.simulator.approvalCalls, 0, "no metered call over budget")
        let last = try XCTUnwrap(due.stderrLines.last)
        XCTAssertTrue(last.hasPrefix("dingsync: error:"), last)
        XCTAssertTrue(last.contains("listing"), last)
        XCTAssertTrue(last.contains("277 of its 250"), last)
        XCTAssertTrue(last.contains("resets at \(resetText(job))"), last)
    }

    // MARK: 2. check over budget

    func testCheckOverBudgetMakesNoMeteredCallAndFailsTheBudget() throws {
        let job = try job(budget: 250)
        XCTAssertEqual(try job.run(["sync"]).code, 0)
        try spend(job, total: 277)
        job.simulator.resetCounters()
        let check = try job.run(["check"])
        XCTAssertEqual(check.code, 75, check.stdout + check.stderr)
        XCTAssertEqual(job.simulator.approvalCalls, 0, "no metered call: \(check.stdout)")
        let lines = Dictionary(OperatorCommandTests.checkLines(check.stdout), uniquingKeysWith: { a, _ in a })
        XCTAssertTrue(lines[OperatorCommandTests.listing]?.hasPrefix("skipped") ?? false, check.stdout)
        let budget = try XCTUnwrap(lines["budget"], check.stdout)
        XCTAssertTrue(budget.hasPrefix("FAIL"), budget)
        XCTAssertTrue(budget.contains("277 of 250"), budget)
        XCTAssertTrue(budget.contains("skipped"), "says what it skipped: \(budget)")
    }

    // MARK: 3. status projection above the budget

    func testStatusSaysAProjectionAboveTheBudgetIsDemand() throws {
        let job = try job(budget: 250)
        XCTAssertEqual(try job.run(["sync"]).code, 0)
        // 200 spent by the 10th: this month's pace runs to about 620, over the 250.
        try spend(job, total: 200)
        let status = try job.run(["status"])
        XCTAssertEqual(status.code, 0, status.stderr)
        let line = try XCTUnwrap(status.stdout.split(separator: "\n").first { $0.hasPrefix("projected") }.map(String.init), status.stdout)
        XCTAssertTrue(line.contains("projected demand"), line)
        XCTAssertTrue(line.contains("pacing holds spend to 250"), line)
    }

    // MARK: 4. backfill --max-calls eaten by the listing

    func testMaxCallsTheListingUsesUpIsSaidWithTheCapThatWouldFetch() throws {
        let job = try job(count: 300, days: 30, budget: 2_000, seed: 2004)
        let from = job.nowMs() - 31 * Self.day, to = job.nowMs()
        let r = try job.run(["backfill", "--from", JobFixture.isoUTC(from), "--to", JobFixture.isoUTC(to), "--max-calls", "10"])
        XCTAssertEqual(r.code, 75, r.stderr)
        XCTAssertEqual(job.simulator.approvalCalls, 10, r.stderr)
        let last = try XCTUnwrap(r.stderrLines.last)
        XCTAssertTrue(last.hasPrefix("dingsync: error:"), last)
        XCTAssertFalse(last.contains("only 0 remain this month"), last)
        XCTAssertTrue(last.contains("listing used the whole cap"), last)
        XCTAssertTrue(last.contains("1990 remain this month"), last)
        XCTAssertNotNil(last.range(of: #"a cap of (at least )?\d+ would"#, options: .regularExpression), last)
        // The estimate line came before any get, and says the listing was cut.
        let estimate = try XCTUnwrap(r.stderrLines.first { $0.contains("to fetch: about") }, r.stderr)
        XCTAssertTrue(estimate.contains("listing stopped at --max-calls 10"), estimate)
        XCTAssertEqual(job.simulator.calls(.get), 0)
    }

    // MARK: 5. dry runs print their unrecorded calls the same way twice

    func testDryRunEstimateAndSummaryAgreeOnTheMonthsSpend() throws {
        let job = try job(count: 40, days: 8, budget: 2_000, seed: 2005)
        XCTAssertEqual(try job.run(["sync"]).code, 0)
        let conn = try job.connect()
        let month = BeijingMonth(containing: job.nowMs()).description
        let before = try conn.query("SELECT SUM(calls) FROM dingsync_ledger WHERE endpoint <> 'token' AND month = '\(month)'").first?.first ?? nil
        let from = job.nowMs() - 9 * Self.day, to = job.nowMs()
        job.simulator.resetCounters()
        let r = try job.run(["backfill", "--from", JobFixture.isoUTC(from), "--to", JobFixture.isoUTC(to), "--refetch", "--dry-run", "--format", "jsonl"])
        XCTAssertEqual(r.code, 0, r.stderr)
        let estimate = try XCTUnwrap(r.stderrLines.first { $0.contains("to fetch: about") }, r.stderr)
        let summary = try XCTUnwrap(r.stderrLines.first { $0.hasPrefix("dry-run backfill") }, r.stderr)
        func after(_ s: String, _ pattern: String) -> Int? {
            s.range(of: pattern, options: .regularExpression).flatMap { Int(s[$0].filter(\.isNumber)) }
        }
        let projected = try XCTUnwrap(after(estimate, #"after it \d+"#), estimate)
        let month2 = try XCTUnwrap(after(summary, #"month \d+"#), summary)
        XCTAssertEqual(projected, month2, "\(estimate)\n\(summary)")
        XCTAssertTrue(estimate.contains("not recorded"), estimate)
        XCTAssertTrue(summary.contains("not recorded"), summary)
        let after = try conn.query("SELECT SUM(calls) FROM dingsync_ledger WHERE endpoint <> 'token' AND month = '\(month)'").first?.first ?? nil
        XCTAssertEqual(before, after, "a dry run writes nothing (cli.md)")
        XCTAssertEqual(month2, Int(before ?? "0")! + job.simulator.approvalCalls, "\(summary)")
    }

    // MARK: 6. a failed run's month figure

    func testFailedRunShowsTheMonthsRealSpend() throws {
        let job = try job(budget: 2_000)
        XCTAssertEqual(try job.run(["sync"]).code, 0)
        try spend(job, total: 290)
        try XCTUnwrap(job.database).admin.execute("ALTER TABLE master_wan_recharge DROP COLUMN biz_action")
        let r = try job.run(["sync"])
        XCTAssertEqual(r.code, 78, r.stderr)
        XCTAssertFalse(r.stderr.contains("month 0 of 2000"), r.stderr)
        XCTAssertTrue(r.stderr.contains("month 290 of 2000 calls"), r.stderr)
    }
}
