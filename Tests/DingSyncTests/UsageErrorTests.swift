import DingTalkSimulator
import Foundation
import XCTest

/// Usage and configuration errors as a new user meets them (issue 20, points 7–10): every
/// non-zero exit ends with the promised `dingsync: error:` line, and the line names the real
/// cause (the unset variable, where a secret belongs, the token request).
final class UsageErrorTests: XCTestCase {
    // MARK: 7. usage errors end with the error line, exit 64

    func testUsageErrorsEndWithTheErrorLineAndExit64() throws {
        let cases: [[String]] = [
            [],
            ["sync", "--no-such-flag"],
            ["backfill", "--from", "2026-13-45", "--to", "2026-01-02"],
            ["no-such-command"],
        ]
        for args in cases {
            let r = try runDingsync(args)
            XCTAssertEqual(r.code, 64, "\(args): \(r.stderr)")
            let last = r.stderrLines.last ?? ""
            XCTAssertTrue(last.hasPrefix("dingsync: error: "), "\(args): the last line is \(last)")
            XCTAssertEqual(r.stderrLines.filter { $0.hasPrefix("dingsync: error:") }.count, 1, "\(args): \(r.stderr)")
            XCTAssertEqual(r.stdout, "", "\(args): usage goes to stderr")
        }
        // Help and version still exit 0, on stdout.
        let help = try runDingsync(["--help"])
        XCTAssertEqual(help.code, 0)
        XCTAssertTrue(help.stdout.contains("USAGE: dingsync"), help.stdout)
        XCTAssertFalse(help.stderr.contains("dingsync: error:"))
        XCTAssertEqual(try runDingsync(["--version"]).code, 0)
        // A run's own failure keeps its single error line.
        let missing = try runDingsync(["sync", "--config", "/nonexistent/job.json"])
        XCTAssertEqual(missing.code, 78)
        XCTAssertEqual(missing.stderrLines.filter { $0.hasPrefix("dingsync: error:") }.count, 1, missing.stderr)
    }

    // MARK: 8. an unset variable in a number field

    func testUnsetVariableInANumberFieldIsNamed() throws {
        let job = try JobFixture(instances: JobFixture.generate(count: 2, days: 2), withDatabase: false) { c in
            setting(&c, "mysql", "port", "${MYSQL_PORT}")
        }
        var env = job.env
        env.removeValue(forKey: "MYSQL_PORT")
        let r = try runDingsync(["sync", "--config", job.configURL.path], env: env)
        XCTAssertEqual(r.code, 78, r.stderr)
        let last = r.stderrLines.last ?? ""
        XCTAssertTrue(last.contains("mysql.port: environment variable MYSQL_PORT is not set"), last)
        XCTAssertFalse(last.contains("whole number"), last)
    }

    /// A number field naming the wrong variable says so without printing what it holds.
    func testANumberFieldNamingASecretNeverPrintsIt() throws {
        let job = try JobFixture(instances: JobFixture.generate(count: 2, days: 2), withDatabase: false) { c in
            setting(&c, "mysql", "port", "${MYSQL_PASSWORD}")
        }
        var env = job.env
        env["MYSQL_PASSWORD"] = "not-a-port-secret-\(UUID().uuidString)"
        let r = try runDingsync(["sync", "--config", job.configURL.path], env: env)
        XCTAssertEqual(r.code, 78, r.stderr)
        XCTAssertTrue(r.stderr.contains("mysql.port: must be a whole number"), r.stderr)
        XCTAssertFalse(r.stderr.contains(env["MYSQL_PASSWORD"]!), r.stderr)
    }

    // MARK: 9. a missing secret is not invited into the config

    func testMissingSecretHintSaysWhereToSetIt() throws {
        let job = try JobFixture(instances: JobFixture.generate(count: 2, days: 2), withDatabase: false)
        for name in ["DINGTALK_APP_SECRET", "MYSQL_PASSWORD"] {
            var env = job.env
            env.removeValue(forKey: name)
            let r = try runDingsync(["sync", "--config", job.configURL.path], env: env)
            XCTAssertEqual(r.code, 78, r.stderr)
            let last = r.stderrLines.last ?? ""
            XCTAssertTrue(last.contains("environment variable \(name) is not set"), last)
            XCTAssertFalse(last.contains(":-"), "no default for a secret: \(last)")
            XCTAssertTrue(last.contains("set -a"), "says where to set it: \(last)")
        }
        // A non-secret keeps the default hint.
        var env = job.env
        env.removeValue(forKey: "DINGTALK_APP_KEY")
        let r = try runDingsync(["sync", "--config", job.configURL.path], env: env)
        XCTAssertTrue(r.stderr.contains("${DINGTALK_APP_KEY:-default}"), r.stderr)
    }

    // MARK: 10. a token failure names the token request

    func testWrongSecretNamesTheTokenRequestNotAnInstance() throws {
        let instances = JobFixture.generate(count: 5, days: 2, seed: 2010)
        let job = try JobFixture(instances: instances, withDatabase: false)
        let wrong = ["DINGTALK_APP_SECRET": "wrong-secret-value"]
        let fields = try job.run(["fields", "--instance", instances[0].id], extraEnv: wrong)
        let sync = try job.run(["sync", "--dry-run", "--format", "jsonl"], extraEnv: wrong)
        for r in [fields, sync] {
            XCTAssertEqual(r.code, 77, r.stderr)
            let last = r.stderrLines.last ?? ""
            XCTAssertTrue(last.hasPrefix("dingsync: error: getting an access token: DingTalk"), last)
            XCTAssertFalse(last.contains("fetching instance"), last)
            XCTAssertFalse(last.contains("listing"), last)
            XCTAssertFalse(r.stderr.contains("wrong-secret-value"))
        }
    }
}
