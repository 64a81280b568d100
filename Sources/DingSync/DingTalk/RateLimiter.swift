import Foundation
import Synchronization

/// A token bucket per DingTalk API, shared by every worker calling that API. DingTalk's limit
/// is per app per API per second, so the bucket holds at most one second's worth of calls.
public final class RateLimiter: Sendable {
    private struct State { var tokens: Double; var lastMs: Int64 }
    private let state: Mutex<State>
    private let ratePerMs: Double
    private let capacity: Double
    private let clock: any SyncClock

    public init(qps: Double, clock: any SyncClock, burst: Double = 1) {
        ratePerMs = qps / 1000
        capacity = max(1, burst)
        self.clock = clock
        state = Mutex(State(tokens: max(1, burst), lastMs: clock.nowMs()))
    }

    /// Blocks the calling thread until a call may be made.
    public func acquire() {
        while true {
            let waitMs: Int = state.withLock { s in
                let now = clock.nowMs()
                s.tokens = min(capacity, s.tokens + Double(now - s.lastMs) * ratePerMs)
                s.lastMs = now
                if s.tokens >= 1 {
                    s.tokens -= 1
                    return 0
                }
                return max(1, Int(((1 - s.tokens) / ratePerMs).rounded(.up)))
            }
            if waitMs == 0 { return }
            clock.sleep(ms: waitMs)
        }
    }
}

/// Calls made and retried, by API: the figures of the run summary and the run log.
public final class CallCounters: Sendable {
    public struct Snapshot: Sendable, Equatable, Codable {
        public var token = 0, listids = 0, get = 0, retries = 0, throttled = 0
        public var total: Int { token + listids + get }
    }
    private let state = Mutex(Snapshot())
    public init() {}
    public func add(_ body: (inout Snapshot) -> Void) { state.withLock { body(&$0) } }
    public var snapshot: Snapshot { state.withLock { $0 } }
}
