import DingSync
import DingTalkSimulator
import Foundation
import XCTest

/// A reject from an earlier run, fixed at the source, and a `sync` before its retry is due: the
/// run exits 65 for it, and the line and the alert count it (not this run's none) and say when
/// it is refetched.
final class OutstandingRejectsTests: XCTestCase {
    func testExit65LineAndAlertCountTheRejectsStillRecorded() throws {
        let job = try JobFixture(instances: JobFixture.generate(count: 20, days: 3, seed: 191)) { config in
            config["alert"] = ["webhook": "${DINGTALK_ROBOT_WEBHOOK}", "secret": "${DINGTALK_ROBOT_SECRET}", "on": ["rejects"]]
        }
        job.env["DINGTALK_ROBOT_WEBHOOK"] = job.simulator.robotWebhook
        job.env["DINGTALK_ROBOT_SECRET"] = job.simulator.options.robotSecret!
        let victim = job.simulator.instances()[3].id
        func amount(_ value: String) {
            job.simulator.update(victim) { inst in
                if let i = inst.components.firstIndex(where: { $0.name == "充值金额" }) { inst.components[i].value = value }
            }
        }
        amount("abc")
        let first = try job.run(["sync"])
        XCTAssertEqual(first.code, 65, first.stderr)
        amount("100.00")                                  // fixed in DingTalk

        let second = try job.run(["sync"])
        XCTAssertEqual(second.code, 65, second.stderr)
        let line = try XCTUnwrap(second.stderrLines.last, second.stderr)
        XCTAssertTrue(line.hasPrefix("dingsync: 1 instance(s) could not be written (0 in this run)"), line)
        XCTAssertEqual(job.simulator.robotMessages().last?.title, "dingsync wan-recharge: 1 instance(s) not written")
        XCTAssertTrue(job.simulator.robotMessages().last?.text.contains("refetched by the first run from") ?? false)

        // The time it names is when the refetch is due: a run a minute before still waits, a
        // run at it (the second after, as the line drops the milliseconds) writes the fixed row.
        let due = try XCTUnwrap(Self.time(after: "refetched by the first run from ", in: line), line)
        job.advance(due - job.nowMs() - 60_000)
        XCTAssertEqual(try job.run(["sync"]).code, 65, "not due a minute before the time it named")
        job.advance(61_000)
        let fixed = try job.run(["sync"])
        XCTAssertEqual(fixed.code, 0, fixed.stderr)
        try job.assertTableEqualsTruth(nil, "the fixed reject is written when due")
    }

    /// The instant of "<prefix>2026-12-05 03:00:00 Asia/Shanghai" in a summary line.
    static func time(after prefix: String, in line: String) -> Int64? {
        guard let r = line.range(of: prefix + #"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d Asia/Shanghai"#, options: .regularExpression) else { return nil }
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "Asia/Shanghai")
        f.dateFormat = "yyyy-MM-dd HH:mm:ss"
        let text = line[r].dropFirst(prefix.count).prefix(19)
        return f.date(from: String(text)).map { Int64($0.timeIntervalSince1970 * 1000) }
    }
}
