import DingTalkSimulator
import Foundation
import XCTest

/// cli.md: a non-zero exit prints exactly one `dingsync: error:` line. Cron mails and log
/// scrapers count those lines, so a failure echoed twice (or once more as an ERROR log line)
/// reads as two failures.
final class ErrorLineTests: XCTestCase {
    private static let marker = "dingsync: error: "

    /// Exactly one error line, and no other stderr line repeats its text (e.g. as an ERROR log).
    private func assertOneErrorLine(_ r: ProcessResult, code: Int32, mentions: String,
                                    file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(r.code, code, r.stderr, file: file, line: line)
        let errorLines = r.stderrLines.filter { $0.contains(Self.marker) }
        XCTAssertEqual(errorLines.count, 1, r.stderr, file: file, line: line)
        guard let errorLine = errorLines.first else { return }
        XCTAssertTrue(errorLine.hasPrefix(Self.marker), "the error line starts with the marker: \(errorLine)", file: file, line: line)
        XCTAssertTrue(errorLine.contains(mentions), "\(errorLine) should mention \(mentions)", file: file, line: line)
        let text = String(errorLine.dropFirst(Self.marker.count))
        let repeats = r.stderrLines.filter { $0 != errorLine && $0.contains(text) }
        XCTAssertEqual(repeats, [], "the error text is printed once, not again as a log line", file: file, line: line)
    }

    private func job(_ options: SimulatorOptions = .init(), withDatabase: Bool = true) throws -> JobFixture {
        try JobFixture(instances: JobFixture.generate(count: 3, days: 2), withDatabase: withDatabase, simulatorOptions: options)
    }

    /// config.md: http:// to a non-loopback host would send the app secret in clear text.
    func testClearTextBaseURLIsOneConfigErrorNamingTheKey() throws {
        let r = try job().run(["sync"], extraEnv: ["DINGTALK_BASE_URL": "http://oapi.dingtalk.com"])
        assertOneErrorLine(r, code: 78, mentions: "dingtalk.base_url")
    }

    func testMissingTargetTableIsOneConfigError() throws {
        let j = try job()
        try j.database!.admin.execute("DROP TABLE master_wan_recharge")
        assertOneErrorLine(try j.run(["sync"]), code: 78, mentions: "master_wan_recharge")
    }

    func testPermissionDeniedIsOneError() throws {
        var options = SimulatorOptions()
        options.faults.permissionDenied = true
        assertOneErrorLine(try job(options).run(["sync"]), code: 77, mentions: "60011")
    }

    func testUnreachableMySQLIsOneError() throws {
        let r = try job(withDatabase: false).run(["sync"], extraEnv: ["MYSQL_SOCKET": "/nonexistent.sock"])
        assertOneErrorLine(r, code: 69, mentions: "/nonexistent.sock")
    }
}
