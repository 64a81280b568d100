import Foundation
import Logging
import MySQLClient

/// Writes what the Stream connection learns into one job's state tables, on a MySQL connection
/// of its own (no job lock: a pass may hold it, and an event must be recorded within the 3 s
/// DingTalk waits for its answer). A failed write drops the connection; the next write opens a
/// new one, and the event meanwhile is answered LATER so DingTalk pushes it again. Public for
/// the economy benchmark, which plays the Stream side on a simulated clock.
public final class EventRecorder {
    let config: JobConfig
    let logger: Logger
    private var store: StateStore?
    /// The start of the span this connection is extending, if it was recorded.
    private(set) var spanFromMs: Int64?
    private var lastHeartbeatMs: Int64 = 0
    /// The push quota stopped (20001): no span until then.
    private(set) var quotaUntilMs: Int64?

    static let heartbeatEveryMs: Int64 = 30_000

    public init(config: JobConfig, logger: Logger) {
        self.config = config
        self.logger = logger
    }

    /// Runs `body` on the job's state, connecting first when needed; false when MySQL failed.
    @discardableResult
    func write(_ what: String, _ body: (StateStore) throws -> Void) -> Bool {
        guard let m = config.mysql else { return false }
        do {
            if store == nil {
                var options = DatabaseSession.options(m)
                options.connectTimeoutSeconds = 2
                options.readTimeoutSeconds = 2
                options.writeTimeoutSeconds = 2
                let s = StateStore(db: try MySQLConnection(options), job: config.job)
                try s.createTables()
                store = s
            }
            try body(store!)
            return true
        } catch {
            store = nil
            logger.warning("could not record \(what) in MySQL", metadata: ["error": "\(Database.failure(error, doing: what).message)"])
            return false
        }
    }

    public func event(_ eventId: String, _ change: StreamFrame.InstanceChange, nowMs: Int64) -> (recorded: Bool, fresh: Bool) {
        var fresh = false
        let ok = write("the pushed event") { fresh = try $0.recordEvent(id: eventId, instanceId: change.instanceId, type: change.type, nowMs: nowMs) }
        return (ok, fresh)
    }

    public func up(_ nowMs: Int64) {
        if let until = quotaUntilMs, nowMs < until { return }
        quotaUntilMs = nil
        if write("the Stream connection's state", { try $0.streamUp(nowMs: nowMs) }) {
            spanFromMs = nowMs
            lastHeartbeatMs = nowMs
        }
    }

    public func alive(_ nowMs: Int64) {
        if spanFromMs == nil, let until = quotaUntilMs, nowMs >= until { up(nowMs) }
        guard let from = spanFromMs, nowMs - lastHeartbeatMs >= Self.heartbeatEveryMs else { return }
        if write("the Stream heartbeat", { try $0.streamAlive(spanFromMs: from, nowMs: nowMs) }) { lastHeartbeatMs = nowMs }
    }

    public func down(lastAliveMs: Int64, nowMs: Int64) {
        let from = spanFromMs
        spanFromMs = nil
        let state = quotaUntilMs != nil ? "quota" : "down"
        write("the Stream connection's state") { try $0.streamDown(spanFromMs: from, lastAliveMs: lastAliveMs, state: state, quotaUntilMs: quotaUntilMs, nowMs: nowMs) }
    }

    public func pushQuotaStopped(_ nowMs: Int64) {
        let from = spanFromMs
        spanFromMs = nil
        quotaUntilMs = BeijingMonth(containing: nowMs).endMs
        write("the push quota stop") { try $0.streamDown(spanFromMs: from, lastAliveMs: nowMs, state: "quota", quotaUntilMs: quotaUntilMs, nowMs: nowMs) }
    }

    public func ledger(_ endpoint: String, nowMs: Int64) {
        write("the call ledger") {
            try $0.addCalls([endpoint: 1], month: BeijingMonth(containing: nowMs).description,
                            appKeyId: TokenSeal.appKeyId(config.dingtalk.appKey), nowMs: nowMs)
        }
    }
}
