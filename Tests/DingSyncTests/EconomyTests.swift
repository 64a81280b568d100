import DingSync
import DingTalkSimulator
import Foundation
import XCTest

/// The monthly budget through the real executable, the simulator and MariaDB: what a run may
/// spend, what it records, and what later runs and `status` see.
class EconomyTests: XCTestCase {
    static let hour: Int64 = 3_600_000
    static let day = 24 * hour

    /// A backfill lists its range and fetches only what is new or not final there; open
    /// instances created outside the range are left to sync.
    func testBackfillSpendsOnlyOnItsRange() throws {
        let instances = JobFixture.generate(count: 200, days: 30, seed: 301)
        let job = try JobFixture(instances: instances)
        XCTAssertEqual(try job.run(["sync"]).code, 0)
        let from = job.nowMs() - 12 * Self.day, to = job.nowMs() - 6 * Self.day
        // New in the range (created there after the sync listed it: DingTalk's late arrivals).
        var g = ReferenceFormGenerator(seed: 302)
        let late = g.make(count: 7, fromMs: from, toMs: to - 1)
        job.simulator.add(late)
        let inRange = job.simulator.instances().filter { $0.createTimeMs >= from && $0.createTimeMs < to }
        let expected = inRange.filter { s in late.contains { $0.id == s.id } || !instances.first { $0.id == s.id }!.isFinal }
        let outside = instances.filter { !$0.isFinal && ($0.createTimeMs < from || $0.createTimeMs >= to) }
        XCTAssertFalse(outside.isEmpty)
        job.simulator.resetCounters()
        let r = try job.run(["backfill", "--from", JobFixture.isoUTC(from), "--to", JobFixture.isoUTC(to)])
        XCTAssertEqual(r.code, 0, r.stderr)
        XCTAssertTrue(r.stderr.contains("\(expected.count) to fetch"), "prints the estimate first: \(r.stderr)")
        XCTAssertEqual(job.simulator.calls(.get), expected.count, "gets: the new and the non-final of the range")
        XCTAssertLessThanOrEqual(job.simulator.calls(.listids), (inRange.count + 19) / 20 + 1)
        for s in outside { XCTAssertEqual(job.simulator.getCalls(for: s.id), 0, "open instance \(s.id) outside the range") }
        try job.assertTableEqualsTruth(nil, expected: job.simulator.instances().filter { s in instances.contains { $0.id == s.id } || late.contains { $0.id == s.id } }, "after the backfill")
    }

    /// A new user's first sync, at the shipped default budget (2,000 a month), writes every
    /// row: a catch-up listing is fetched at once, not after the first-get delay meant for a
    /// job that lists every few hours.
    func testFirstSyncAtTheDefaultBudgetWritesEveryRow() throws {
        let instances = JobFixture.generate(count: 120, days: 20, seed: 307)
        let job = try JobFixture(instances: instances) { c in setting(&c, "dingtalk", "monthly_call_budget", 2_000) }
        let r = try job.run(["sync"])
        XCTAssertEqual(r.code, 0, r.stderr)
        XCTAssertEqual(job.simulator.calls(.get), 120, r.stderr)
        try job.assertTableEqualsTruth(nil, "after the first sync")
    }

    /// `--max-calls` below the estimate: 75 before any instance is fetched; the listed ids are
    /// recorded, so a later sync still fetches them.
    func testBackfillOverItsCapStopsBeforeFetching() throws {
        let instances = JobFixture.generate(count: 60, days: 10, seed: 303)
        let job = try JobFixture(instances: instances)
        let r = try job.run(["backfill", "--from", JobFixture.isoUTC(job.nowMs() - 11 * Self.day), "--to", JobFixture.isoUTC(job.nowMs()),
                             "--max-calls", "10"])
        XCTAssertEqual(r.code, 75, r.stderr)
        XCTAssertTrue(r.stderr.contains("60 to fetch"), r.stderr)
        XCTAssertEqual(r.stderr.components(separatedBy: "dingsync: error:").count - 1, 1, r.stderr)
        XCTAssertEqual(job.simulator.calls(.get), 0)
        let conn = try job.connect()
        XCTAssertEqual(try job.owedIds(conn).count, 60, "the listed ids are owed a get")
        XCTAssertEqual(try job.run(["sync"]).code, 0)
        try job.assertTableEqualsTruth(conn, "after the next sync")
    }

