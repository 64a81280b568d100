import DingTalkSimulator
import Foundation
import XCTest

/// The built executable against the loopback simulator (through libcurl) and a real MariaDB.
class EndToEndTests: XCTestCase {
    func testSyncWritesEveryColumnOfEveryRow() throws {
        let instances = JobFixture.generate(count: 300, days: 40)
        let job = try JobFixture(instances: instances)
        let db = try XCTUnwrap(job.database)

        let result = try job.run(["sync"])
        XCTAssertEqual(result.code, 0, result.stderr)
        XCTAssertEqual(result.stdout, "", "sync prints no data to stdout")

        let rows = try db.rows("SELECT \(ReferenceTruth.columns.map { "`\($0)`" }.joined(separator: ",")) FROM master_wan_recharge ORDER BY bfn_id")
        let expected = instances.sorted { $0.id < $1.id }.map { ReferenceTruth.row($0, .mysql) }
        XCTAssertEqual(rows.count, expected.count)
        for (got, want) in zip(rows, expected) {
            for (i, column) in ReferenceTruth.columns.enumerated() where got[i] != want[i] {
                XCTFail("instance \(want[0]!), column \(column): got \(got[i] ?? "NULL"), want \(want[i] ?? "NULL")")
            }
        }
        XCTAssertTrue(result.stderr.contains("written 300"), result.stderr)

        // The run log: counts, calls by API (as the simulator counted them) and the per-window reconciliation.
        let log = try XCTUnwrap(try db.rows("SELECT status, listed, written, calls_token, calls_listids, calls_get, windows FROM dingsync_runs").first)
        XCTAssertEqual(Array(log.prefix(6)), ["ok", "300", "300", "\(job.simulator.tokenCalls)",
                                              "\(job.simulator.listingCalls)", "\(job.simulator.calls(.get))"])
        let windows = try XCTUnwrap(JSONSerialization.jsonObject(with: Data((log[6] ?? "").utf8)) as? [[String: Any]])
        XCTAssertEqual(windows.count, 2, "40 days in 30-day windows")
        XCTAssertEqual(windows.map { $0["listed"] as? Int ?? -1 }.reduce(0, +), 300)
        XCTAssertEqual(windows.map { $0["fetched"] as? Int ?? -1 }.reduce(0, +), 300)
    }

    func testAwkwardStringsArriveByteForByte() throws {
        let instances = JobFixture.generate(count: 200, days: 10, seed: 11)
        let job = try JobFixture(instances: instances)
        let db = try XCTUnwrap(job.database)
        XCTAssertEqual(try job.run(["sync"]).code, 0)

        // HEX() compares bytes, not collation-equal strings; every text column of the form.
        let textColumns = ReferenceTruth.labels.keys.filter { !ReferenceTruth.decimals.contains($0) }.sorted()
        let stored = Dictionary(uniqueKeysWithValues: try db.rows("SELECT bfn_id, \(textColumns.map { "HEX(`\($0)`)" }.joined(separator: ",")) FROM master_wan_recharge")
            .map { ($0[0]!, Array($0.dropFirst())) })
        var seen: Set<String> = []
        for s in instances {
            for (i, column) in textColumns.enumerated() {
                let label = ReferenceTruth.labels[column]!
                guard let v = s.components.first(where: { $0.name == label })?.value, v != "", v != "null" else { continue }
                XCTAssertEqual(stored[s.id]?[i], v.utf8.map { String(format: "%02X", $0) }.joined(), "\(s.id) \(label)")
                if v.unicodeScalars.contains(where: { $0.value > 0xFFFF }) { seen.insert("4-byte emoji") }
                if v.contains("'") || v.contains("\"") { seen.insert("quotes") }
                if v.contains("\\") { seen.insert("backslash") }
                if v.uppercased().contains("DROP TABLE") { seen.insert("SQL fragment") }
            }
        }
        XCTAssertEqual(seen, ["4-byte emoji", "quotes", "backslash", "SQL fragment"], "the generator must exercise every awkward case")
    }

