@testable import DingSync
import Foundation
import Synchronization
import XCTest

/// Commands run in process over an injected environment: captured output, a clock of the
/// test's choosing, the job's variables. The executable passes `CommandEnvironment.live()`.
final class CommandEnvironmentTests: XCTestCase {
    static let day: Int64 = 86_400_000

    final class Captured: Sendable {
        private let out = Mutex(Data()), err = Mutex(Data())
        var stdout: String { String(decoding: out.withLock { $0 }, as: UTF8.self) }
        var stderr: String { String(decoding: err.withLock { $0 }, as: UTF8.self) }
        var console: Console {
            Console(writeOut: { d in self.out.withLock { $0.append(d) } }, writeErr: { d in self.err.withLock { $0.append(d) } })
        }
    }

    struct FixedClock: SyncClock {
        let ms: Int64
        func nowMs() -> Int64 { ms }
        func sleep(ms: Int) {}
    }

    func environment(_ job: JobFixture, _ captured: Captured, nowMs: Int64) -> (CommandEnvironment, GlobalSettings) {
        var g = GlobalSettings()
        g.configPath = job.configURL.path
        return (CommandEnvironment(variables: job.env, console: captured.console, clock: FixedClock(ms: nowMs)), g)
    }

    /// `check` reads its month, and the job's state, through the injected clock: a check "in"
    /// March 2027 reports March's spend, whatever the machine's date.
    func testCheckRunsInProcessOnTheInjectedClockAndOutput() throws {
        let job = try JobFixture(instances: JobFixture.generate(count: 20, days: 5, seed: 501))
        XCTAssertEqual(try job.run(["sync"]).code, 0)
        let captured = Captured()
        let march: Int64 = 1_804_089_600_000  // 2027-03-03 00:00 Beijing
        let (env, g) = environment(job, captured, nowMs: march)
        let code = CheckCommandBody.run(env, g)
        XCTAssertEqual(code, 0, captured.stdout + captured.stderr)
        XCTAssertTrue(captured.stdout.contains("budget"), captured.stdout)
        XCTAssertTrue(captured.stdout.contains("in 2027-03"), "the month of the injected clock: \(captured.stdout)")
        XCTAssertTrue(captured.stderr.contains("all checks passed"), captured.stderr)
    }

    /// A failing command reports through the same sinks: one error line, the exit code.
    func testAFailureIsOneLineOnTheInjectedStderr() throws {
        let captured = Captured()
        var g = GlobalSettings()
        g.configPath = "/nonexistent/job.json"
        let env = CommandEnvironment(variables: [:], console: captured.console, clock: FixedClock(ms: 0))
        let code = StatusCommandBody.run(env, g)
        XCTAssertEqual(code, 78)
        XCTAssertEqual(captured.stderr.components(separatedBy: "dingsync: error:").count - 1, 1, captured.stderr)
        XCTAssertTrue(captured.stdout.isEmpty)
    }

    /// `check` and `fields` take the token a sync cached and add their calls to the ledger:
    /// the organisation's quota sees every call the tool makes.
    func testOperatorCommandsUseTheCachedTokenAndTheLedger() throws {
        let job = try JobFixture(instances: JobFixture.generate(count: 20, days: 5, seed: 502))
        XCTAssertEqual(try job.run(["sync"]).code, 0)
        let conn = try job.connect()
        func ledger(_ endpoint: String) throws -> Int {
            let row = try conn.query("SELECT COALESCE(SUM(calls), 0) FROM dingsync_ledger WHERE endpoint = '\(endpoint)'").first
            return Int((row?.first ?? nil) ?? "0") ?? 0
        }
        let before = (listids: try ledger("listids"), get: try ledger("get"))
        job.simulator.resetCounters()
        let check = try job.run(["check"])
        XCTAssertEqual(check.code, 0, check.stderr)
        XCTAssertEqual(job.simulator.calls(.token), 0, "the sync's cached token serves check")
        XCTAssertTrue(check.stdout.contains("cached by an earlier run"), check.stdout)
        let fields = try job.run(["fields", "--sample", "2"])
        XCTAssertEqual(fields.code, 0, fields.stderr)
        XCTAssertEqual(job.simulator.calls(.token), 0)
        XCTAssertEqual(try ledger("listids") - before.listids, job.simulator.calls(.listids))
        XCTAssertEqual(try ledger("get") - before.get, job.simulator.calls(.get))
        XCTAssertGreaterThan(job.simulator.calls(.get), 0)
    }
}
