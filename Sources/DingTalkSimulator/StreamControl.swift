import Foundation

/// What tests and benchmarks do to the Stream side from outside.
extension DingTalkSimulator {
    public var streamStats: StreamStats { state.withLock { $0.stream.stats } }

    /// EVENT frames written to a live connection and not answered yet (an answer of any kind
    /// counts: after `LATER` the event waits for its redelivery time, not for the client).
    public var pendingAcks: Int {
        state.withLock { s in
            s.stream.inflight.values.reduce(0) { n, f in
                if case .event = f.kind { return n + 1 }
                return n
            }
        }
    }

    /// Events not settled yet: due, held, awaiting an answer or a redelivery.
    public var pendingEvents: Int { state.withLock { $0.stream.pending.count } }

    /// Blocks until `pendingAcks` is 0 or `timeout` (real seconds) passes; true when it is 0.
    /// With a sim clock: move the clock, `deliverDue()`, then wait here for the client.
    @discardableResult
    public func waitUntilAcked(timeout: TimeInterval) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        streamSignal.lock()
        defer { streamSignal.unlock() }
        while pendingAcks > 0 {
            if !streamSignal.wait(until: deadline) { return pendingAcks == 0 }
        }
        return true
    }

    /// Blocks until `connected` reaches `count` or `timeout` passes; true when it did.
    @discardableResult
    public func waitUntilConnected(_ count: Int = 1, timeout: TimeInterval) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        streamSignal.lock()
        defer { streamSignal.unlock() }
        while streamStats.connected != count {
            if !streamSignal.wait(until: deadline) { return streamStats.connected == count }
        }
        return true
    }

    /// Pushes left this month. Raising it above 0 resumes pushing after a 20001 stop.
    public func setPushQuota(_ remaining: Int) {
        state.withLock { s in
            s.stream.pushQuotaLeft = remaining
            if remaining > 0 { s.stream.quotaStopped = false }
        }
    }

    public var pushQuotaLeft: Int { state.withLock { $0.stream.pushQuotaLeft } }

    /// Replaces the Stream faults; a schedule already running (pings, disconnect) follows the
    /// new intervals from the connection's last ping or opening.
    public func setStreamFaults(_ f: StreamFaults) { state.withLock { $0.stream.faults = f } }

    public var streamFaults: StreamFaults { state.withLock { $0.stream.faults } }

    /// Every open connection goes silent: nothing more is written to it (events routed there
    /// vanish), nothing it sends is read as an answer, WebSocket pings get no pong, yet the TCP
    /// connection stays open. What a client must detect with its own pings.
    public func goStale() {
        state.withLock { s in
            for id in s.stream.links.keys { s.stream.links[id]?.stale = true }
        }
    }

    /// Closes every connection's TCP abruptly, without a close frame.
    public func dropConnections() {
        let writers = state.withLock { $0.stream.links.values.map(\.writer) }
        for w in writers { w.abort() }
    }

    /// Sends a SYSTEM `disconnect` on every connection now; each is closed
    /// `closeAfterDisconnectSeconds` of sim time later (by `deliverDue()`).
    public func sendDisconnect() {
        let now = options.now()
        let plan = state.withLock { s -> StreamPlan in
            var plan = StreamPlan()
            for id in s.stream.links.keys.sorted() where s.stream.links[id]?.disconnectSentAtMs == nil {
                s.stream.links[id]?.disconnectSentAtMs = now
                s.stream.stats.disconnectsSent += 1
                systemFrame(&s.stream, &plan, link: id, topic: "disconnect",
                            data: #"{"reason":"persistent connection is timeout"}"#, kind: .system, now: now)
            }
            return plan
        }
        deliveryLock.lock()
        for (w, text) in plan.sends { w.sendText(text) }
        deliveryLock.unlock()
    }
}

/// Calls `deliverDue()` every few real milliseconds, so redeliveries, pings and disconnects
/// happen while a test or the demo just lets time pass.
final class StreamTicker: @unchecked Sendable {
    private let cond = NSCondition()
    private var running = false  // guarded by cond
    private let done = DispatchGroup()

    func start(everyMs: Int, _ tick: @escaping @Sendable () -> Void) {
        cond.lock()
        defer { cond.unlock() }
        guard !running, everyMs > 0 else { return }
        running = true
        done.enter()
        let t = Thread { [self] in
            while true {
                cond.lock()
                if running { _ = cond.wait(until: Date().addingTimeInterval(Double(everyMs) / 1000)) }
                let go = running
                cond.unlock()
                guard go else { break }
                tick()
            }
            done.leave()
        }
        t.name = "dingsim-stream-ticker"
        t.start()
    }

    func stop() {
        cond.lock()
        let was = running
        running = false
        cond.broadcast()
        cond.unlock()
        if was { done.wait() }
    }
}
