import Synchronization

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
