@testable import DingSync
import Synchronization
import XCTest

/// A clock that only moves when slept on: rate arithmetic without timing.
final class ManualClock: SyncClock {
    private let now = Mutex<Int64>(0)
    func nowMs() -> Int64 { now.withLock { $0 } }
    func sleep(ms: Int) { now.withLock { $0 += Int64(ms) } }
}

final class RateLimiterTests: XCTestCase {
    func testPacesCallsAtTheConfiguredRate() {
        let clock = ManualClock()
        let limiter = RateLimiter(qps: 20, clock: clock)
        for _ in 0..<101 { limiter.acquire() }
        // The first call is free; 100 more at 20/s take 5 s of (manual) time.
        XCTAssertEqual(clock.nowMs(), 5_000)
    }

    func testThrottlingSlowsDownThenRecoversGradually() {
        let limiter = RateLimiter(qps: 100, clock: ManualClock())
        limiter.throttled()
        XCTAssertEqual(limiter.currentRate, 70, accuracy: 0.001)
        limiter.throttled()
        XCTAssertEqual(limiter.currentRate, 49, accuracy: 0.001)
        for _ in 0..<10 { limiter.succeeded() }
        XCTAssertEqual(limiter.currentRate, 59, accuracy: 0.001, "additive increase")
        for _ in 0..<1_000 { limiter.succeeded() }
        XCTAssertEqual(limiter.currentRate, 100, accuracy: 0.001, "never above the configured rate")
        for _ in 0..<100 { limiter.throttled() }
        XCTAssertEqual(limiter.currentRate, 1, accuracy: 0.001, "never below one call a second")
    }
}
