import DingTalkSimulator
import Foundation
import HTTPClient
import MySQLClient
import Synchronization
import XCTest

class ResilienceSecretsTests: XCTestCase {
    /// Runs that log at trace, hit expired tokens, record rejects and fail in several ways; then
    /// every byte they printed and every cell of every table in the database is searched for the
    /// app secret, each access token issued and the MySQL password.
    func testNoSecretInAnyOutputLogOrTable() throws {
        var options = SimulatorOptions()
        options.appSecret = "sim-secret-\(UUID().uuidString)"
        options.faults.tokenExpiresAfterCalls = 40
        options.faults.http500Rate = 0.05
        options.faults.seed = 77
        let instances = JobFixture.generate(count: 150, days: 10, seed: 93)
        let job = try JobFixture(instances: instances, simulatorOptions: options)
        let sim = job.simulator
        // A DBA's narrower column than the reference TEXT, so that MySQL refuses a row too.
        try job.connect().execute("ALTER TABLE master_wan_recharge MODIFY payee_name VARCHAR(255) NULL")
        sim.update(instances[3].id) { $0.set("充值金额", "abc") }
        sim.update(instances[4].id) { $0.set("收款人姓名", String(repeating: "李", count: 300)) }
        let summaryFile = job.dir.appendingPathComponent("summary.json")

        var results: [ProcessResult] = []
        results.append(try job.run(["sync", "--log-level", "trace", "--summary-json", summaryFile.path]))
        XCTAssertEqual(results.last?.code, 65, results.last?.stderr ?? "")
        results.append(try job.run(["sync", "--log-format", "json", "--log-level", "trace"]))
        results.append(try job.run(["backfill", "--from", JobFixture.isoUTC(wallClockMs() - 5 * Self.day),
                                    "--to", JobFixture.isoUTC(wallClockMs()), "--dry-run", "--log-level", "trace"]))
        XCTAssertEqual(results.last?.code, 65, results.last?.stderr ?? "")
        var denied = FaultOptions()
        denied.permissionDenied = true
        sim.setFaults(denied)
        results.append(try job.run(["sync", "--log-level", "trace"]))
        XCTAssertEqual(results.last?.code, 77, results.last?.stderr ?? "")
        sim.setFaults(FaultOptions())
        results.append(try job.run(["sync", "--log-level", "trace"], extraEnv: ["MYSQL_PASSWORD": "wrong-\(job.env["MYSQL_PASSWORD"]!)"]))
        XCTAssertEqual(results.last?.code, 77, results.last?.stderr ?? "")
        // The simulator records every token it issued: no polling spy racing the runs.
        let tokens = sim.issuedTokens()
        XCTAssertGreaterThanOrEqual(tokens.count, 2, "tokens expired during the runs")
        XCTAssertEqual(tokens.count, sim.tokensIssued())
        let secrets = [options.appSecret, job.env["MYSQL_PASSWORD"]!] + tokens

        var haystacks: [(String, String)] = results.enumerated().flatMap { i, r in
            [("run \(i) stdout", r.stdout), ("run \(i) stderr", r.stderr)]
        }
        haystacks.append(("summary json", (try? String(contentsOf: summaryFile, encoding: .utf8)) ?? ""))
        let conn = try job.connect()
        let tables = try conn.query("SHOW TABLES").compactMap { $0.first ?? nil }
        XCTAssertTrue(Set(tables).isSuperset(of: ["master_wan_recharge", "dingsync_state", "dingsync_instances", "dingsync_rejects", "dingsync_runs"]), "\(tables)")
        for t in tables {
            let cells = try conn.query("SELECT * FROM `\(t)`").flatMap { $0.compactMap { $0 } }
            haystacks.append(("table \(t)", cells.joined(separator: "\n")))
        }
        XCTAssertFalse(try conn.query("SELECT error FROM dingsync_runs WHERE error IS NOT NULL").isEmpty, "a failure is in the run log")
        XCTAssertEqual(try job.rejects(conn).count, 2)

        for (name, text) in haystacks {
            for (i, secret) in secrets.enumerated() where text.contains(secret) {
                XCTFail("\(name) contains secret #\(i) (\(i == 0 ? "app secret" : i == 1 ? "MySQL password" : "access token"))")
            }
            XCTAssertFalse(text.contains("access_token="), "\(name) shows a token parameter")
            XCTAssertFalse(text.contains("appsecret="), "\(name) shows the secret parameter")
        }
    }

    static let day: Int64 = 86_400_000
}
