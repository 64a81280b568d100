import DingTalkSimulator
import Foundation
import MySQLClient
import XCTest

/// A MySQL server whose time zone is neither UTC nor `sync.timezone`: DATETIME columns get the
/// mapped wall-clock values exactly (they are bound as MYSQL_TIME, which a DATETIME column
/// stores as given, whatever the session's @@time_zone), and the tool's own state times (UTC
/// text from its own clock) do not shift.
final class SessionTimeZoneTests: XCTestCase {
    func testDatetimesAndStateTimesIgnoreTheServerTimeZone() throws {
        let instances = JobFixture.generate(count: 40, days: 5)
        let job = try JobFixture(instances: instances)   // sync.timezone: Asia/Shanghai (+08:00)
        let db = try XCTUnwrap(job.database)
        let before = try XCTUnwrap(try db.rows("SELECT @@GLOBAL.time_zone").first?.first ?? nil)
        // New sessions (the tool's) start in -05:00: thirteen hours from Beijing, five from UTC.
        try db.admin.execute("SET GLOBAL time_zone = '-05:00'")
        defer { try? db.admin.execute("SET GLOBAL time_zone = '\(before)'") }

        // The setting is in force for a new session, and it is visible in server-side time.
        let probe = try MySQLConnection(db.options)
        XCTAssertEqual(try probe.query("SELECT @@SESSION.time_zone").first?.first ?? nil, "-05:00")
        let skew = try XCTUnwrap(try probe.query("SELECT TIMESTAMPDIFF(HOUR, UTC_TIMESTAMP(), NOW())").first?.first ?? nil)
        XCTAssertEqual(skew, "-5", "the server's NOW() is five hours behind UTC in such a session")

        let startedMs = wallClockMs()
        let result = try job.run(["sync"])
        XCTAssertEqual(result.code, 0, result.stderr)
        let finishedMs = wallClockMs()

        // DATETIME columns hold the Beijing wall-clock times the mapping produced, unshifted.
        try job.assertTableEqualsTruth(probe, "with the session in -05:00")

        // The run log's times are the tool's UTC clock, not the server's.
        let run = try XCTUnwrap(try db.rows("SELECT started_at, finished_at FROM dingsync_runs ORDER BY id DESC LIMIT 1").first)
        for (name, text) in zip(["started_at", "finished_at"], run) {
            let ms = try XCTUnwrap(Self.utcMs(text), "\(name) = \(text ?? "NULL")")
            XCTAssertGreaterThanOrEqual(ms, startedMs - 2_000, "\(name) \(text ?? "") is before the run")
            XCTAssertLessThanOrEqual(ms, finishedMs + 2_000, "\(name) \(text ?? "") is after the run")
        }
        // The watermark is an instant (epoch ms) taken from the tool's clock.
        let watermark = try XCTUnwrap(try job.watermark(probe))
        XCTAssertLessThanOrEqual(watermark, finishedMs + 1_000)
        XCTAssertGreaterThan(watermark, startedMs - 86_400_000)
    }

    /// "YYYY-MM-DD HH:MM:SS" read as UTC.
    private static func utcMs(_ text: String?) -> Int64? {
        guard let text else { return nil }
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = "yyyy-MM-dd HH:mm:ss"
        return f.date(from: String(text.prefix(19))).map { Int64($0.timeIntervalSince1970 * 1000) }
    }
}
