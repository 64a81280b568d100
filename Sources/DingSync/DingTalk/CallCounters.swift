import Synchronization

/// Calls made and retried, by API: the figures of the run summary and the run log.
public final class CallCounters: Sendable {
    public struct Snapshot: Sendable, Equatable, Codable {
        public var token = 0, listids = 0, get = 0, retries = 0, throttled = 0
        public var total: Int { token + listids + get }
        /// What DingTalk meters against the monthly quota (token requests are reported apart).
        public var metered: Int { listids + get }
    }
    private let state = Mutex(Snapshot())
    public init() {}
    public func add(_ body: (inout Snapshot) -> Void) { state.withLock { body(&$0) } }
    public var snapshot: Snapshot { state.withLock { $0 } }
}
