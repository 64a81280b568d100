import DingSync
import DingTalkSimulator
import Foundation
import MySQLClient
import XCTest

/// A simulator seeded with the reference form, a database with the target table, and a job
/// config (the shipped Config/wan-recharge.json, adjusted) pointing the real executable at both.
final class JobFixture {
    let simulator: DingTalkSimulator
    let database: TestDatabase?
    let dir: URL
    var configURL: URL { dir.appendingPathComponent("job.json") }
    /// Secrets are passed through the environment, as the README tells users to.
    var env: [String: String]
    /// Simulated time: the simulator and every run of the executable see the wall clock plus
    /// this offset, so a test can let days pass between runs without waiting for them.
    let offset = TestClockOffset()
    /// "Now" as the simulator and the tool see it.
    func nowMs() -> Int64 { wallClockMs() + offset.ms }
    /// Lets simulated time pass.
    func advance(_ ms: Int64) { offset.add(ms) }
    /// `mysql.write_mode` of the fixtures a test case makes (nil: the shipped config's): the
    /// upsert subclasses of the end-to-end cases set it in `setUp`. Tests run one at a time.
    nonisolated(unsafe) static var writeMode: String?
    /// `dingtalk.api` of the fixtures a test case makes (nil: `DINGSYNC_TEST_API`, else the
    /// shipped config's topapi): the v1 subclasses of the important cases set it in `setUp`.
    nonisolated(unsafe) static var api: String?

    init(instances: [SimInstance], withDatabase: Bool = true, simulatorOptions: SimulatorOptions = .init(),
         adjust: (inout [String: Any]) -> Void = { _ in }) throws {
        var simulatorOptions = simulatorOptions
        let offset = self.offset
        simulatorOptions.now = { wallClockMs() + offset.ms }
        simulator = DingTalkSimulator(options: simulatorOptions)
        simulator.add(instances)
        try simulator.start()
        database = withDatabase ? try TestDatabase() : nil
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("dingsync-job-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let e = TestEnvironment.env
        env = [
            "DINGTALK_BASE_URL": simulator.baseURL,
            "DINGTALK_APP_KEY": simulatorOptions.appKey,
            "DINGTALK_APP_SECRET": simulatorOptions.appSecret,
            "DINGTALK_PROCESS_CODE": simulatorOptions.processCode,
            "MYSQL_SOCKET": database?.options.socket ?? "/nonexistent/dingsync-test.sock",
            "MYSQL_USER": e["DINGSYNC_TEST_MYSQL_USER"] ?? "nobody",
            "MYSQL_PASSWORD": e["DINGSYNC_TEST_MYSQL_PASSWORD"] ?? "no-password",
            "MYSQL_DATABASE": database?.name ?? "none",
        ]
        var config = try Self.referenceConfig()
        var dingtalk = config["dingtalk"] as! [String: Any]
        dingtalk["max_qps"] = 2000        // the simulator has no rate limit unless a test sets one
        dingtalk["retry"] = ["max_attempts": 6, "base_delay_ms": 10, "max_delay_ms": 200]
        // The pipeline's correctness tests run with a professional edition's budget, which buys
        // every-run freshness; the economy tests set their own tight budgets.
        dingtalk["monthly_call_budget"] = 1_000_000
        // DINGSYNC_TEST_API=v1 runs any suite against the v1 backend (issue 11: the end-to-end,
        // fault, kill and bad-input tests must pass for both APIs).
        if let api = Self.api ?? e["DINGSYNC_TEST_API"] { dingtalk["api"] = api }
        config["dingtalk"] = dingtalk
        var sync = config["sync"] as! [String: Any]
        let oldest = instances.map(\.createTimeMs).min() ?? simulatorOptions.now()
        sync["start"] = Self.isoUTC(oldest - 3_600_000)
        config["sync"] = sync
        if let mode = Self.writeMode, var mysql = config["mysql"] as? [String: Any] {
            mysql["write_mode"] = mode
            config["mysql"] = mysql
        }
        adjust(&config)
        try writeConfig(config)
    }

    deinit {
        simulator.stop()
        try? FileManager.default.removeItem(at: dir)
    }

    func writeConfig(_ config: [String: Any]) throws {
        let data = try JSONSerialization.data(withJSONObject: config, options: [.prettyPrinted, .sortedKeys])
        try data.write(to: configURL)
    }

    static func referenceConfig() throws -> [String: Any] {
        let data = try Data(contentsOf: TestEnvironment.repoRoot.appendingPathComponent("Config/wan-recharge.json"))
        return try JSONSerialization.jsonObject(with: data) as! [String: Any]
    }

    func run(_ args: [String], extraEnv: [String: String] = [:]) throws -> ProcessResult {
        try runDingsync(args + ["--config", configURL.path], env: env.merging(clockEnv) { _, b in b }.merging(extraEnv) { _, b in b })
    }

    /// The first instant of the next Beijing calendar month, in simulated time.
    func nextBeijingMonthMs() -> Int64 { BeijingMonth(containing: nowMs()).endMs }

    /// Ids the state tables record as owed a get (listed, not fetched yet).
    func owedIds(_ conn: MySQLConnection) throws -> Set<String> {
        Set(try conn.query("SELECT instance_id FROM dingsync_pending WHERE reason <> 'abandoned'").compactMap { $0.first ?? nil })
    }

    var clockEnv: [String: String] { offset.ms == 0 ? [:] : ["DINGSYNC_CLOCK_OFFSET_MS": "\(offset.ms)"] }

    static func isoUTC(_ ms: Int64) -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime]
        return f.string(from: Date(timeIntervalSince1970: Double(ms) / 1000))
    }

    static func generate(count: Int, days: Int, seed: UInt64 = 7, nowMs: Int64 = Int64(Date().timeIntervalSince1970 * 1000)) -> [SimInstance] {
        var g = ReferenceFormGenerator(seed: seed)
        return g.make(count: count, fromMs: nowMs - Int64(days) * 86_400_000, toMs: nowMs - 60_000)
    }
}

/// The simulated-time offset shared by a fixture's simulator and its runs.
final class TestClockOffset: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Int64 = 0
    var ms: Int64 { lock.lock(); defer { lock.unlock() }; return value }
    func add(_ delta: Int64) { lock.lock(); value += delta; lock.unlock() }
}

/// Tests that count calls work for either backend (`DINGSYNC_TEST_API`): v1 lists with
/// `instanceIds/query` where topapi uses `listids`.
extension DingTalkSimulator {
    var listingCalls: Int { calls(.listids) + calls(.v1Query) }
    var approvalCalls: Int { listingCalls + calls(.get) + calls(.v1Get) }
    var tokenCalls: Int { calls(.token) + calls(.v1Token) }
}

enum TestAPI {
    static var isV1: Bool { (JobFixture.api ?? TestEnvironment.env["DINGSYNC_TEST_API"]) == "v1" }
}