    func testBackfillDryRunPrintsOneJSONObjectPerInstanceAndTouchesNoDatabase() throws {
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        let instances = JobFixture.generate(count: 120, days: 20, seed: 3, nowMs: now)
        // No database at all: the config's socket points nowhere.
        let job = try JobFixture(instances: instances, withDatabase: false)
        let from = JobFixture.isoUTC(now - 15 * 86_400_000), to = JobFixture.isoUTC(now - 5 * 86_400_000)
        let result = try job.run(["backfill", "--from", from, "--to", to, "--dry-run", "--format", "jsonl"])
        XCTAssertEqual(result.code, 0, result.stderr)

        let fromMs = now / 1000 * 1000 - 15 * 86_400_000, toMs = now / 1000 * 1000 - 5 * 86_400_000
        let inRange = instances.filter { $0.createTimeMs >= fromMs && $0.createTimeMs < toMs }
        let lines = result.stdout.split(separator: "\n")
        XCTAssertEqual(lines.count, inRange.count)
        XCTAssertGreaterThan(inRange.count, 20)
        let want = Dictionary(uniqueKeysWithValues: inRange.map { ($0.id, ReferenceTruth.row($0, .jsonl)) })
        for line in lines {
            // Keys in mapping order.
            let keys = ReferenceTruth.columns.compactMap { c in line.range(of: "\"\(c)\":").map { (c, $0.lowerBound) } }
            XCTAssertEqual(keys.map(\.0), ReferenceTruth.columns)
            XCTAssertEqual(keys.map(\.1), keys.map(\.1).sorted(), "keys must follow the mapping order")
            let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            let id = try XCTUnwrap(object["bfn_id"] as? String)
            let expected = try XCTUnwrap(want[id])
            for (i, c) in ReferenceTruth.columns.enumerated() {
                let got = object[c] is NSNull ? nil : object[c] as? String
                XCTAssertEqual(got, expected[i], "\(id) \(c)")
            }
        }
    }

    func testDryRunTablePrintsAlignedBlocksAndACount() throws {
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        let instances = JobFixture.generate(count: 250, days: 5, seed: 31, nowMs: now)
        let job = try JobFixture(instances: instances, withDatabase: false)
        let r = try job.run(["backfill", "--from", JobFixture.isoUTC(now - 6 * 86_400_000), "--to", JobFixture.isoUTC(now),
                             "--dry-run", "--format", "table"])
        XCTAssertEqual(r.code, 0, r.stderr)
        let lines = r.stdout.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let headers = lines.filter { $0.hasPrefix("bfn_id ") }
        XCTAssertEqual(headers.count, 2, "250 rows print as blocks of at most 200")
        XCTAssertTrue(headers[0].contains("| recharge_amount"))
        XCTAssertEqual(lines.filter { $0.count > 36 && instances.map(\.id).contains(String($0.prefix(36))) }.count, 250)
        XCTAssertTrue(lines.contains("(250 rows)"), r.stdout.suffix(200).description)
        // Aligned: every row of the first block has its column separators where the header has them.
        let bars = { (l: String) in l.enumerated().filter { $0.element == "|" }.count }
        XCTAssertEqual(bars(lines[2]), bars(headers[0]))
    }

    func testMixedBoundaryFormsAreOrderedInTheJobsZone() throws {
        let job = try JobFixture(instances: JobFixture.generate(count: 5, days: 2, seed: 41), withDatabase: false)
        let f = DateFormatter()
        f.timeZone = TimeZone(identifier: "Asia/Shanghai")
        f.dateFormat = "yyyy-MM-dd"
        let day = f.string(from: Date())
        // Midnight in Shanghai comes before 07:00+08:00 that day, although in UTC it does not.
        let ok = try job.run(["backfill", "--from", day, "--to", "\(day)T07:00:00+08:00", "--dry-run", "--format", "jsonl"])
        XCTAssertEqual(ok.code, 0, ok.stderr)
        let reversed = try job.run(["backfill", "--from", "\(day)T07:00:00+08:00", "--to", day, "--dry-run"])
        XCTAssertEqual(reversed.code, 64, reversed.stderr)
        XCTAssertTrue(reversed.stderr.contains("--to must be after --from"), reversed.stderr)
    }

