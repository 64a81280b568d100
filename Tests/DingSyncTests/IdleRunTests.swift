import DingSync
import DingTalkSimulator
import Foundation
import XCTest

/// A `sync` run by hand minutes after another makes no call: its summary says why (when the next
/// listing is due, what is due before then) and what fetches a range now. The time it names is
/// the one the planner keeps.
final class IdleRunTests: XCTestCase {
    func testNoOpRunSaysWhenTheNextListingIsDue() throws {
        let job = try JobFixture(instances: JobFixture.generate(count: 20, days: 3, seed: 192)) { c in
            setting(&c, "dingtalk", "monthly_call_budget", 2_000)
        }
        XCTAssertEqual(try job.run(["sync"]).code, 0)
        let listings = job.simulator.listingCalls

        let idle = try job.run(["sync"])
        XCTAssertEqual(idle.code, 0, idle.stderr)
        XCTAssertEqual(job.simulator.listingCalls, listings, "a listing minutes after another is not due")
        let summary = try XCTUnwrap(idle.stderrLines.last { $0.hasPrefix("sync wan-recharge:") }, idle.stderr)
        XCTAssertTrue(summary.contains("instance(s) due a get before"), summary)
        XCTAssertTrue(summary.contains("`dingsync backfill --from DATE --to DATE` fetches a range now"), summary)
        let next = try XCTUnwrap(OutstandingRejectsTests.time(after: "next listing due at ", in: summary), summary)
        XCTAssertGreaterThan(next, job.nowMs())

        job.advance(next - job.nowMs() - 60_000)
        XCTAssertEqual(try job.run(["sync"]).code, 0)
        XCTAssertEqual(job.simulator.listingCalls, listings, "a minute before the time it named, still not due")
        job.advance(61_000)
        XCTAssertEqual(try job.run(["sync"]).code, 0)
        XCTAssertGreaterThan(job.simulator.listingCalls, listings, "at the time it named, the run lists")
    }
}
