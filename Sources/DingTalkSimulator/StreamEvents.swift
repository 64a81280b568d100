import Foundation

/// One `bpms_instance_change` event as DingTalk would push it.
public struct StreamEvent: Sendable, Equatable {
    public var eventId: String
    public var type: StreamEventType
    public var instanceId: String
    public var processCode: String
    /// "agree"/"refuse" on finish; nil on start and terminate.
    public var result: String?
    public var createTimeMs: Int64
    /// finish and terminate only.
    public var finishTimeMs: Int64?
    public var title: String
    public var businessId: String
    public var staffId: String
    /// `eventBornTime`: when the change happened, by the simulator's clock.
    public var bornTimeMs: Int64

    /// The `data` member: the event's JSON document, which the frame carries as a string.
    public var dataJSON: String {
        var pairs: [(String, JSON)] = [
            ("processInstanceId", .string(instanceId)), ("processCode", .string(processCode)),
            ("type", .string(type.rawValue)),
        ]
        if let result { pairs.append(("result", .string(result))) }
        pairs.append(("createTime", .int(createTimeMs)))
        if let finishTimeMs { pairs.append(("finishTime", .int(finishTimeMs))) }
        pairs += [
            ("title", .string(title)), ("businessId", .string(businessId)), ("bizCategoryId", .string("")),
            ("businessType", .string("")), ("staffId", .string(staffId)),
            ("url", .string("https://aflow.dingtalk.com/dingtalk/mobile/homepage.htm?dd_share=false#/approval?procInstId=\(instanceId)")),
        ]
        return JSON.object(pairs).text
    }

    /// Which event, if any, DingTalk sends for an instance going from `old` (nil: just created)
    /// to `new`. CANCELED (revoked by the originator) is a `terminate` like TERMINATED.
    static func type(from old: SimInstance?, to new: SimInstance) -> StreamEventType? {
        guard let old else { return new.isFinal ? nil : .start }
        guard !old.isFinal, new.isFinal else { return nil }
        return new.status == "COMPLETED" ? .finish : .terminate
    }
}

/// An event DingTalk still owes the client.
struct PendingEvent {
    var event: StreamEvent
    var sequence: UInt64
    /// When it is next due (first push, or redelivery while unacknowledged).
    var dueAtMs: Int64
    var sends = 0
    var acked = false
    /// Once held back by the out-of-order fault it is never held again.
    var wasHeld = false
    var held = false
    /// The duplicate fault's extra push, still to come.
    var duplicateAtMs: Int64?

    var nextDueMs: Int64? {
        let redeliver: Int64? = acked ? nil : dueAtMs
        switch (redeliver, duplicateAtMs) {
        case let (r?, d?): return min(r, d)
        case let (r, d): return r ?? d
        }
    }
}

/// A frame sent and still awaiting its answer, by `messageId`.
struct Inflight {
    enum Kind { case event(String), ping(opaque: String), system }
    var link: Int
    var kind: Kind
}

/// One open WebSocket as the gateway sees it.
struct StreamLink {
    let writer: WebSocketWriter
    var openedAtMs: Int64
    var lastPingAtMs: Int64
    /// Subscribed to EVENT frames in its `connections/open` body.
    var wantsEvents: Bool
    /// Says nothing and ignores everything, but stays open (`goStale()`).
    var stale = false
    var disconnectSentAtMs: Int64?
}

struct StreamState {
    var stats = StreamStats()
    var faults = StreamFaults()
    var pushQuotaLeft = 0
    var quotaStopped = false
    /// ticket → (expiry, subscribed to EVENT)
    var tickets: [String: (expiresAtMs: Int64, wantsEvents: Bool)] = [:]
    var usedTickets: Set<String> = []
    var links: [Int: StreamLink] = [:]
    var nextLink = 0
    var pending: [String: PendingEvent] = [:]
    var inflight: [String: Inflight] = [:]
    var sequence: UInt64 = 0
    var messages: UInt64 = 0
    var draws: UInt64 = 0
    /// Every event that passed the filter, in order (what tests compare deliveries against).
    var log: [StreamEvent] = []
    /// False until `start()`: the world loaded before the server runs is history, not change.
    var live = false

    /// Creates the event for `inst` if the console filter lets it through.
    @discardableResult
    mutating func record(_ type: StreamEventType, of inst: SimInstance, at now: Int64, options: SimulatorOptions) -> StreamEvent? {
        guard live, options.stream.enabled,
              options.stream.filter.allows(inst.processCode, type, defaultCode: options.processCode) else { return nil }
        sequence += 1
        let event = StreamEvent(
            eventId: SimIDs.hex32(seed: SplitMix64.mix(faults.seed ^ 0xE7E47, sequence)), type: type,
            instanceId: inst.id, processCode: inst.processCode,
            result: type == .finish ? (inst.result.isEmpty ? "agree" : inst.result) : nil,
            createTimeMs: inst.createTimeMs, finishTimeMs: type == .start ? nil : (inst.finishTimeMs ?? now),
            title: inst.title, businessId: inst.businessId, staffId: inst.originatorUserId, bornTimeMs: now)
        stats.events += 1
        log.append(event)
        pending[event.eventId] = PendingEvent(event: event, sequence: sequence, dueAtMs: now)
        return event
    }

    mutating func noteChange(from old: SimInstance?, to new: SimInstance, at now: Int64, options: SimulatorOptions) {
        if let type = StreamEvent.type(from: old, to: new) { record(type, of: new, at: now, options: options) }
    }

    /// A fresh `messageId` for each frame sent.
    mutating func nextMessageId() -> String {
        messages += 1
        return SimIDs.uuid(seed: SplitMix64.mix(faults.seed ^ 0x3E55A6E, messages))
    }

    /// A seeded draw in [0, 1) for the `kind`-th decision about event `sequence`.
    func roll(_ rate: Double, _ sequence: UInt64, _ kind: UInt64) -> Bool {
        rate > 0 && SplitMix64.unit(SplitMix64.mix(faults.seed, sequence &* 16 &+ kind)) < rate
    }
}

extension SimIDs {
    static func hex32(seed: UInt64) -> String { uuid(seed: seed).replacingOccurrences(of: "-", with: "") }
}

extension DingTalkSimulator {
    /// Pushes a `type` event for instance `instanceId` (through the console filter, like any
    /// event) and delivers what is due. Returns the event, or nil when the instance is unknown
    /// or the filter (or a disabled Stream) keeps it back.
    @discardableResult
    public func pushEvent(instanceId: String, type: StreamEventType) -> StreamEvent? {
        let now = options.now()
        let event = state.withLock { s -> StreamEvent? in
            guard let inst = s.instances[instanceId] else { return nil }
            return s.stream.record(type, of: inst, at: now, options: options)
        }
        if event != nil { deliverDue() }
        return event
    }

    /// Every event that passed the console filter so far, oldest first.
    public func streamEvents() -> [StreamEvent] { state.withLock { $0.stream.log } }
}
