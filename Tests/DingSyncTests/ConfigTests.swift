@testable import DingSync
import DingSyncMapping
import Foundation
import XCTest

final class ConfigTests: XCTestCase {
    let env = ["DINGTALK_APP_KEY": "key-1234", "DINGTALK_APP_SECRET": "secret-5678", "MYSQL_PASSWORD": "pw-9999"]

    func reference() throws -> Data {
        try Data(contentsOf: TestEnvironment.repoRoot.appendingPathComponent("Config/wan-recharge.json"))
    }

    func mutated(_ change: (inout [String: Any]) -> Void) throws -> Data {
        var c = try JobFixture.referenceConfig()
        change(&c)
        return try JSONSerialization.data(withJSONObject: c)
    }

    func problems(_ data: Data, env: [String: String]? = nil) -> String? {
        do {
            _ = try ConfigLoader.parse(data, source: "job.json", env: env ?? self.env)
            return nil
        } catch {
            XCTAssertEqual(error.status, .config)
            return error.message
        }
    }

    func testReferenceConfigLoadsWithDefaultsAndEnv() throws {
        let c = try ConfigLoader.parse(try reference(), source: "ref", env: env)
        XCTAssertEqual(c.job, "wan-recharge")
        XCTAssertEqual(c.dingtalk.appSecret, "secret-5678")
        XCTAssertEqual(c.dingtalk.baseURL, "https://oapi.dingtalk.com")
        XCTAssertEqual(c.mysql?.port, 3306)
        XCTAssertNil(c.mysql?.socket, "an empty ${MYSQL_SOCKET:-} means no socket")
        XCTAssertEqual(c.mapping.count, 24)
        XCTAssertEqual(c.mapping[c.keyIndex].field, "bfn_id")
        XCTAssertEqual(c.mapping[7].type, .decimal)
        XCTAssertEqual(c.sync.timezone.identifier, "Asia/Shanghai")
        XCTAssertEqual(c.sync.startMs, 1_780_243_200_000, "2026-06-01 00:00 Asia/Shanghai")
        XCTAssertEqual(c.dingtalk.retry, RetrySettings(maxAttempts: 6, baseDelayMs: 500, maxDelayMs: 30_000))
        XCTAssertTrue(c.secrets.contains("secret-5678") && c.secrets.contains("pw-9999"))
    }

    func testInvalidJSONNamesTheProblem() {
        let m = problems(Data("{\"version\": 1,".utf8))
        XCTAssertTrue(m?.contains("invalid JSON") ?? false, m ?? "")
    }

    func testUnknownKeysAreRejectedWithTheirPath() throws {
        let m = problems(try mutated { c in
            c["colour"] = "red"
            var d = c["dingtalk"] as! [String: Any]; d["max_qsp"] = 3; c["dingtalk"] = d
            var map = c["mapping"] as! [[String: Any]]; map[2]["tpye"] = "x"; c["mapping"] = map
        })
        XCTAssertTrue(m?.contains("colour: unknown key") ?? false, m ?? "")
        XCTAssertTrue(m?.contains("dingtalk.max_qsp: unknown key") ?? false, m ?? "")
        XCTAssertTrue(m?.contains("mapping[2].tpye: unknown key") ?? false, m ?? "")
        XCTAssertTrue(m?.contains("3 problems") ?? false, m ?? "")
    }

    func testMissingEnvironmentVariableIsNamed() throws {
        var e = env; e.removeValue(forKey: "DINGTALK_APP_SECRET")
        let m = problems(try reference(), env: e)
        XCTAssertTrue(m?.contains("dingtalk.app_secret: environment variable DINGTALK_APP_SECRET is not set") ?? false, m ?? "")
    }

    func testWrongTypesAndRangesAreNamed() throws {
        let m = problems(try mutated { c in
            var d = c["dingtalk"] as! [String: Any]; d["page_size"] = 50; d["concurrency"] = "four"; c["dingtalk"] = d
            var s = c["sync"] as! [String: Any]; s["window_days"] = 200; s["timezone"] = "Mars/Base"; c["sync"] = s
            var map = c["mapping"] as! [[String: Any]]; map[1]["type"] = "money"; map[3]["key"] = true; c["mapping"] = map
        })!
        for needle in ["dingtalk.page_size: must be between 1 and 20", "dingtalk.concurrency: must be a whole number",
                       "sync.window_days: must be between 1 and 120", "sync.timezone", "mapping[1].type", "only one entry may have \"key\": true"] {
            XCTAssertTrue(m.contains(needle), "\(needle) not in: \(m)")
        }
    }

