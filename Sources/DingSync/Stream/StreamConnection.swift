import Foundation
import HTTPClient
import Logging

/// Timings of the Stream client; the defaults are DingTalk's SDKs' (ping every 60 s, a pong
/// within 5 s, back-off 1 s · 2ⁿ with jitter up to 60 s). Tests shorten them.
public struct StreamTimings: Sendable {
    public var pingIntervalMs = 60_000
    public var pongDeadlineMs = 5_000
    public var backoffBaseMs = 1_000
    public var backoffMaxMs = 60_000
    /// How long one read waits before the loop looks at its timers and the stop flag.
    public var readSliceMs = 200
    /// A connection that lived this long was healthy: the back-off starts again from 1 s.
    public var stableMs = 60_000
    public init() {}
}

/// What the connection tells its owner, on the connection's own thread.
public protocol StreamDelegate: AnyObject {
    /// `connections/open` answered (a metered call, recorded in the ledger as `stream_open`).
    func streamGatewayAnswered()
    /// Connected and healthy from `atMs`: pushes reach us from here on.
    func streamUp(atMs: Int64)
    /// The peer answered (a frame or a pong) at `atMs`.
    func streamAlive(atMs: Int64)
    /// The connection ended; pushes after `lastAliveMs` may have been lost (Stream has no replay).
    func streamDown(lastAliveMs: Int64, reason: String)
    /// DingTalk stopped pushing: the organisation's push quota is gone (errCode 20001).
    func streamPushQuotaStopped(atMs: Int64, message: String)
    /// An approval changed. Return true once it is recorded durably (then it is acknowledged),
    /// false to have DingTalk push it again later.
    func streamEvent(eventId: String, change: StreamFrame.InstanceChange, atMs: Int64) -> Bool
}

/// The app's one Stream connection: open a ticket, connect, answer every frame, ping, and
/// reconnect with back-off whenever the socket dies, goes silent or is told to go. Runs on
/// the thread that calls `run()` (blocking I/O stays off Swift's cooperative pool).
public final class StreamConnection {
    let gateway: StreamGateway
    let makeTransport: @Sendable () throws(HTTPError) -> any HTTPTransport
    let clock: any SyncClock
    let logger: Logger
    let options: StreamTimings
    let processCodes: [String]
    let cancellation: RunCancellation
    weak var delegate: (any StreamDelegate)?
    /// Connections opened so far (for tests and `status`).
    public private(set) var connections = 0

    public init(gateway: StreamGateway, makeTransport: @escaping @Sendable () throws(HTTPError) -> any HTTPTransport,
                clock: any SyncClock, logger: Logger, options: StreamTimings, processCodes: [String],
                cancellation: RunCancellation, delegate: any StreamDelegate) {
        self.gateway = gateway
        self.makeTransport = makeTransport
        self.clock = clock
        self.logger = logger
        self.options = options
        self.processCodes = processCodes
        self.cancellation = cancellation
        self.delegate = delegate
    }

    /// Until cancelled (returns nil) or a failure no retry can mend (bad credentials: 77;
    /// Stream mode not enabled: 78).
    public func run() -> DingSyncError? {
        var failures = 0
        while !cancellation.isCancelled {
            let ticket: StreamGateway.Ticket
            do {
                let transport = try makeTransport()
                switch gateway.open(transport, processCodes: processCodes) {
                case .success(let t):
                    delegate?.streamGatewayAnswered()
                    ticket = t
                case .failure(.fatal(let e)):
                    delegate?.streamGatewayAnswered()  // refused, but answered: metered all the same
                    return e
                case .failure(.transient(let why)):
                    failures += 1
                    backOff(failures, why)
                    continue
                }
            } catch {
                failures += 1
                backOff(failures, "\(error)")
                continue
            }
            let started = clock.nowMs()
            let reason = session(ticket)
            if clock.nowMs() - started >= options.stableMs { failures = 0 }
            if reason == Self.told {
                continue  // DingTalk asked for a new connection: open one at once
            }
            if cancellation.isCancelled { break }
            failures += 1
            backOff(failures, reason)
        }
        return nil
    }

    static let told = "DingTalk asked for a new connection (disconnect)"

