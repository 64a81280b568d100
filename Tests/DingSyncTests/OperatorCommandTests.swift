@testable import DingSync
import DingTalkSimulator
import Foundation
import XCTest

/// The operator's commands (check, fields, schema, status, remap), run as the built executable
/// against the loopback simulator and a real MariaDB.
final class OperatorCommandTests: XCTestCase {
    // MARK: fields → schema --apply → check → sync

    func testFieldsSnippetPastedIntoAConfigPassesCheckAndSyncs() throws {
        let instances = JobFixture.generate(count: 90, days: 20, seed: 21)
        let job = try JobFixture(instances: instances)
        let db = try XCTUnwrap(job.database)

        let fields = try job.run(["fields", "--sample", "6"])
        XCTAssertEqual(fields.code, 0, fields.stderr)
        for label in ["部门", "月份", "充值金额", "MoneyField", "TableField", "DDDateField", "create_time", "business_id"] {
            XCTAssertTrue(fields.stdout.contains(label), "fields output lacks \(label)")
        }
        let mapping = try Self.snippet(fields.stdout)
        let byLabel = Dictionary(mapping.compactMap { e in (e["label"] as? String).map { ($0, e) } }, uniquingKeysWith: { a, _ in a })
        XCTAssertEqual(byLabel["充值金额"]?["type"] as? String, "decimal")
        XCTAssertEqual(byLabel["实际付款金额"]?["type"] as? String, "decimal")
        XCTAssertEqual(byLabel["月份"]?["type"] as? String, "string", "a yyyy-MM date is kept as text")
        XCTAssertEqual(byLabel["充值明细"]?["type"] as? String, "json")
        XCTAssertEqual(byLabel["部门"]?["value"] as? String, "{部门}")
        XCTAssertEqual(mapping.first?["key"] as? Bool, true)
        XCTAssertEqual(mapping.first?["value"] as? String, "{id}")
        let names = mapping.compactMap { $0["field"] as? String }
        XCTAssertEqual(Set(names.map { $0.lowercased() }).count, names.count, "column names must be unique")
        for n in names {
            XCTAssertTrue(n.unicodeScalars.allSatisfy { $0.isASCII && ($0 == "_" || $0.properties.isAlphabetic || ("0"..."9").contains($0)) }, n)
        }
        XCTAssertFalse(mapping.contains { ($0["value"] as? String)?.contains("TextNote") ?? false }, "display-only text is not a column")

        var config = try Self.config(job)
        config["mapping"] = mapping
        var mysql = config["mysql"] as! [String: Any]
        mysql["table"] = "wan_from_fields"
        config["mysql"] = mysql
        try job.writeConfig(config)

        let schema = try job.run(["schema", "--apply"])
        XCTAssertEqual(schema.code, 0, schema.stderr)
        XCTAssertTrue(schema.stderr.contains("created \(db.name).wan_from_fields"), schema.stderr)
        let check = try job.run(["check"])
        XCTAssertEqual(check.code, 0, check.stdout + check.stderr)
        let sync = try job.run(["sync"])
        XCTAssertEqual(sync.code, 0, sync.stderr)

        XCTAssertEqual(try db.rows("SELECT COUNT(*) FROM wan_from_fields").first?.first, "\(instances.count)")
        let amountColumn = try XCTUnwrap(byLabel["充值金额"]?["field"] as? String)
        let stored = Dictionary(uniqueKeysWithValues: try db.rows("SELECT instance_id, `\(amountColumn)` FROM wan_from_fields").map { ($0[0]!, $0[1]) })
        for s in instances {
            let raw = s.components.first { $0.name == "充值金额" }?.value
            let want = raw.flatMap { $0 == "" || $0 == "null" ? nil : ReferenceTruth.decimal($0, .mysql) }
            XCTAssertEqual(stored[s.id] ?? nil, want, s.id)
        }
    }

    func testFieldsForOneInstanceShowsItsValues() throws {
        let instances = JobFixture.generate(count: 4, days: 3, seed: 4)
        let job = try JobFixture(instances: instances, withDatabase: false)
        let s = instances[1]
        let result = try job.run(["fields", "--instance", s.id])
        XCTAssertEqual(result.code, 0, result.stderr)
        XCTAssertTrue(result.stdout.contains(s.businessId), "attribute examples come from the instance")
        XCTAssertTrue(result.stdout.contains(ReferenceFormGenerator.componentId(label: "充值金额", type: "MoneyField")))
        XCTAssertEqual(job.simulator.calls(.get), 1)
        XCTAssertEqual(job.simulator.calls(.listids), 0)

        let missing = try job.run(["fields"])
        XCTAssertEqual(missing.code, 64, "neither --instance nor --sample is a usage error")
    }

