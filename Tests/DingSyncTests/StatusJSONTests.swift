import DingTalkSimulator
import Foundation
import XCTest

/// `status --format json` carries the same figures as the text, with one key style
/// (snake_case, like the config), as docs/status-json.md documents (issue 20, point 11).
final class StatusJSONTests: XCTestCase {
    func testStatusJSONHasTheTextsFiguresInSnakeCase() throws {
        let instances = JobFixture.generate(count: 30, days: 5, seed: 2011)
        let job = try JobFixture(instances: instances)
        XCTAssertEqual(try job.run(["sync"]).code, 0)
        let r = try job.run(["status", "--format", "json"])
        XCTAssertEqual(r.code, 0, r.stderr)
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any], r.stdout)

        let runs = try XCTUnwrap(object["last_runs"] as? [[String: Any]])
        let run = try XCTUnwrap(runs.first)
        for key in ["id", "mode", "status", "exit_code", "started_ms", "finished_ms", "listed", "fetched", "written",
                    "skipped", "rejected", "api_calls", "error"] {
            XCTAssertTrue(run.keys.contains(key), "a run lacks \(key): \(run)")
        }
        XCTAssertEqual(run["listed"] as? Int, instances.count)
        XCTAssertEqual(run["written"] as? Int, instances.count)
        XCTAssertTrue(run["error"] is NSNull, "\(run)")

        let economy = try XCTUnwrap(object["economy"] as? [String: Any])
        for key in ["projected_month_end", "app_key_jobs", "monthly_need", "open_instances", "due_now"] {
            XCTAssertNotNil(economy[key], "economy lacks \(key): \(economy.keys.sorted())")
        }
        XCTAssertEqual((economy["app_key_jobs"] as? [String: Any])?["wan-recharge"] as? Int, economy["spent"] as? Int)
        let bad = Self.keys(object).filter { $0 != $0.lowercased() || $0.contains("-") && !$0.hasPrefix("wan-") }
        XCTAssertEqual(bad, [], "every key is snake_case")

        // Every key the JSON carries is documented.
        let doc = try String(contentsOf: TestEnvironment.repoRoot.appendingPathComponent("docs/status-json.md"), encoding: .utf8)
        for key in Set(Self.keys(object)) where !["wan-recharge", "listids", "get", "token"].contains(key) {
            XCTAssertTrue(doc.contains("`\(key)`"), "docs/status-json.md does not document \(key)")
        }
    }

    /// Every object key, recursively, except those of maps whose keys are data (calls by
    /// endpoint, calls by job).
    static func keys(_ value: Any) -> [String] {
        if let o = value as? [String: Any] {
            return o.flatMap { k, v in [k] + (["calls", "app_key_jobs"].contains(k) ? [] : keys(v)) }
        }
        if let a = value as? [Any] { return a.flatMap(keys) }
        return []
    }
}
