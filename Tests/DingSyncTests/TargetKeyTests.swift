import Foundation
import XCTest

/// The mapping's key must be what MySQL matches rows by, checked before any DingTalk call.
final class TargetKeyTests: XCTestCase {
    func testKeyThatIsNotUniqueExits78BeforeAnyCall() throws {
        let job = try JobFixture(instances: JobFixture.generate(count: 5, days: 2, seed: 9))
        let db = try XCTUnwrap(job.database)
        // The common mistake: a surrogate id as the primary key, the instance id merely indexed.
        try db.admin.execute("""
            ALTER TABLE master_wan_recharge DROP PRIMARY KEY,
              ADD COLUMN id BIGINT AUTO_INCREMENT PRIMARY KEY FIRST, ADD INDEX (bfn_id)
            """)
        let r = try job.run(["sync"])
        XCTAssertEqual(r.code, 78, r.stderr)
        XCTAssertTrue(r.stderr.contains("bfn_id") && r.stderr.contains("master_wan_recharge"), r.stderr)
        XCTAssertEqual(job.simulator.tokenCalls + job.simulator.approvalCalls, 0)
        XCTAssertEqual(try db.rows("SELECT COUNT(*) FROM master_wan_recharge").first?.first, "0")
    }

    func testUniqueKeyOnTheKeyColumnAloneIsEnough() throws {
        let job = try JobFixture(instances: JobFixture.generate(count: 5, days: 2, seed: 9))
        let db = try XCTUnwrap(job.database)
        try db.admin.execute("""
            ALTER TABLE master_wan_recharge DROP PRIMARY KEY,
              ADD COLUMN id BIGINT AUTO_INCREMENT PRIMARY KEY FIRST, ADD UNIQUE KEY (bfn_id)
            """)
        let check = try job.run(["check"])
        XCTAssertEqual(check.code, 0, "check applies the same rule as sync: \(check.stdout)")
        XCTAssertEqual(try job.run(["sync"]).code, 0)
        // A second run rewrites in place instead of appending copies.
        XCTAssertEqual(try job.run(["backfill", "--refetch", "--from", JobFixture.isoUTC(job.nowMs() - 3 * 86_400_000),
                                    "--to", JobFixture.isoUTC(job.nowMs())]).code, 0)
        XCTAssertEqual(try db.rows("SELECT COUNT(*), COUNT(DISTINCT bfn_id) FROM master_wan_recharge").first, ["5", "5"])
    }

    func testUniqueKeyWiderThanTheKeyColumnIsRejected() throws {
        let job = try JobFixture(instances: JobFixture.generate(count: 5, days: 2, seed: 9))
        let db = try XCTUnwrap(job.database)
        try db.admin.execute("ALTER TABLE master_wan_recharge DROP PRIMARY KEY, ADD UNIQUE KEY (bfn_id, month(16))")
        let r = try job.run(["sync"])
        XCTAssertEqual(r.code, 78, r.stderr)
        XCTAssertTrue(r.stderr.contains("bfn_id"), r.stderr)
        XCTAssertEqual(job.simulator.tokenCalls + job.simulator.approvalCalls, 0)
    }
}