    // MARK: schema

    func testSchemaPrintsDDLAndApplyCreatesOnlyWhatIsMissing() throws {
        let job = try JobFixture(instances: JobFixture.generate(count: 5, days: 3))
        let db = try XCTUnwrap(job.database)
        let printed = try job.run(["schema"])
        XCTAssertEqual(printed.code, 0, printed.stderr)
        for text in ["CREATE TABLE IF NOT EXISTS `master_wan_recharge`", "`bfn_id`", "VARCHAR(128) NOT NULL",
                     "DECIMAL(18,2)", "DATETIME", "PRIMARY KEY (`bfn_id`)", "CHARSET=utf8mb4", "COMMENT '充值金额'",
                     "`dingsync_state`", "`dingsync_instances`", "`dingsync_rejects`", "`dingsync_runs`",
                     "`dingsync_pending`", "`dingsync_ledger`", "`dingsync_schedule`", "`dingsync_app`"] {
            XCTAssertTrue(printed.stdout.contains(text), "schema output lacks \(text)")
        }
        XCTAssertTrue(try db.rows("SHOW TABLES LIKE 'dingsync_%'").isEmpty, "schema without --apply changes nothing")

        var config = try Self.config(job)
        var mysql = config["mysql"] as! [String: Any]
        mysql["table"] = "made_by_schema"
        config["mysql"] = mysql
        try job.writeConfig(config)
        let applied = try job.run(["schema", "--apply"])
        XCTAssertEqual(applied.code, 0, applied.stderr)
        let types = Dictionary(uniqueKeysWithValues: try db.rows("""
            SELECT COLUMN_NAME, COLUMN_TYPE FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = '\(db.name)' AND TABLE_NAME = 'made_by_schema'
            """).map { ($0[0]!, $0[1]!) })
        XCTAssertEqual(types.count, ReferenceTruth.columns.count)
        XCTAssertEqual(types["bfn_id"], "varchar(128)")
        XCTAssertEqual(types["recharge_amount"], "decimal(18,2)")
        XCTAssertEqual(types["create_time"], "datetime")
        XCTAssertEqual(types["department"], "text")
        XCTAssertEqual(Set(try db.rows("SHOW TABLES LIKE 'dingsync_%'").map { $0[0]! }), Set(StateStore.tableNames),
                       "every state table: the economy's, v1's dingsync_running, the quota probe's and watch's included")
        XCTAssertEqual(StateStore.tableNames.count, 14)

        let again = try job.run(["schema", "--apply"])
        XCTAssertEqual(again.code, 0, again.stderr)
        XCTAssertFalse(again.stderr.contains("created"), again.stderr)
        XCTAssertTrue(again.stderr.contains("made_by_schema exists; left as it is"), again.stderr)
    }

    // MARK: check