    func testSecondRunSpendsNoGetOnFinalInstances() throws {
        let instances = JobFixture.generate(count: 150, days: 30, seed: 5)
        let job = try JobFixture(instances: instances)
        XCTAssertEqual(try job.run(["sync"]).code, 0)
        job.simulator.resetCounters()
        let second = try job.run(["sync"])
        XCTAssertEqual(second.code, 0, second.stderr)
        XCTAssertEqual(job.simulator.calls(.get), 0, "right after a sync nothing is due: no get at all")
        // A day later every open instance is due (even a rich budget waits that long for the
        // oldest), and still no final one is fetched.
        job.advance(86_400_000)
        let third = try job.run(["sync"])
        XCTAssertEqual(third.code, 0, third.stderr)
        for s in instances where s.isFinal {
            XCTAssertEqual(job.simulator.getCalls(for: s.id), 0, "final instance \(s.id) fetched again")
        }
        let open = instances.filter { !$0.isFinal }
        XCTAssertFalse(open.isEmpty)
        if TestAPI.isV1 {
            // v1 learns from a RUNNING listing that they are still open: no get at all.
            XCTAssertEqual(job.simulator.calls(.get), 0, "v1: open instances confirmed by listing, not re-fetched")
            XCTAssertGreaterThan(job.simulator.calls(.v1Query), 0)
        } else {
            XCTAssertEqual(job.simulator.calls(.get), open.count, "open instances are re-fetched, once each")
        }
    }

    func testSecretsNeverReachOutput() throws {
        let instances = JobFixture.generate(count: 30, days: 5, seed: 9)
        let job = try JobFixture(instances: instances)
        let results = [try job.run(["sync", "--log-level", "trace"]),
                       try job.run(["sync", "--log-format", "json", "--log-level", "trace"]),
                       try job.run(["sync"], extraEnv: ["MYSQL_PASSWORD": "wrong-\(job.env["MYSQL_PASSWORD"]!)"])]
        XCTAssertEqual(results[2].code, 77, results[2].stderr)
        for r in results {
            for secret in [job.env["DINGTALK_APP_SECRET"]!, job.env["MYSQL_PASSWORD"]!] {
                XCTAssertFalse(r.stdout.contains(secret) || r.stderr.contains(secret), "secret leaked: \(r.stderr)")
            }
            XCTAssertFalse(r.stderr.contains("access_token="), r.stderr)
        }
    }
}

/// Reconciliation of a window: a listed id whose `get` fails is fetched once more in the same
/// run; only a second failure makes it a recorded reject, retried by the next run.
class ReconciliationTests: XCTestCase {
    func testAGetThatFailsOnceIsFetchedAgainBeforeTheWindowCounts() throws {
        let instances = JobFixture.generate(count: 60, days: 10, seed: 21)
        let job = try JobFixture(instances: instances)
        let victim = instances[17].id
        job.simulator.failGets(of: victim, times: 1)
        let r = try job.run(["sync"])
        XCTAssertEqual(r.code, 0, r.stderr)
        XCTAssertEqual(job.simulator.getCalls(for: victim), 2)
        try job.assertTableEqualsTruth(nil, "after one failed get")
        let conn = try job.connect()
        XCTAssertTrue(try job.rejects(conn).isEmpty)
    }

