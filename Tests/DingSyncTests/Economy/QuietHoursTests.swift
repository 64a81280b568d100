@testable import DingSync
import XCTest

/// While pushes bring the closes, the hours that bring the fewest arrivals list half as often,
/// within a bound on the arrivals that makes later than an hour.
final class QuietHoursTests: XCTestCase {
    static let minute: Int64 = 60_000

    /// The benchmark's hours: 80 % between 09:00 and 18:00, the rest spread over the day.
    static let officeProfile: [Int] = (0..<24).map { (9..<18).contains($0) ? 140 : 13 }

    func testTheQuietestHoursStretchWithinTheLateShare() {
        let quiet = QuietHours.quiet(arrivalsByHour: Self.officeProfile, intervalMs: 55 * Self.minute)
        XCTAssertFalse(quiet.isEmpty)
        XCTAssertTrue(quiet.isDisjoint(with: Set(9..<18)), "office hours keep the hour: \(quiet.sorted())")
        let total = Double(Self.officeProfile.reduce(0, +))
        let stretched = 2 * 55.0
        let late = quiet.reduce(0.0) { $0 + Double(Self.officeProfile[$1]) / total * (stretched - 60) / stretched }
        XCTAssertLessThanOrEqual(late, QuietHours.lateShare)
        XCTAssertGreaterThan(late, QuietHours.lateShare - 0.01, "it stretches as many quiet hours as the bound allows")
    }

    func testAFlatOrUnknownProfileKeepsTheInterval() {
        XCTAssertEqual(QuietHours.quiet(arrivalsByHour: [], intervalMs: 55 * Self.minute), [])
        XCTAssertEqual(QuietHours.quiet(arrivalsByHour: [Int](repeating: 5, count: 24), intervalMs: 55 * Self.minute), [],
                       "120 arrivals in 30 days say nothing of the hours")
        let flat = QuietHours.quiet(arrivalsByHour: [Int](repeating: 60, count: 24), intervalMs: 55 * Self.minute)
        XCTAssertLessThanOrEqual(flat.count, 1, "an hour of a flat day brings 4 % of arrivals: one at most fits the bound")
    }

    func testTheIntervalAtAnInstantFollowsItsHourInTheJobsZone() {
        let offset = 8 * RevisitPolicy.hour
        let threeAM: Int64 = 1_798_732_800_000 + 3 * RevisitPolicy.hour  // 2027-01-01 03:00 Beijing
        let elevenAM = threeAM + 8 * RevisitPolicy.hour
        XCTAssertEqual(QuietHours.interval(55 * Self.minute, arrivalsByHour: Self.officeProfile, nowMs: threeAM, hourOffsetMs: offset), 110 * Self.minute)
        XCTAssertEqual(QuietHours.interval(55 * Self.minute, arrivalsByHour: Self.officeProfile, nowMs: elevenAM, hourOffsetMs: offset), 55 * Self.minute)
    }

    /// Only while pushes flow: a polling job's listing keeps its fitted interval at night.
    func testThePlannerStretchesOnlyWhilePushesFlow() {
        let now: Int64 = 1_798_732_800_000 + 3 * RevisitPolicy.hour
        var snap = JobSnapshot(watermarkMs: now - 70 * Self.minute, lastListedMs: now - 70 * Self.minute, arrivalsLast30Days: 1_500)
        snap.arrivalsByHour = Self.officeProfile
        var s = Planner.Settings()
        s.monthlyBudget = 4_000
        s.closesByEvent = true
        s.startMs = now - 30 * RevisitPolicy.day
        snap.coverage = EventCoverage(spans: [.init(fromMs: now - 2 * RevisitPolicy.day, toMs: now)])
        let night = Planner.listing(snap, budget: CallBudget(monthly: 4_000, spent: 0, nowMs: now), settings: s)
        XCTAssertTrue(night.windows.isEmpty, "70 minutes after the last listing, at 03:00: not due yet")
        XCTAssertEqual(night.policy.listIntervalMs, 110 * Self.minute)
        let day = Planner.listing(snap, budget: CallBudget(monthly: 4_000, spent: 0, nowMs: now + 8 * RevisitPolicy.hour), settings: s)
        XCTAssertLessThanOrEqual(day.policy.listIntervalMs, 55 * Self.minute)
    }
}
