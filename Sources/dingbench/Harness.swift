import DingSync
import Foundation
import MySQLClient

/// What every scenario needs: where the release binaries and the reference config are, a
/// scratch directory, and the throwaway MariaDB that bench.sh started (its env variables).
struct BenchEnv {
    let bin: String
    let repo: String
    let work: String
    let socket: String
    let user: String
    let password: String
    /// Per dingsync run; a run past it is killed and the figure reported as missing.
    let timeout: Double

    static let database = "dingbench"

    init(bin: String, repo: String, timeout: Double) throws {
        let env = ProcessInfo.processInfo.environment
        guard let socket = env["DINGSYNC_TEST_MYSQL_SOCKET"], let user = env["DINGSYNC_TEST_MYSQL_USER"],
              let password = env["DINGSYNC_TEST_MYSQL_PASSWORD"] else {
            throw BenchError("DINGSYNC_TEST_MYSQL_* not set: start MariaDB with scripts/mariadb.sh and eval its env")
        }
        self.bin = bin
        self.repo = repo
        self.socket = socket
        self.user = user
        self.password = password
        self.timeout = timeout
        work = NSTemporaryDirectory() + "dingbench-\(getpid())"
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
    }

    func removeWork() { try? FileManager.default.removeItem(atPath: work) }

    func connect(database: String? = nil) throws -> MySQLConnection {
        try MySQLConnection(MySQLOptions(socket: socket, user: user, password: password, database: database))
    }

    /// A fresh database holding only the reference job's target table.
    func freshDatabase() throws {
        let admin = try connect()
        try admin.execute("DROP DATABASE IF EXISTS `\(Self.database)`")
        try admin.execute("CREATE DATABASE `\(Self.database)` CHARACTER SET utf8mb4")
        let ddl = try String(contentsOfFile: "\(repo)/Config/master_wan_recharge.sql", encoding: .utf8)
        try connect(database: Self.database).execute(ddl)
    }

    /// The reference config with the bench's rate settings and the simulator as DingTalk.
    /// Credentials stay `${...}` references filled from the environment, as in production.
    func writeConfig(baseURL: String, maxQPS: Double, concurrency: Int, budget: Int? = nil, api: DingTalkAPI = .topapi,
                     events: [String]? = nil) throws -> String {
        let data = try Data(contentsOf: URL(fileURLWithPath: "\(repo)/Config/wan-recharge.json"))
        guard var root = try JSONSerialization.jsonObject(with: data) as? [String: Any],
              var dt = root["dingtalk"] as? [String: Any] else { throw BenchError("Config/wan-recharge.json: no dingtalk section") }
        dt["base_url"] = baseURL
        dt["max_qps"] = maxQPS
        dt["concurrency"] = concurrency
        // The throughput scenarios measure speed, not the monthly budget: give them room.
        dt["monthly_call_budget"] = budget ?? 10_000_000
        dt["api"] = api.rawValue
        root["dingtalk"] = dt
        if let events { root["events"] = ["stream": true, "types": events] }
        let path = "\(work)/job.json"
        try JSONSerialization.data(withJSONObject: root, options: [.prettyPrinted]).write(to: URL(fileURLWithPath: path))
        return path
    }

    func syncEnvironment(startDaysAgo days: Int) -> [String: String] {
        [
            "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8",
            "DINGTALK_APP_KEY": "sim-app-key", "DINGTALK_APP_SECRET": "sim-app-secret",
            "DINGTALK_PROCESS_CODE": "PROC-SIM-WAN-RECHARGE",
            "MYSQL_SOCKET": socket, "MYSQL_USER": user, "MYSQL_PASSWORD": password,
            "MYSQL_DATABASE": Self.database, "DINGSYNC_START": Self.beijingDate(daysAgo: days),
        ]
    }

    static func beijingDate(daysAgo: Int) -> String {
        var t = time_t(Date().timeIntervalSince1970) + 8 * 3600 - time_t(daysAgo) * 86_400
        var parts = tm()
        gmtime_r(&t, &parts)
        return String(format: "%04d-%02d-%02d", Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1, Int(parts.tm_mday))
    }
}

/// The `dingsim` executable, driven through `--control stdin`.
final class Sim {
    let child: Child
    let baseURL: String
    let days: Int

    init(_ env: BenchEnv, count: Int, days: Int = 40, latencyMs: Int = 0, qps: Int? = nil, seed: Int = 42) throws {
        var args = ["--port", "0", "--seed", "\(seed)", "--count", "\(count)", "--days", "\(days)",
                    "--latency-ms", "\(latencyMs)", "--control", "stdin"]
        if let qps { args += ["--qps", "\(qps)"] }
        child = try Child("\(env.bin)/dingsim", args, env: ["LANG": "C.UTF-8"], log: "\(env.work)/dingsim.log",
                          pipeStdin: true, pipeStdout: true)
        self.days = days
        let first = try child.stdoutLines!.line(timeout: 120)
        guard let r = first.range(of: "listening on "), let url = first[r.upperBound...].split(separator: " ").first else {
            throw BenchError("dingsim did not start: \(first)")
        }
        baseURL = String(url)
    }

    /// Sends one control command and returns its answer's JSON (flat object of integers).
    func command(_ line: String) throws -> [String: Int] {
        try child.send(line)
        let answer = try child.stdoutLines!.line(timeout: 60)
        let word = line.split(separator: " ").first.map(String.init) ?? line
        guard answer.hasPrefix(word + " {") else { throw BenchError("dingsim answered \(answer) to \(line)") }
        let json = Data(answer.dropFirst(word.count + 1).utf8)
        return (try JSONSerialization.jsonObject(with: json) as? [String: Int]) ?? [:]
    }

    func stop() {
        child.closeStdin()
        let exit = child.wait(timeout: 15)
        if exit.timedOut { FileHandle.standardError.write(Data("dingbench: dingsim did not stop; killed\n".utf8)) }
    }
}

/// One `dingsync sync` run, timed by us (spawn to exit) and with its own summary.
struct SyncRun {
    let exit: Child.Exit
    let summary: RunSummary

    static func run(_ env: BenchEnv, sim: Sim, maxQPS: Double, concurrency: Int, label: String) throws -> SyncRun {
        let config = try env.writeConfig(baseURL: sim.baseURL, maxQPS: maxQPS, concurrency: concurrency)
        let summaryPath = "\(env.work)/summary-\(label).json"
        let log = "\(env.work)/dingsync-\(label).log"
        let child = try Child("\(env.bin)/dingsync", ["sync", "--config", config, "--summary-json", summaryPath, "-q"],
                              env: env.syncEnvironment(startDaysAgo: sim.days + 1), log: log)
        let exit = child.wait(timeout: env.timeout)
        guard !exit.timedOut, exit.status == 0 || exit.status == 65 else {  // 65: some rows rejected, the rest written
            let tail = (try? String(contentsOfFile: log, encoding: .utf8))?.split(separator: "\n").suffix(5).joined(separator: "\n") ?? ""
            throw BenchError("dingsync (\(label)) \(exit.description):\n\(tail)")
        }
        let summary = try JSONDecoder().decode(RunSummary.self, from: Data(contentsOf: URL(fileURLWithPath: summaryPath)))
        return SyncRun(exit: exit, summary: summary)
    }
}
