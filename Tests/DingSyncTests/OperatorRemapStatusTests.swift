import DingTalkSimulator
import Foundation
import XCTest

/// `remap` (zero API calls, rejects, lock, range) and `status`, against a synced job.
final class OperatorRemapStatusTests: XCTestCase {
    static let statusNames = ["COMPLETED": "已完成", "RUNNING": "审批中", "NEW": "新建", "TERMINATED": "已终止", "CANCELED": "已撤销"]

    func testRemapRewritesEveryRowWithZeroAPICalls() throws {
        let instances = JobFixture.generate(count: 120, days: 20, seed: 31)
        let job = try JobFixture(instances: instances) { config in
            var mysql = config["mysql"] as! [String: Any]
            mysql["batch_size"] = 25  // several pages: the remap streams
            config["mysql"] = mysql
        }
        let db = try XCTUnwrap(job.database)
        XCTAssertEqual(try job.run(["sync"]).code, 0)

        try Self.changeMapping(job) { e in if e["field"] as? String == "status" { e["map"] = Self.statusNames } }
        job.simulator.resetCounters()
        let remap = try job.run(["remap"])
        XCTAssertEqual(remap.code, 0, remap.stderr)
        XCTAssertEqual(job.simulator.calls(.get), 0)
        XCTAssertEqual(job.simulator.calls(.listids), 0)
        XCTAssertEqual(job.simulator.calls(.token), 0)
        XCTAssertTrue(remap.stderr.contains("written \(instances.count)"), remap.stderr)

        let stored = Dictionary(uniqueKeysWithValues: try db.rows("SELECT bfn_id, status FROM master_wan_recharge").map { ($0[0]!, $0[1]) })
        XCTAssertEqual(stored.count, instances.count)
        for s in instances { XCTAssertEqual(stored[s.id] ?? nil, Self.statusNames[s.status], s.id) }
        let runs = try db.rows("SELECT mode, status, written FROM dingsync_runs ORDER BY id")
        XCTAssertEqual(runs.last, ["remap", "ok", "\(instances.count)"])
    }

    func testRemapRangeTouchesOnlyInstancesCreatedInIt() throws {
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        let instances = JobFixture.generate(count: 80, days: 20, seed: 32, nowMs: now)
        let job = try JobFixture(instances: instances)
        let db = try XCTUnwrap(job.database)
        XCTAssertEqual(try job.run(["sync"]).code, 0)
        try Self.changeMapping(job) { e in if e["field"] as? String == "status" { e["map"] = Self.statusNames } }
        let fromMs = (now - 15 * 86_400_000) / 1000 * 1000, toMs = (now - 5 * 86_400_000) / 1000 * 1000
        let remap = try job.run(["remap", "--from", JobFixture.isoUTC(fromMs), "--to", JobFixture.isoUTC(toMs)])
        XCTAssertEqual(remap.code, 0, remap.stderr)
        let stored = Dictionary(uniqueKeysWithValues: try db.rows("SELECT bfn_id, status FROM master_wan_recharge").map { ($0[0]!, $0[1]) })
        var inside = 0
        for s in instances {
            let isIn = s.createTimeMs >= fromMs && s.createTimeMs < toMs
            if isIn { inside += 1 }
            XCTAssertEqual(stored[s.id] ?? nil, isIn ? Self.statusNames[s.status] : s.status, s.id)
        }
        XCTAssertGreaterThan(inside, 10)
        XCTAssertLessThan(inside, instances.count)

        XCTAssertEqual(try job.run(["remap", "--from", "2026-02-01", "--to", "2026-01-01"]).code, 64)
    }

