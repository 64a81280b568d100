import Foundation
import Synchronization

/// A token bucket per DingTalk API, shared by every worker calling that API. DingTalk's limit
/// is per app per API per second, so the bucket never holds more than one call's worth.
/// When DingTalk still answers 90018 the rate drops multiplicatively and then climbs back
/// additively with each success (AIMD), so a run that starts too fast converges to the real
/// limit instead of hammering it.
public final class RateLimiter: Sendable {
    private struct State {
        var tokens: Double
        var lastMs: Int64
        var rate: Double  // calls per second now
    }
    private let state: Mutex<State>
    public let maxRate: Double
    private let minRate: Double
    private let clock: any SyncClock
    private let cancellation: RunCancellation

    public init(qps: Double, clock: any SyncClock, cancellation: RunCancellation = RunCancellation()) {
        maxRate = qps
        minRate = min(qps, 1)
        self.clock = clock
        self.cancellation = cancellation
        state = Mutex(State(tokens: 1, lastMs: clock.nowMs(), rate: qps))
    }

    public var currentRate: Double { state.withLock { $0.rate } }

    /// Blocks the calling thread until a call may be made.
    public func acquire() {
        while true {
            let waitMs: Int = state.withLock { s in
                let now = clock.nowMs()
                s.tokens = min(1, s.tokens + Double(now - s.lastMs) * s.rate / 1000)
                s.lastMs = now
                if s.tokens >= 1 {
                    s.tokens -= 1
                    return 0
                }
                return max(1, Int(((1 - s.tokens) * 1000 / s.rate).rounded(.up)))
            }
            if waitMs == 0 || cancellation.isCancelled { return }
            clock.sleep(ms: waitMs, unless: cancellation)
        }
    }

    /// DingTalk said 90018: slow down.
    public func throttled() {
        state.withLock { s in
            s.rate = max(minRate, s.rate * 0.7)
            s.tokens = min(s.tokens, 0)
        }
    }

    /// A call went through: creep back towards the configured rate (full speed after about
    /// a hundred successes from a halving).
    public func succeeded() {
        state.withLock { s in
            if s.rate < maxRate { s.rate = min(maxRate, s.rate + maxRate / 100) }
        }
    }
}
