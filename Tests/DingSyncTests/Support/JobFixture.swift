import DingTalkSimulator
import Foundation
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

    init(instances: [SimInstance], withDatabase: Bool = true, simulatorOptions: SimulatorOptions = .init(),
         adjust: (inout [String: Any]) -> Void = { _ in }) throws {
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
        config["dingtalk"] = dingtalk
        var sync = config["sync"] as! [String: Any]
        let oldest = instances.map(\.createTimeMs).min() ?? simulatorOptions.now()
        sync["start"] = Self.isoUTC(oldest - 3_600_000)
        config["sync"] = sync
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
        try runDingsync(args + ["--config", configURL.path], env: env.merging(extraEnv) { _, b in b })
    }

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
