import DingSync
import Foundation
import XCTest

/// `mysql.write_mode` against a real MariaDB: what a re-sync leaves of a row's unmapped
/// column and of the rows of a child table that cascades on delete.
final class WriteModeTests: XCTestCase {
    private static let day: Int64 = 86_400_000

    func testUpsertKeepsUnmappedColumnsAndCascadingChildren() throws {
        let r = try resync(mode: "upsert")
        XCTAssertEqual(r.notes, Array(repeating: "kept", count: r.ids), "upsert updates mapped columns only")
        XCTAssertEqual(r.children, r.ids, "upsert never deletes, so nothing cascades")
    }

    func testReplaceResetsUnmappedColumnsAndDropsCascadingChildren() throws {
        let r = try resync(mode: nil)  // replace is the default
        XCTAssertEqual(r.notes, Array(repeating: "default", count: r.ids), "replace rewrites the whole row")
        XCTAssertEqual(r.children, 0, "replace deletes the old row, and the delete cascades")
    }

    func testUnknownWriteModeIsAConfigErrorNamingTheKey() throws {
        let job = try JobFixture(instances: [], withDatabase: false) { c in Self.setMode(&c, "merge") }
        let r = try job.run(["sync"])
        XCTAssertEqual(r.code, 78, r.stderr)
        XCTAssertEqual(job.simulator.calls(.token), 0, "a config error stops before DingTalk")
        XCTAssertTrue(r.stderr.contains("mysql.write_mode"), r.stderr)
        XCTAssertTrue(r.stderr.contains("\"merge\""), r.stderr)
    }

    func testWriteModeParsesWithReplaceAsTheDefault() throws {
        let env = ["DINGTALK_APP_KEY": "key-1234", "DINGTALK_APP_SECRET": "secret-5678", "MYSQL_PASSWORD": "pw-9999"]
        func parse(_ mode: String?) throws -> WriteMode? {
            var c = try JobFixture.referenceConfig()
            if let mode { Self.setMode(&c, mode) } else {
                var my = c["mysql"] as! [String: Any]
                my.removeValue(forKey: "write_mode")
                c["mysql"] = my
            }
            let data = try JSONSerialization.data(withJSONObject: c)
            return try ConfigLoader.parse(data, source: "job.json", env: env).mysql?.writeMode
        }
        XCTAssertEqual(try parse(nil), .replace)
        XCTAssertEqual(try parse("upsert"), .upsert)
        XCTAssertEqual(try parse("replace"), .replace)
    }

    /// Syncs, adds an unmapped column and a cascading child table, changes every instance's
    /// department in DingTalk, and refetches the whole range. The department check proves
    /// the second run really rewrote every row (so the other counts say something).
    private func resync(mode: String?) throws -> (ids: Int, notes: [String?], children: Int) {
        let now = wallClockMs()
        let instances = JobFixture.generate(count: 12, days: 3, seed: 5, nowMs: now)
        let job = try JobFixture(instances: instances) { c in if let mode { Self.setMode(&c, mode) } }
        let db = try XCTUnwrap(job.database)
        let first = try job.run(["sync"])
        XCTAssertEqual(first.code, 0, first.stderr)
        XCTAssertEqual(try db.rows("SELECT COUNT(*) FROM master_wan_recharge").first?.first, "12")

        try db.admin.execute("ALTER TABLE master_wan_recharge ADD COLUMN note VARCHAR(16) NOT NULL DEFAULT 'default'")
        try db.admin.execute("UPDATE master_wan_recharge SET note = 'kept'")
        // Same charset and collation as the parent key, as InnoDB requires for a foreign key.
        try db.admin.execute("""
            CREATE TABLE recharge_note (
              id INT AUTO_INCREMENT PRIMARY KEY,
              bfn_id VARCHAR(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
              FOREIGN KEY (bfn_id) REFERENCES master_wan_recharge (bfn_id) ON DELETE CASCADE
            ) ENGINE=InnoDB
            """)
        try db.admin.execute("INSERT INTO recharge_note (bfn_id) SELECT bfn_id FROM master_wan_recharge")

        for i in instances { job.simulator.update(i.id) { $0.set("部门", "Resynced") } }
        let again = try job.run(["backfill", "--refetch", "--from", JobFixture.isoUTC(now - 4 * Self.day),
                                 "--to", JobFixture.isoUTC(job.nowMs())])
        XCTAssertEqual(again.code, 0, again.stderr)
        XCTAssertEqual(try db.rows("SELECT DISTINCT department FROM master_wan_recharge"), [["Resynced"]],
                       "the refetch rewrote every row")
        let notes = try db.rows("SELECT note FROM master_wan_recharge").map { $0[0] }
        let children = Int(try db.rows("SELECT COUNT(*) FROM recharge_note").first?.first.flatMap { $0 } ?? "") ?? -1
        return (instances.count, notes, children)
    }

    private static func setMode(_ c: inout [String: Any], _ mode: String) {
        var my = c["mysql"] as! [String: Any]
        my["write_mode"] = mode
        c["mysql"] = my
    }
}