    /// A tight budget: the run spends what the pacing allows and no more, says what it left,
    /// and the ledger, the summary and `status` agree with the simulator's own count.
    func testATightBudgetIsNeverExceededAndTheLedgerAgrees() throws {
        let instances = JobFixture.generate(count: 120, days: 20, seed: 304)
        let job = try JobFixture(instances: instances) { c in setting(&c, "dingtalk", "monthly_call_budget", 40) }
        let summaryFile = job.dir.appendingPathComponent("summary.json")
        let first = try job.run(["sync", "--summary-json", summaryFile.path])
        XCTAssertEqual(first.code, 0, first.stderr)
        let spent = job.simulator.listingCalls + job.simulator.calls(.get)
        XCTAssertLessThanOrEqual(spent, 40)
        XCTAssertGreaterThan(spent, 0)
        let summary = try JSONDecoder().decode(RunSummary.self, from: Data(contentsOf: summaryFile))
        XCTAssertEqual(summary.monthCalls, spent)
        let conn = try job.connect()
        let ledger = try conn.query("SELECT SUM(calls) FROM dingsync_ledger WHERE endpoint <> 'token'").first?.first ?? nil
        XCTAssertEqual(ledger, "\(spent)")
        XCTAssertGreaterThan(summary.listed, 0)
        XCTAssertEqual(try job.owedIds(conn).count + (try job.storedRows(conn).count), summary.listed, "everything listed is written or owed a get")

        // Runs later the same day never go past the budget either.
        for _ in 0..<3 {
            job.advance(6 * Self.hour)
            let r = try job.run(["sync"])
            XCTAssertTrue([0, 75].contains(r.code), r.stderr)
        }
        let month = BeijingMonth(containing: job.nowMs()).description
        let total = try conn.query("SELECT SUM(calls) FROM dingsync_ledger WHERE endpoint <> 'token' AND month = '\(month)'").first?.first ?? nil
        XCTAssertLessThanOrEqual(Int(total ?? "0") ?? 0, 40)

        let status = try job.run(["status"])
        XCTAssertEqual(status.code, 0, status.stderr)
        XCTAssertTrue(status.stdout.contains("calls this month: \(total ?? "?") of 40"), status.stdout)
        let json = try job.run(["status", "--format", "json"])
        XCTAssertEqual(json.code, 0, json.stderr)
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        let economy = try XCTUnwrap(object["economy"] as? [String: Any])
        XCTAssertEqual(economy["budget"] as? Int, 40)
        XCTAssertEqual("\(economy["spent"] ?? "")", total ?? "")
    }

    /// The token is cached (sealed) across runs: three runs, one token request; and when it
    /// expires mid-run under eight workers, exactly one more.
    func testOneTokenAcrossRunsAndOneRefreshForEightWorkers() throws {
        var options = SimulatorOptions()
        options.faults.tokenExpiresAfterCalls = 250
        let job = try JobFixture(instances: JobFixture.generate(count: 100, days: 10, seed: 305), simulatorOptions: options) { c in
            setting(&c, "dingtalk", "concurrency", 8)
        }
        XCTAssertEqual(try job.run(["sync"]).code, 0)
        XCTAssertEqual(try job.run(["sync"]).code, 0)
        XCTAssertEqual(try job.run(["sync"]).code, 0)
        XCTAssertEqual(job.simulator.tokenCalls, 1, "one token for three runs")
        // 200 more instances: the token dies after 250 calls (about 105 were made by the three
        // runs above), mid-run, with 8 workers in flight.
        var g = ReferenceFormGenerator(seed: 306)
        job.simulator.add(g.make(count: 200, fromMs: job.nowMs() - 50 * 60_000, toMs: job.nowMs() - 60_000))
        job.simulator.resetCounters()
        let r = try job.run(["sync"])
        XCTAssertEqual(r.code, 0, r.stderr)
        XCTAssertEqual(job.simulator.tokenCalls, 1, "one refresh however many workers hit the expiry: \(r.stderr)")
        try job.assertTableEqualsTruth(nil, "after the refresh")
    }
}