    /// One connection, from the handshake to its end; returns why it ended.
    private func session(_ ticket: StreamGateway.Ticket) -> String {
        let socket: WebSocket
        do { socket = try WebSocket(url: ticket.url, timeoutMs: 10_000) } catch {
            return "could not connect: \(error)"
        }
        connections += 1
        var lastAlive = clock.nowMs()
        delegate?.streamUp(atMs: lastAlive)
        logger.notice("Stream connected", metadata: ["endpoint": "\(HTTPRequest.redact(ticket.endpoint))"])
        var pingSent: Int64?
        var nextPing = lastAlive + Int64(options.pingIntervalMs)
        var reason = "stopping"
        defer {
            delegate?.streamDown(lastAliveMs: lastAlive, reason: reason)
            logger.notice("Stream disconnected", metadata: ["reason": "\(reason)"])
        }
        while !cancellation.isCancelled {
            let now = clock.nowMs()
            if let sent = pingSent, now - sent > Int64(options.pongDeadlineMs) {
                reason = "no pong within \(options.pongDeadlineMs) ms: the socket is dead"
                return reason
            }
            do {
                if pingSent == nil, now >= nextPing {
                    try socket.sendPing(Array("dingsync".utf8))
                    pingSent = now
                }
                guard let message = try socket.receive(timeoutMs: options.readSliceMs) else { continue }
                lastAlive = clock.nowMs()
                switch message {
                case .pong:
                    pingSent = nil
                    nextPing = lastAlive + Int64(options.pingIntervalMs)
                    delegate?.streamAlive(atMs: lastAlive)
                case .ping, .binary:
                    delegate?.streamAlive(atMs: lastAlive)
                case .close(let code, let text):
                    reason = "DingTalk closed the connection (\(code.map(String.init) ?? "-") \(text))"
                    return reason
                case .text(let text):
                    if let end = try handle(text, socket: socket, nowMs: lastAlive) {
                        reason = end
                        return reason
                    }
                }
            } catch {
                reason = "\(error)"
                return reason
            }
        }
        try? socket.sendClose()
        return reason
    }

    /// Answers one frame; returns a reason when the connection must end.
    private func handle(_ text: String, socket: WebSocket, nowMs: Int64) throws(HTTPError) -> String? {
        guard let frame = StreamFrame.parse(text) else {
            logger.warning("Stream sent a frame that is not JSON; ignored")
            return nil
        }
        switch frame {
        case .ping(let id, let data):
            try socket.send(text: StreamFrame.answer(messageId: id, data: data))
            delegate?.streamAlive(atMs: nowMs)
        case .disconnect(let id, let why):
            try? socket.send(text: StreamFrame.answer(messageId: id, data: "{}"))
            logger.info("Stream: DingTalk asked for a new connection", metadata: ["reason": "\(why)"])
            return Self.told
        case .event(let id, let eventId, _, _, let change):
            var recorded = true
            if let change { recorded = delegate?.streamEvent(eventId: eventId, change: change, atMs: nowMs) ?? false }
            try socket.send(text: StreamFrame.ack(messageId: id, later: !recorded))
        case .pushQuotaStopped(let id, let message):
            if let id { try socket.send(text: StreamFrame.answer(messageId: id, data: "{}")) }
            delegate?.streamPushQuotaStopped(atMs: nowMs, message: message)
        case .other(let id, _):
            if let id { try socket.send(text: StreamFrame.ack(messageId: id)) }
        }
        return nil
    }

    private func backOff(_ failures: Int, _ why: String) {
        let delay = Self.backoffMs(failures: failures, options: options)
        logger.warning("Stream unavailable; reconnecting", metadata: ["reason": "\(why)", "retry_in_ms": "\(delay)"])
        clock.sleep(ms: delay, unless: cancellation)
    }

    /// 1 s · 2ⁿ⁻¹ with jitter (half to all of it), at most the cap: many watches that lost
    /// DingTalk at once do not come back in step.
    static func backoffMs(failures: Int, options: StreamTimings, random: Double = Double.random(in: 0.5...1)) -> Int {
        let exp = min(Double(options.backoffMaxMs), Double(options.backoffBaseMs) * pow(2, Double(max(0, failures - 1))))
        return Int(exp * random)
    }
}
