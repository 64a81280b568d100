import Foundation
import XCTest
@testable import DingSyncMapping

final class TimeTests: XCTestCase {
    /// Epoch ms computed independently, through Foundation's calendar (slow but authoritative).
    func reference(_ y: Int, _ mo: Int, _ d: Int, _ h: Int = 0, _ mi: Int = 0, _ s: Int = 0, in zone: TimeZone) -> Int64 {
        var cal = Calendar(identifier: .gregorian)
        cal.timeZone = zone
        let date = cal.date(from: DateComponents(year: y, month: mo, day: d, hour: h, minute: mi, second: s))!
        return Int64((date.timeIntervalSince1970 * 1000).rounded())
    }

    func testCivilArithmeticAgreesWithFoundation() {
        var cal = Calendar(identifier: .gregorian)
        cal.timeZone = utc
        // Every 7th day across 1600–2400 (leap centuries included).
        var day = Civil.daysFromCivil(1600, 1, 1)
        let end = Civil.daysFromCivil(2400, 12, 31)
        while day <= end {
            let (y, m, d) = Civil.civilFromDays(day)
            XCTAssertEqual(Civil.daysFromCivil(y, m, d), day)
            let c = cal.dateComponents([.year, .month, .day], from: Date(timeIntervalSince1970: Double(day) * 86400))
            if (c.year, c.month, c.day) != (y, m, d) { XCTFail("day \(day): \(y)-\(m)-\(d) vs \(c)"); return }
            day += 7
        }
        XCTAssertEqual(Civil.daysFromCivil(1970, 1, 1), 0)
        XCTAssertEqual(Civil.daysFromCivil(2000, 3, 1), 11017)
    }

    func testDingTalkBeijing() {
        XCTAssertEqual(DingTalkTime.parseBeijing("2020-12-21 15:30:26"), 1_608_535_826_000)
        XCTAssertEqual(DingTalkTime.parseBeijing("2020-12-21 15:30"), 1_608_535_800_000)
        XCTAssertEqual(DingTalkTime.parseBeijing("2020-12-21"), reference(2020, 12, 21, in: shanghai))
        XCTAssertEqual(DingTalkTime.parseBeijing("1608535826123"), 1_608_535_826_123)
        XCTAssertNil(DingTalkTime.parseBeijing("2020-02-30 00:00:00"))
        XCTAssertNil(DingTalkTime.parseBeijing("2020-12-21T15:30:26"))
        XCTAssertNil(DingTalkTime.parseBeijing(""))
        XCTAssertEqual(DingTalkTime.formatBeijing(1_608_535_826_999), "2020-12-21 15:30:26")
        XCTAssertEqual(DingTalkTime.formatBeijing(0), "1970-01-01 08:00:00")
        XCTAssertEqual(DingTalkTime.formatBeijing(-1), "1970-01-01 07:59:59")
        for text in ["2024-02-29 23:59:59", "2026-01-01 00:00:00", "1999-12-31 16:00:00"] {
            XCTAssertEqual(DingTalkTime.parseBeijing(text).map(DingTalkTime.formatBeijing), text)
        }
    }

    func testLocalDateTimeFromEpoch() {
        let ms = reference(2026, 3, 8, 7, 0, 0, in: utc)  // the minute New York springs forward
        XCTAssertEqual(LocalDateTime(epochMs: ms - 1000, timeZone: newYork), dt(2026, 3, 8, 1, 59, 59))
        XCTAssertEqual(LocalDateTime(epochMs: ms, timeZone: newYork), dt(2026, 3, 8, 3, 0, 0))
        XCTAssertEqual(LocalDateTime(epochMs: ms, timeZone: shanghai), dt(2026, 3, 8, 15))
        XCTAssertEqual(LocalDateTime(epochMs: -1, timeZone: utc), dt(1969, 12, 31, 23, 59, 59))
        XCTAssertEqual(LocalDateTime(epochMs: 253_402_300_799_999, timeZone: utc), dt(9999, 12, 31, 23, 59, 59))
        XCTAssertEqual(dt(2026, 6, 1, 8, 5, 9).description, "2026-06-01 08:05:09")
        XCTAssertEqual(dt(33, 1, 2).dateText, "0033-01-02")
    }