    func testAGetThatKeepsFailingIsRecordedThenWrittenByTheNextRun() throws {
        let instances = JobFixture.generate(count: 60, days: 10, seed: 22)
        let job = try JobFixture(instances: instances)
        let victim = instances[5].id
        job.simulator.failGets(of: victim, times: 2)
        let first = try job.run(["sync"])
        XCTAssertEqual(first.code, 65, first.stderr)
        let conn = try job.connect()
        let rejects = try job.rejects(conn)
        XCTAssertEqual(rejects.map { $0[1] }, [victim])
        XCTAssertEqual(rejects.first?[2], "(get)")
        XCTAssertEqual(try conn.query("SELECT COUNT(*) FROM master_wan_recharge WHERE bfn_id = '\(victim)'").first?.first, "0")

        // A "gone" answer is asked again after hours, not on every run.
        job.simulator.resetCounters()
        XCTAssertEqual(try job.run(["sync"]).code, 65)
        XCTAssertEqual(job.simulator.getCalls(for: victim), 0)
        job.advance(13 * 3_600_000)  // past the 12 h gone retry
        let second = try job.run(["sync"])
        XCTAssertEqual(second.code, 0, second.stderr)
        XCTAssertTrue(try job.rejects(conn).isEmpty)
        try job.assertTableEqualsTruth(nil, "after the reject went through")
    }

    /// DingTalk may list a modification before its original. The original is then fetched as a
    /// follow-up the window waits for: it is written or recorded before the watermark passes it.
    func testAnOriginalListedAfterItsModificationIsNeverLost() throws {
        let instances = JobFixture.generate(count: 40, days: 10, seed: 23)
        let job = try JobFixture(instances: instances)
        let original = try XCTUnwrap(instances.filter(\.isFinal).dropFirst(3).first)
        // Created (and so listed) before the original, although it modifies it.
        let modification = job.simulator.modify(originalId: original.id, at: original.createTimeMs - 60_000, biz: "MODIFY")
        job.simulator.failGets(of: original.id, times: 2)

        let first = try job.run(["sync"])
        XCTAssertEqual(first.code, 65, first.stderr)
        let conn = try job.connect()
        XCTAssertEqual(try job.rejects(conn).map { $0[1] }, [original.id], "recorded, not lost")
        XCTAssertNotNil(try job.watermark(conn))
        XCTAssertEqual(try conn.query("SELECT COUNT(*) FROM master_wan_recharge WHERE bfn_id = '\(modification.id)'").first?.first, "1")

        job.advance(13 * 3_600_000)  // past the 12 h gone retry
        let second = try job.run(["sync"])
        XCTAssertEqual(second.code, 0, second.stderr)
        try job.assertTableEqualsTruth(conn, "after the original went through")
    }

    /// The same, when fetching the original ends the run (monthly quota): the original is owed
    /// a get in the state tables (recorded with its modification's row), so however far the
    /// watermark moves, the next run after the quota resets writes it.
    func testAWindowWaitsForTheOriginalItTriggeredBeforeTheWatermarkMoves() throws {
        let instances = JobFixture.generate(count: 200, days: 10, seed: 24)
        let job = try JobFixture(instances: instances)
        // The original is listed last (10 pages in); its modification first, so the follow-up
        // fetch of the original starts long before the listing reaches it.
        let original = try XCTUnwrap(instances.filter(\.isFinal).max { $0.createTimeMs < $1.createTimeMs })
        let earliest = instances.map(\.createTimeMs).min()!
        _ = job.simulator.modify(originalId: original.id, at: earliest - 60_000, biz: "REVOKE")
        // The fatal answer comes last, after every listed instance of the window is written.
        job.simulator.failGets(of: original.id, times: 1, errcode: 90020, delayMs: 1_500)

        let first = try job.run(["sync"])
        XCTAssertEqual(first.code, 75, first.stderr)
        let conn = try job.connect()
        let mark = try job.watermark(conn) ?? Int64.min
        let written = try conn.query("SELECT COUNT(*) FROM master_wan_recharge WHERE bfn_id = '\(original.id)'").first?.first
        if mark > original.createTimeMs, written != "1" {
            XCTAssertTrue(try job.owedIds(conn).contains(original.id), "the watermark passed an original that is neither written nor owed a get")
        }

        job.advance(job.nextBeijingMonthMs() - job.nowMs() + 60_000)
        let second = try job.run(["sync"])
        XCTAssertEqual(second.code, 0, second.stderr)
        try job.assertTableEqualsTruth(conn, "after the quota came back")
    }
}
