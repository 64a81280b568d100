@testable import DingSync
import XCTest

/// The budget's month is Beijing's, and pacing follows the calendar, not the cadence.
final class CallBudgetTests: XCTestCase {
    static let hour: Int64 = 3_600_000
    /// 2026-12-01 00:00 Beijing = 2026-11-30 16:00 UTC.
    static let decemberStart: Int64 = 1_796_054_400_000

    func testBeijingMonthBounds() {
        let m = BeijingMonth(containing: Self.decemberStart)
        XCTAssertEqual(m.description, "2026-12")
        XCTAssertEqual(m.startMs, Self.decemberStart)
        XCTAssertEqual(m.endMs, Self.decemberStart + 31 * 24 * Self.hour)
        // One millisecond before midnight in Beijing is still November, though UTC says the 30th 15:59.
        XCTAssertEqual(BeijingMonth(containing: Self.decemberStart - 1).description, "2026-11")
        XCTAssertEqual(BeijingMonth(containing: m.endMs).description, "2027-01")
        XCTAssertEqual(BeijingMonth(containing: m.endMs).endMs - m.endMs, 31 * 24 * Self.hour)
        XCTAssertEqual(BeijingMonth(containing: 1_771_862_400_000).description, "2026-02")  // 2026-02-24 Beijing
        XCTAssertEqual(BeijingMonth(containing: 1_771_862_400_000).lengthMs, 28 * 24 * Self.hour)
    }

    func testPacingFollowsTheCalendar() {
        let start = Self.decemberStart
        let length = 31 * 24 * Self.hour
        // At the first instant only the reserve (a day's share) is allowed.
        XCTAssertEqual(CallBudget(monthly: 3_100, spent: 0, nowMs: start).paced, 103)
        // Half way: reserve + half of the rest.
        XCTAssertEqual(CallBudget(monthly: 3_100, spent: 0, nowMs: start + length / 2).paced, 103 + (3_100 - 103) / 2)
        XCTAssertEqual(CallBudget(monthly: 3_100, spent: 1_000, nowMs: start + length / 2).paced, 103 + (3_100 - 103) / 2 - 1_000)
        // Ahead of the line: nothing more now.
        XCTAssertEqual(CallBudget(monthly: 3_100, spent: 2_000, nowMs: start + length / 2).paced, 0)
        // The last instant: everything that is left, never more.
        XCTAssertEqual(CallBudget(monthly: 3_100, spent: 3_000, nowMs: start + length - 1).paced, 99)
        XCTAssertEqual(CallBudget(monthly: 3_100, spent: 3_200, nowMs: start + length - 1).paced, 0)
    }

    func testCatchUpKeepsWhatTheRestOfTheMonthNeeds() {
        let start = Self.decemberStart
        let b = CallBudget(monthly: 4_000, spent: 0, nowMs: start)
        XCTAssertEqual(b.catchUp(steadyNeedPerMonth: 1_000), 3_000)
        XCTAssertEqual(b.catchUp(steadyNeedPerMonth: 5_000), 0)
        let late = CallBudget(monthly: 4_000, spent: 500, nowMs: start + 31 * 12 * Self.hour)
        XCTAssertEqual(late.catchUp(steadyNeedPerMonth: 1_000), 3_500 - 500)
    }

    func testProjectionAndWarningLine() {
        let b = CallBudget(monthly: 1_000, spent: 400, nowMs: Self.decemberStart + 31 * 12 * Self.hour)
        XCTAssertEqual(b.projectedMonthEnd, 800)
        XCTAssertFalse(b.overWarningLine)
        XCTAssertTrue(CallBudget(monthly: 1_000, spent: 800, nowMs: Self.decemberStart).overWarningLine)
    }
}