    func testDuplicateColumnsAndBadIdentifiersAreRejected() throws {
        let m = problems(try mutated { c in
            var map = c["mapping"] as! [[String: Any]]
            map[2]["field"] = "Department"
            map[4]["field"] = "bad`name"
            c["mapping"] = map
        })!
        XCTAssertTrue(m.contains("mapping[2].field: \"Department\" is already used by mapping[1]"), m)
        XCTAssertTrue(m.contains("mapping[4].field"), m)
    }

    func testBatchSizeIsBoundedByPlaceholderLimit() throws {
        let m = problems(try mutated { c in
            var my = c["mysql"] as! [String: Any]; my["batch_size"] = 5000; c["mysql"] = my
        })!
        XCTAssertTrue(m.contains("mysql.batch_size"), m)
    }

    func testTemplatesAreInterpolatedToo() throws {
        let data = try mutated { c in
            var map = c["mapping"] as! [[String: Any]]
            map[1]["value"] = "${DEPT_PREFIX:-HQ}-{部门}"
            map[2]["value"] = "{月份}${MISSING_IN_TEMPLATE}"
            c["mapping"] = map
        }
        let m = problems(data)!
        XCTAssertTrue(m.contains("mapping[2].value: environment variable MISSING_IN_TEMPLATE is not set"), m)
        var e = env
        e["MISSING_IN_TEMPLATE"] = ""
        let c = try ConfigLoader.parse(data, source: "job.json", env: e)
        XCTAssertEqual(c.mapping[1].value, "HQ-{部门}")
        XCTAssertEqual(c.mapping[2].value, "{月份}")
    }

    func testEnvInterpolationForms() {
        let e = ["A": "x", "EMPTY": ""]
        XCTAssertEqual(try EnvInterpolation.expand("${A}-${B:-dflt}-$${A}", env: e).get(), "x-dflt-${A}")
        XCTAssertEqual(try EnvInterpolation.expand("${EMPTY:-d}", env: e).get(), "")
        XCTAssertEqual(EnvInterpolation.expand("${MISSING}", env: e), .failure(.missing("MISSING")))
        XCTAssertEqual(EnvInterpolation.expand("${A", env: e), .failure(.unterminated))
        XCTAssertEqual(EnvInterpolation.expand("${1X}", env: e), .failure(.badName("1X")))
    }

    /// The executable: a broken config exits 78 with exactly one line naming the problem.
    func testBrokenConfigsExit78WithOneLine() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("dingsync-cfg-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let cases: [(String, Data, String)] = [
            ("invalid-json", Data("{ \"job\": ".utf8), "invalid JSON"),
            ("unknown-key", try mutated { $0["sink"] = "x" }, "sink: unknown key"),
            ("missing-env", try reference(), "DINGTALK_APP_SECRET is not set"),
            ("wrong-type", try mutated { c in var m = c["mysql"] as! [String: Any]; m["port"] = true; c["mysql"] = m }, "mysql.port: must be a whole number"),
        ]
        for (name, data, needle) in cases {
            let file = dir.appendingPathComponent("\(name).json")
            try data.write(to: file)
            var e = env
            if name == "missing-env" { e.removeValue(forKey: "DINGTALK_APP_SECRET") }
            let r = try runDingsync(["sync", "--config", file.path], env: e)
            XCTAssertEqual(r.code, 78, "\(name): \(r.stderr)")
            XCTAssertEqual(r.stderrLines.count, 1, "\(name): \(r.stderr)")
            XCTAssertTrue(r.stderr.contains(needle), "\(name): \(r.stderr)")
        }
        let missing = try runDingsync(["sync", "--config", dir.appendingPathComponent("nope.json").path])
        XCTAssertEqual(missing.code, 78, missing.stderr)
        let usage = try runDingsync(["backfill", "--config", "x.json", "--from", "2026-06-02", "--to", "2026-06-01"])
        XCTAssertEqual(usage.code, 64, usage.stderr)
    }
}
