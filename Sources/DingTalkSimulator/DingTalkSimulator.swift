import Foundation
import Synchronization

public struct SimulatorOptions: Sendable {
    public var appKey = "sim-app-key"
    public var appSecret = "sim-app-secret"
    /// Always known to `listids`, even with no instances; process codes of added instances
    /// are known too.
    public var processCode = "PROC-SIM-WAN-RECHARGE"
    public var tokenLifetimeSeconds = 7200
    public var tokenErrorStyle = TokenErrorStyle.alternate
    /// Epoch ms. Drives token expiry, `listids` window checks, the default `end_time` and the
    /// per-second QPS window; tests fix it to make those deterministic.
    public var now: @Sendable () -> Int64 = { Int64((Date().timeIntervalSince1970 * 1000).rounded(.down)) }
    /// Added to every answer (real wall-clock sleep).
    public var latencyMs = 0
    public var faults = FaultOptions()
    /// The custom robot (`/robot/send`): its webhook token, and its signing secret (nil: a robot
    /// that checks no signature).
    public var robotAccessToken = "sim-robot-token"
    public var robotSecret: String? = "SECsim-robot-secret"
    /// Stream mode: the gateway, the WebSocket and `bpms_instance_change` pushes.
    public var stream = StreamOptions()

    public init() {}
}

/// A loopback fake of DingTalk's token and approval-instance APIs.
///
/// Requests flow through a fixed pipeline (see Pipeline.swift): count → latency → faults and
/// gates (ban, transport, token, throttling, quota, permission, transient errors) → route.
/// All mutable state lives behind one mutex; handlers never sleep while holding it.
public final class DingTalkSimulator: Sendable {
    public let options: SimulatorOptions
    let state: Mutex<SimState>
    let server: HTTPServer
    /// Wakes `waitUntilAcked`/`waitUntilConnected` when an answer arrives or a socket comes or goes.
    let streamSignal = NSCondition()
    let deliveryLock = NSLock()
    let ticker = StreamTicker()

    public init(options: SimulatorOptions = .init()) {
        self.options = options
        var s = SimState()
        s.faults = options.faults
        s.quotaLeft = options.faults.quotaRemaining
        s.stream.faults = options.stream.faults
        s.stream.pushQuotaLeft = options.stream.pushQuota
        self.state = Mutex(s)
        // The handler needs self, and self needs the server: break the cycle with a box
        // that is filled right after init.
        let box = WeakBox()
        self.server = HTTPServer { request in
            guard let sim = box.value else { return .text("gone", status: 503) }
            return sim.handle(request)
        }
        box.value = self
    }

    deinit {
        ticker.stop()
        server.stop()
    }

    /// Starts listening on 127.0.0.1 (`port` 0 = ephemeral; read `port` afterwards). From here
    /// on, changes to the world are Stream events; what was loaded before is history.
    public func start(port: Int = 0) throws {
        try server.start(port: port)
        state.withLock { $0.stream.live = true }
        ticker.start(everyMs: options.stream.tickerIntervalMs) { [weak self] in self?.deliverDue() }
    }

    public func stop() {
        ticker.stop()
        server.stop()
    }
    public var port: Int { server.port }
    public var baseURL: String { "http://127.0.0.1:\(port)" }

    // MARK: data

    /// Adds (or replaces) instances; a new open one is a `start` event.
    public func add(_ instances: [SimInstance]) {
        let now = options.now()
        state.withLock { s in
            for i in instances {
                let old = s.instances.updateValue(i, forKey: i.id)
                s.stream.noteChange(from: old, to: i, at: now, options: options)
            }
            s.sortedCache = nil
        }
        deliverDue()
    }

    /// Changes one instance; a move to COMPLETED is a `finish` event, to TERMINATED or
    /// CANCELED a `terminate`.
    public func update(_ id: String, _ change: (inout SimInstance) -> Void) {
        let now = options.now()
        state.withLock { s in
            guard let old = s.instances[id] else { return }
            var i = old
            change(&i)
            i.id = id
            s.instances[id] = i
            s.sortedCache = nil
            s.stream.noteChange(from: old, to: i, at: now, options: options)
        }
        deliverDue()
    }

    public func remove(_ id: String) {
        state.withLock { s in
            s.instances[id] = nil
            s.sortedCache = nil
        }
    }

    public func instance(_ id: String) -> SimInstance? { state.withLock { $0.instances[id] } }

    /// Snapshot sorted by creation time, then id (the order `listids` serves).
    public func instances() -> [SimInstance] { state.withLock { $0.sorted() } }

    /// What DingTalk does when an approved instance is modified or revoked: a *new* instance
    /// (new id, new creation time) pointing at the original, and the original gains the new id
    /// in `attached_process_instance_ids`. The new one starts as a copy of the original,
    /// RUNNING with an empty result, before `change` is applied.
    @discardableResult
    public func modify(originalId: String, at createTimeMs: Int64, biz: String,
                       change: (inout SimInstance) -> Void = { _ in }) -> SimInstance {
        defer { deliverDue() }
        let now = options.now()
        return state.withLock { s in
            guard var original = s.instances[originalId] else {
                preconditionFailure("modify: no instance \(originalId)")
            }
            s.derivedCount += 1
            var fresh = original
            fresh.id = SimIDs.uuid(seed: SplitMix64.mix(UInt64(bitPattern: createTimeMs), s.derivedCount ^ 0xA11CE))
            fresh.createTimeMs = createTimeMs
            fresh.finishTimeMs = nil
            fresh.status = "RUNNING"
            fresh.result = ""
            fresh.bizAction = biz
            fresh.mainProcessInstanceId = originalId
            fresh.attachedIds = []
            fresh.businessId = SimIDs.businessId(createTimeMs: createTimeMs, sequence: Int(s.derivedCount % 100_000))
            change(&fresh)
            original.attachedIds.append(fresh.id)
            s.instances[originalId] = original
            s.instances[fresh.id] = fresh
            s.sortedCache = nil
            s.stream.noteChange(from: nil, to: fresh, at: now, options: options)
            return fresh
        }
    }

