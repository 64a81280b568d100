import Foundation
import XCTest

/// A `dingsync` started without waiting for it, so a test can kill it mid-run (by its own pid
/// only) or run two at once. Output goes to files: a pipe nobody reads could block the child.
final class RunningDingsync {
    let process = Process()
    let args: [String]
    private let dir: URL
    private let out: URL
    private let err: URL

    init(_ args: [String], env extra: [String: String]) throws {
        self.args = args
        process.executableURL = TestEnvironment.binary("dingsync")
        process.arguments = args
        var env = ProcessInfo.processInfo.environment
        env.removeValue(forKey: "DINGSYNC_CONFIG")
        for (k, v) in extra { env[k] = v }
        process.environment = env
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("dingsync-bg-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        out = dir.appendingPathComponent("out")
        err = dir.appendingPathComponent("err")
        FileManager.default.createFile(atPath: out.path, contents: nil)
        FileManager.default.createFile(atPath: err.path, contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: out)
        process.standardError = try FileHandle(forWritingTo: err)
        try process.run()
    }

    deinit {
        if process.isRunning { Glibc.kill(process.processIdentifier, SIGKILL); process.waitUntilExit() }
        try? FileManager.default.removeItem(at: dir)
    }

    var pid: Int32 { process.processIdentifier }
    var isRunning: Bool { process.isRunning }

    /// SIGKILL by default: no handler runs, nothing is flushed or rolled back by the process.
    func kill(_ signal: Int32 = SIGKILL) {
        guard process.isRunning else { return }
        Glibc.kill(pid, signal)
    }

    /// Polls `condition` every 2 ms while the process runs; true when it held before the exit.
    @discardableResult
    func wait(until condition: () -> Bool, timeout: TimeInterval = 120) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline {
            if condition() { return true }
            usleep(2_000)
        }
        return false
    }

    func finish(timeout: TimeInterval = 300, file: StaticString = #filePath, line: UInt = #line) -> ProcessResult {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(10_000) }
        if process.isRunning {
            XCTFail("dingsync \(args) did not finish in \(timeout)s", file: file, line: line)
            kill()
        }
        process.waitUntilExit()
        return ProcessResult(code: process.terminationStatus,
                             stdout: (try? String(contentsOf: out, encoding: .utf8)) ?? "",
                             stderr: (try? String(contentsOf: err, encoding: .utf8)) ?? "")
    }

    /// True when the process died of `signal` (not an exit status).
    var wasKilled: Bool { process.terminationReason == .uncaughtSignal }
}

extension JobFixture {
    func start(_ args: [String], extraEnv: [String: String] = [:]) throws -> RunningDingsync {
        try RunningDingsync(args + ["--config", configURL.path], env: env.merging(clockEnv) { _, b in b }.merging(extraEnv) { _, b in b })
    }

    /// Rewrites part of the job config after creation.
    func adjustConfig(_ change: (inout [String: Any]) -> Void) throws {
        let data = try Data(contentsOf: configURL)
        var config = try JSONSerialization.jsonObject(with: data) as! [String: Any]
        change(&config)
        try writeConfig(config)
    }
}

/// Sets `config[section][key]`.
func setting(_ config: inout [String: Any], _ section: String, _ key: String, _ value: Any) {
    var s = config[section] as? [String: Any] ?? [:]
    s[key] = value
    config[section] = s
}