    func testCheckPrintsOneLinePerCheckAndFailsWithTheRightCode() throws {
        let job = try JobFixture(instances: JobFixture.generate(count: 10, days: 5))
        let db = try XCTUnwrap(job.database)
        // A job that has not synced yet is told what its first sync costs (topapi: v1 has no offset cursor).
        let names = ["environment", "config", "token", Self.listing] + (TestAPI.isV1 ? [] : ["first sync"])
            + ["mysql", "tls", "target table", "table charset", "columns", "primary key", "state tables"]

        let good = try job.run(["check"])
        XCTAssertEqual(good.code, 0, good.stdout + good.stderr)
        let lines = Self.checkLines(good.stdout)
        XCTAssertEqual(lines.map(\.0), names)
        for (name, outcome) in lines { XCTAssertTrue(outcome.hasPrefix("ok"), "\(name): \(outcome)") }

        let badSecret = try job.run(["check"], extraEnv: ["DINGTALK_APP_SECRET": "wrong-secret-value"])
        XCTAssertEqual(badSecret.code, 77, badSecret.stdout + badSecret.stderr)
        let bad = Dictionary(uniqueKeysWithValues: Self.checkLines(badSecret.stdout))
        XCTAssertTrue(bad["token"]?.hasPrefix("FAIL") ?? false, badSecret.stdout)
        XCTAssertTrue(bad[Self.listing]?.hasPrefix("skipped") ?? false, badSecret.stdout)
        XCTAssertTrue(bad["mysql"]?.hasPrefix("ok") ?? false, "later checks still run")
        XCTAssertEqual(badSecret.stderrLines.filter { $0.hasPrefix("dingsync: error:") }.count, 1)
        XCTAssertFalse((badSecret.stdout + badSecret.stderr).contains("wrong-secret-value"))

        let down = try job.run(["check"], extraEnv: ["MYSQL_SOCKET": "/nonexistent/dingsync-check.sock"])
        XCTAssertEqual(down.code, 69, down.stdout + down.stderr)
        let d = Dictionary(uniqueKeysWithValues: Self.checkLines(down.stdout))
        XCTAssertTrue(d["mysql"]?.hasPrefix("FAIL") ?? false, down.stdout)
        XCTAssertTrue(d["columns"]?.hasPrefix("skipped") ?? false, down.stdout)
        XCTAssertTrue(d["token"]?.hasPrefix("ok") ?? false, down.stdout)

        try db.admin.execute("ALTER TABLE master_wan_recharge DROP COLUMN biz_action")
        let lacking = try job.run(["check"])
        XCTAssertEqual(lacking.code, 78, lacking.stdout + lacking.stderr)
        let l = Dictionary(uniqueKeysWithValues: Self.checkLines(lacking.stdout))
        XCTAssertTrue(l["columns"]?.hasPrefix("FAIL") ?? false, lacking.stdout)
        XCTAssertTrue(l["columns"]?.contains("biz_action is missing") ?? false, lacking.stdout)
        XCTAssertTrue(lacking.stderr.contains("biz_action"), "the error line names the column")

        try db.admin.execute("ALTER TABLE master_wan_recharge ADD COLUMN biz_action VARCHAR(16) NULL, MODIFY create_time INT NULL")
        let wrongType = try job.run(["check"])
        XCTAssertEqual(wrongType.code, 78)
        XCTAssertTrue(wrongType.stdout.contains("create_time is INT"), wrongType.stdout)

        try db.admin.execute("ALTER TABLE master_wan_recharge MODIFY create_time DATETIME NULL, DROP PRIMARY KEY, ADD PRIMARY KEY (bfn_id, status(16))")
        let wrongKey = try job.run(["check"])
        XCTAssertEqual(wrongKey.code, 78)
        XCTAssertTrue(Dictionary(uniqueKeysWithValues: Self.checkLines(wrongKey.stdout))["primary key"]?.hasPrefix("FAIL") ?? false, wrongKey.stdout)
    }

    func testCheckWithoutMySQLSectionSkipsItsChecksAndMissingEnvIsAConfigError() throws {
        let job = try JobFixture(instances: JobFixture.generate(count: 3, days: 2), withDatabase: false) { config in
            config.removeValue(forKey: "mysql")
        }
        let result = try job.run(["check"])
        XCTAssertEqual(result.code, 0, result.stdout + result.stderr)
        let lines = Dictionary(uniqueKeysWithValues: Self.checkLines(result.stdout))
        XCTAssertEqual(lines["mysql"], "skipped (no mysql section)")
        XCTAssertEqual(lines["columns"], "skipped (no mysql section)")
        XCTAssertTrue(lines[Self.listing]?.hasPrefix("ok") ?? false)

        var env = job.env
        env.removeValue(forKey: "DINGTALK_APP_SECRET")
        let missing = try runDingsync(["check", "--config", job.configURL.path], env: env)
        XCTAssertEqual(missing.code, 78, missing.stdout + missing.stderr)
        let m = Dictionary(uniqueKeysWithValues: Self.checkLines(missing.stdout))
        XCTAssertTrue(m["environment"]?.contains("DINGTALK_APP_SECRET") ?? false, missing.stdout)
        XCTAssertTrue(m["config"]?.hasPrefix("FAIL") ?? false, missing.stdout)
    }

    // MARK: helpers

    static func config(_ job: JobFixture) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(contentsOf: job.configURL)) as! [String: Any]
    }

    /// The `"mapping": [ … ]` lines of `fields` output, parsed.
    static func snippet(_ stdout: String) throws -> [[String: Any]] {
        let lines = stdout.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let start = try XCTUnwrap(lines.firstIndex(of: "\"mapping\": ["), "no mapping snippet in:\n\(stdout)")
        let end = try XCTUnwrap(lines[start...].firstIndex(of: "]"))
        let text = "{" + lines[start...end].joined(separator: "\n") + "}"
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        return try XCTUnwrap(object["mapping"] as? [[String: Any]])
    }

    /// `check` lines as (name, outcome).
    /// The listing check's name: v1 lists by status (`DINGSYNC_TEST_API=v1`).
    static var listing: String { TestAPI.isV1 ? "v1 query" : "listids" }

    static func checkLines(_ stdout: String) -> [(String, String)] {
        stdout.split(separator: "\n").map { line in
            let name = String(line.prefix(16)).trimmingCharacters(in: .whitespaces)
            return (name, String(line.dropFirst(17)))
        }
    }
}
