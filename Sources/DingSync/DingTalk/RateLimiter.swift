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

/// Calls made and retried, by API: the figures of the run summary and the run log.
public final class CallCounters: Sendable {
    public struct Snapshot: Sendable, Equatable, Codable {
        public var token = 0, listids = 0, get = 0, retries = 0, throttled = 0
        /// The v1.0 family (`dingtalk.api: v1`): its listing (`instanceIds/query`), and its
        /// detail GET where the legacy `get` is not permitted. Kept apart in the ledger so
        /// `status` shows which family spent what; metered like the legacy calls.
        public var v1Query = 0, v1Get = 0
        public var total: Int { token + metered }
        /// What DingTalk meters against the monthly quota (token requests are reported apart).
        public var metered: Int { listids + self.get + v1Query + v1Get }
        /// Listing pages of either family (the run log's `calls_listids`).
        public var listing: Int { listids + v1Query }
        /// Detail calls of either family.
        public var details: Int { self.get + v1Get }

        public init() {}
        private enum CodingKeys: String, CodingKey { case token, listids, get, retries, throttled, v1Query, v1Get }
        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            func n(_ k: CodingKeys) throws -> Int { try c.decodeIfPresent(Int.self, forKey: k) ?? 0 }
            token = try n(.token); listids = try n(.listids); get = try n(.get); retries = try n(.retries)
            throttled = try n(.throttled); v1Query = try n(.v1Query); v1Get = try n(.v1Get)
        }

        /// The ledger's endpoint names and their counts (token requests included, not metered).
        public var ledgerEntries: [String: Int] {
            ["listids": listids, "get": get, "token": token, V1Codec.queryAPI: v1Query, V1Codec.getAPI: v1Get]
        }
    }
    /// Metered calls of a ledger read back by endpoint: every endpoint but token requests, so
    /// a job that switched API (or ran both) is counted whole against one budget.
    public static func metered(_ byEndpoint: [String: Int]) -> Int {
        byEndpoint.filter { !tokenEndpoints.contains($0.key) }.values.reduce(0, +)
    }
    public static let tokenEndpoints: Set<String> = ["token", V1Codec.tokenAPI]
    private let state = Mutex(Snapshot())
    public init() {}
    public func add(_ body: (inout Snapshot) -> Void) { state.withLock { body(&$0) } }
    public var snapshot: Snapshot { state.withLock { $0 } }
}