    // MARK: counters and faults

    /// Requests received for `api`, faulted ones included.
    public func calls(_ api: SimAPI) -> Int { state.withLock { $0.calls[api, default: 0] } }
    /// `get` requests naming `id`, faulted ones included.
    public func getCalls(for id: String) -> Int { state.withLock { $0.getCalls[id, default: 0] } }
    public func faultCount(_ kind: FaultKind) -> Int { state.withLock { $0.faultCounts[kind, default: 0] } }
    /// Tokens issued so far (a renewal of a still-valid token is not a new one).
    public func tokensIssued() -> Int { state.withLock { $0.tokensIssued } }
    /// Every token value issued so far, in order: what a secrets test searches the output for.
    public func issuedTokens() -> [String] { state.withLock { $0.issuedTokens } }
    /// The quota left, when a quota is set.
    public func quotaRemaining() -> Int? { state.withLock { $0.quotaLeft } }

    public func resetCounters() {
        state.withLock { s in
            s.calls = [:]
            s.getCalls = [:]
            s.faultCounts = [:]
        }
    }

    /// Replaces the faults; also restarts the quota from `f.quotaRemaining` and the QPS windows.
    public func setFaults(_ f: FaultOptions) {
        state.withLock { s in
            s.faults = f
            s.quotaLeft = f.quotaRemaining
            s.qpsWindows = [:]
        }
    }

    public var faults: FaultOptions { state.withLock { $0.faults } }

    /// An add-on pack or an edition upgrade mid-month: the quota is back (unlimited, or
    /// `remaining` more calls) and the other faults stay as they are.
    public func liftQuota(remaining: Int? = nil) {
        state.withLock { s in
            s.faults.quotaRemaining = remaining
            s.quotaLeft = remaining
        }
    }

    /// Kills the current token now, as if it had expired.
    /// The next `times` gets of `id` fail although it is listed: by default 400002 "实例不存在", a
    /// per-instance error the client must record and survive (and, for a blip, overcome on a
    /// re-fetch); another `errcode` (e.g. 90020) makes that one instance's get end the run.
    /// `delayMs` holds each failing answer back, so it arrives after the rest of the run's work.
    public func failGets(of id: String, times: Int, errcode: Int = 400002, delayMs: Int = 0) {
        state.withLock { $0.failingGets[id] = (times, errcode, delayMs) }
    }

    public func expireToken() { state.withLock { $0.token = nil } }
}

struct IssuedToken {
    var value: String
    var expiresAtMs: Int64
    var uses: Int
}

struct SimState {
    var instances: [String: SimInstance] = [:]
    var sortedCache: [SimInstance]?
    var derivedCount: UInt64 = 0
    var token: IssuedToken?
    var tokensIssued = 0
    var issuedTokens: [String] = []
    var tokenErrors = 0
    var banAnswers = 0
    var calls: [SimAPI: Int] = [:]
    var getCalls: [String: Int] = [:]
    /// Instance id → how many more `get`s of it fail as if it did not exist.
    var failingGets: [String: (times: Int, errcode: Int, delayMs: Int)] = [:]
    var faultCounts: [FaultKind: Int] = [:]
    var faults = FaultOptions()
    var quotaLeft: Int?
    var qpsWindows: [SimAPI: (second: Int64, count: Int)] = [:]
    var requestIndex: UInt64 = 0
    var robotMessages: [RobotMessage] = []
    var stream = StreamState()

    mutating func sorted() -> [SimInstance] {
        if let c = sortedCache { return c }
        let c = instances.values.sorted {
            $0.createTimeMs != $1.createTimeMs ? $0.createTimeMs < $1.createTimeMs : $0.id < $1.id
        }
        sortedCache = c
        return c
    }
}

final class WeakBox: @unchecked Sendable {
    // Written once before the server can call it (start() comes after init).
    weak var value: DingTalkSimulator?
}

/// DingTalk-looking identifiers.
enum SimIDs {
    static func uuid(seed: UInt64) -> String {
        var g = SplitMix64(seed: seed)
        let a = g.next(), b = g.next()
        let hex = String(a, radix: 16).leftPadded(16) + String(b, radix: 16).leftPadded(16)
        let c = Array(hex)
        return "\(String(c[0..<8]))-\(String(c[8..<12]))-\(String(c[12..<16]))-\(String(c[16..<20]))-\(String(c[20..<32]))"
    }

    /// 审批单编号: Beijing `yyyyMMddHHmm` + a 5-digit sequence, like DingTalk's.
    static func businessId(createTimeMs: Int64, sequence: Int) -> String {
        let p = BeijingTime.parts(createTimeMs)
        let pad = BeijingTime.pad
        return "\(pad(p.year, 4))\(pad(p.month, 2))\(pad(p.day, 2))\(pad(p.hour, 2))\(pad(p.minute, 2))\(pad(sequence, 5))"
    }

    static func random(_ n: Int, alphabet: String = "0123456789abcdefghijklmnopqrstuvwxyz") -> String {
        let chars = Array(alphabet)
        var g = SystemRandomNumberGenerator()
        return String((0..<n).map { _ in chars[Int(g.next() % UInt64(chars.count))] })
    }
}

extension String {
    func leftPadded(_ width: Int, with pad: Character = "0") -> String {
        count >= width ? self : String(repeating: pad, count: width - count) + self
    }
}