    func testParseBoundaryForms() throws {
        let start = reference(2026, 6, 1, in: shanghai)
        XCTAssertEqual(try TimeParsing.parseBoundary("2026-06-01", timeZone: shanghai), start)
        XCTAssertEqual(try TimeParsing.parseBoundary("2026-06-01", timeZone: newYork), reference(2026, 6, 1, in: newYork))
        let eight = reference(2026, 6, 1, 8, in: shanghai)
        for text in ["2026-06-01T08:00:00+08:00", "2026-06-01T00:00:00Z", "2026-06-01T00:00:00z",
                     "2026-06-01T08:00:00+0800", "2026-06-01T08:00+08:00", "2026-06-01T08:00:00.000+08:00",
                     "2026-06-01 08:00:00+08", "2026-05-31T20:00:00-04:00", "2026-06-01T08:00:00,0+08:00"] {
            XCTAssertEqual(try TimeParsing.parseBoundary(text, timeZone: newYork), eight, text)
        }
        // Without an offset: read in the job's zone.
        for text in ["2026-06-01T08:00", "2026-06-01T08:00:00", "2026-06-01 08:00:00", "2026-06-01 08:00"] {
            XCTAssertEqual(try TimeParsing.parseBoundary(text, timeZone: shanghai), eight, text)
        }
        XCTAssertEqual(try TimeParsing.parseBoundary("2026-06-01T08:00:00.123456Z", timeZone: utc),
                       reference(2026, 6, 1, 8, in: utc) + 123)
        XCTAssertEqual(try TimeParsing.parseBoundary("2026-06-01T08:00:00.5Z", timeZone: utc),
                       reference(2026, 6, 1, 8, in: utc) + 500)
        XCTAssertEqual(try TimeParsing.parseBoundary("2024-02-29", timeZone: utc), reference(2024, 2, 29, in: utc))
    }

    func testParseBoundaryAcrossDST() throws {
        // 2026-03-08 02:30 does not exist in New York: read with the pre-gap offset (EST) → 03:30 EDT.
        XCTAssertEqual(try TimeParsing.parseBoundary("2026-03-08T02:30", timeZone: newYork),
                       reference(2026, 3, 8, 7, 30, in: utc))
        // 2026-11-01 01:30 happens twice: the earlier (EDT) instant is taken.
        XCTAssertEqual(try TimeParsing.parseBoundary("2026-11-01T01:30", timeZone: newYork),
                       reference(2026, 11, 1, 5, 30, in: utc))
        XCTAssertEqual(try TimeParsing.parseBoundary("2026-07-01", timeZone: newYork), reference(2026, 7, 1, 4, in: utc))
        XCTAssertEqual(try TimeParsing.parseBoundary("2026-01-01", timeZone: newYork), reference(2026, 1, 1, 5, in: utc))
    }

    func testParseBoundaryErrors() {
        let bad = ["", "yesterday", "2026-6-1", "2026/06/01", "2026-02-30", "2026-13-01", "2026-06-01T",
                   "2026-06-01T8:00", "2026-06-01T24:00", "2026-06-01T08:00:61", "2026-06-01T08:00:00+8",
                   "2026-06-01T08:00:00+19:00", "2026-06-01T08:00:00+08:60", "2026-06-01T08:00:00.Z",
                   "2026-06-01T08:00:00.1234567890Z", "2026-06-01T08:00:00 +08:00", " 2026-06-01",
                   "2026-06-01 ", "2026-06-01x", "1780452942000", "2026-06-01T08:00:00+08:00:00"]
        for text in bad {
            XCTAssertThrowsError(try TimeParsing.parseBoundary(text, timeZone: shanghai), text) { error in
                let message = String(describing: error)
                XCTAssertTrue(message.contains("accepted forms: YYYY-MM-DD"), message)
                XCTAssertTrue(message.contains(MappedValue.quoted(text)), message)
            }
        }
        XCTAssertThrowsError(try TimeParsing.parseBoundary("2026-02-30", timeZone: shanghai)) { error in
            XCTAssertEqual((error as? TimeParsing.BoundaryError)?.reason, "day 30 out of range for 2026-02 (28 days)")
        }
    }

    func testFormatLocalRoundTrips() throws {
        let ms = reference(2026, 6, 1, 8, 0, 0, in: shanghai) + 42
        XCTAssertEqual(TimeParsing.formatLocal(ms, timeZone: shanghai), "2026-06-01 08:00:00.042+08:00")
        XCTAssertEqual(TimeParsing.formatLocal(ms, timeZone: utc), "2026-06-01 00:00:00.042+00:00")
        XCTAssertEqual(TimeParsing.formatLocal(ms, timeZone: newYork), "2026-05-31 20:00:00.042-04:00")
        XCTAssertEqual(TimeParsing.formatLocal(ms, timeZone: TimeZone(identifier: "Asia/Kolkata")!),
                       "2026-06-01 05:30:00.042+05:30")
        for zone in [shanghai, utc, newYork, TimeZone(identifier: "America/St_Johns")!] {
            for t in stride(from: Int64(1_700_000_000_000), to: 1_800_000_000_000, by: 3_333_333_337) {
                let text = TimeParsing.formatLocal(t, timeZone: zone)
                XCTAssertEqual(try TimeParsing.parseBoundary(text, timeZone: utc), t, text)
            }
        }
    }
}