    func testRemapRecordsRejectsExits65AndStatusShowsThem() throws {
        let instances = JobFixture.generate(count: 60, days: 10, seed: 33)
        let job = try JobFixture(instances: instances)
        let db = try XCTUnwrap(job.database)
        XCTAssertEqual(try job.run(["sync"]).code, 0)
        let before = try db.rows("SELECT bfn_id, recharge_amount FROM master_wan_recharge ORDER BY bfn_id")

        // Amounts with cents cannot be ints: those instances reject, their rows stay as they were.
        try Self.changeMapping(job) { e in if e["field"] as? String == "recharge_amount" { e["type"] = "int" } }
        let remap = try job.run(["remap"])
        XCTAssertEqual(remap.code, 65, remap.stderr)
        XCTAssertEqual(try db.rows("SELECT bfn_id, recharge_amount FROM master_wan_recharge ORDER BY bfn_id"), before)
        let rejects = try db.rows("SELECT instance_id, column_name, raw_value, reason FROM dingsync_rejects")
        XCTAssertGreaterThan(rejects.count, 0)
        for r in rejects {
            XCTAssertEqual(r[1], "recharge_amount")
            let s = try XCTUnwrap(instances.first { $0.id == r[0] })
            XCTAssertEqual(r[2], s.components.first { $0.name == "充值金额" }?.value)
        }

        let status = try job.run(["status"])
        XCTAssertEqual(status.code, 0, status.stderr)
        XCTAssertTrue(status.stdout.contains("+08:00"), "the watermark is shown in the job's zone:\n\(status.stdout)")
        XCTAssertTrue(status.stdout.contains("pending rejects:  \(rejects.count)"), status.stdout)
        XCTAssertTrue(status.stdout.contains(rejects[0][0]!), "rejected instances are listed")
        XCTAssertTrue(status.stdout.contains("not an integer"), "with their reason")
        let open = instances.filter { !$0.isFinal }.count
        XCTAssertTrue(status.stdout.contains("open instances:   \(open) "), status.stdout)
        let runLines = status.stdout.split(separator: "\n").filter { $0.hasPrefix("  ") && ($0.contains(" sync ") || $0.contains(" remap ")) }
        XCTAssertEqual(runLines.count, 2, status.stdout)
        XCTAssertTrue(runLines[0].contains("remap") && runLines[0].contains("rejects"), "newest first: \(runLines)")

        // Mapping fixed again: a remap clears the rejects.
        try Self.changeMapping(job) { e in if e["field"] as? String == "recharge_amount" { e["type"] = "decimal" } }
        XCTAssertEqual(try job.run(["remap"]).code, 0)
        XCTAssertEqual(try db.rows("SELECT COUNT(*) FROM dingsync_rejects").first?.first, "0")
    }

    func testRemapWaitsForNoOneWhileTheJobLockIsHeld() throws {
        let job = try JobFixture(instances: JobFixture.generate(count: 10, days: 3, seed: 34))
        let db = try XCTUnwrap(job.database)
        XCTAssertEqual(try job.run(["sync"]).code, 0)
        XCTAssertEqual(try db.rows("SELECT GET_LOCK('dingsync:wan-recharge', 0)").first?.first, "1")
        let held = try job.run(["remap"])
        XCTAssertEqual(held.code, 75, held.stderr)
        XCTAssertTrue(held.stderr.contains("in progress"), held.stderr)
        _ = try db.rows("SELECT RELEASE_LOCK('dingsync:wan-recharge')")
        XCTAssertEqual(try job.run(["remap"]).code, 0)
    }

    func testStatusBeforeTheFirstRun() throws {
        let job = try JobFixture(instances: JobFixture.generate(count: 3, days: 2, seed: 35))
        let status = try job.run(["status"])
        XCTAssertEqual(status.code, 0, status.stderr)
        XCTAssertTrue(status.stdout.contains("never run"), status.stdout)
        let down = try job.run(["status"], extraEnv: ["MYSQL_SOCKET": "/nonexistent/dingsync-status.sock"])
        XCTAssertEqual(down.code, 69, down.stderr)
    }

    static func changeMapping(_ job: JobFixture, _ change: (inout [String: Any]) -> Void) throws {
        var config = try JSONSerialization.jsonObject(with: Data(contentsOf: job.configURL)) as! [String: Any]
        var mapping = config["mapping"] as! [[String: Any]]
        for i in mapping.indices { change(&mapping[i]) }
        config["mapping"] = mapping
        try job.writeConfig(config)
    }
}
