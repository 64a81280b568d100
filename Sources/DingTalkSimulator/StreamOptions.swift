/// DingTalk Stream mode (shared/spec/dingtalk-stream.md) as the simulator plays it.
public struct StreamOptions: Sendable {
    /// Off: the app has no Stream mode, and `connections/open` answers 400.
    public var enabled = true
    /// How a disabled Stream answers: both forms are reported from production.
    public var disabledAnswer = StreamDisabledAnswer.systemError
    /// A ticket opens one WebSocket within this many seconds of sim time.
    public var ticketLifetimeSeconds = 90
    /// The console filter rule: events outside it are neither pushed nor counted.
    public var filter = StreamFilter()
    /// An event not acknowledged (no answer, `LATER`, code ≠ 200) is pushed again this many sim
    /// seconds after its last push, with the same `eventId`.
    public var redeliverAfterSeconds = 20
    /// Pushes left this month; when they run out one 20001 frame goes out and pushing stops.
    public var pushQuota = 3000
    public var corpId = "dingsimcorp0000000000"
    public var unifiedAppId = "sim-unified-app-id"
    public var faults = StreamFaults()
    /// Real milliseconds between the background ticker's `deliverDue()` calls; 0 = no ticker
    /// (a benchmark that drives the clock calls `deliverDue()` itself).
    public var tickerIntervalMs = 25

    public init() {}
}

public enum StreamDisabledAnswer: Sendable {
    /// `400 {"code":"systemError","message":…,"requestid":…}`.
    case systemError
    /// A bare 400 with an empty body.
    case bare400
}

/// `bpms_instance_change` types.
public enum StreamEventType: String, Sendable, CaseIterable {
    case start, finish, terminate
}

/// The console's Glob rule `/v1.0/event/bpms_instance_change/processCode/<codes>/type/<types>`
/// as process codes × types.
public struct StreamFilter: Sendable, Equatable {
    /// nil: the simulator's own `processCode`.
    public var processCodes: Set<String>?
    public var types: Set<StreamEventType>

    public init(processCodes: Set<String>? = nil, types: Set<StreamEventType> = [.finish, .terminate]) {
        self.processCodes = processCodes
        self.types = types
    }

    func allows(_ code: String, _ type: StreamEventType, defaultCode: String) -> Bool {
        (processCodes ?? [defaultCode]).contains(code) && types.contains(type)
    }
}

/// Stream misbehaviour. Rates are per event, decided from `seed` and the event's sequence
/// number, so a run is the same every time.
public struct StreamFaults: Sendable, Equatable {
    public var seed: UInt64 = 1
    /// The event is metered as a push but never reaches the client (counted as `dropped`).
    public var lossRate = 0.0
    /// The event is pushed again `duplicateDelaySeconds` after its first push, even if it was
    /// acknowledged (counted as `duplicatesSent`).
    public var duplicateRate = 0.0
    public var duplicateDelaySeconds = 1
    /// The event is held back and pushed right after the next event (or, if none comes, at its
    /// redelivery time).
    public var outOfOrderRate = 0.0
    /// A SYSTEM `ping` on every connection this often (sim seconds); nil = none.
    public var pingIntervalSeconds: Int?
    /// A SYSTEM `disconnect` this long (sim seconds) after a connection opened; nil = never.
    public var disconnectAfterSeconds: Int?
    /// After a `disconnect`, the TCP connection is closed this many sim seconds later.
    public var closeAfterDisconnectSeconds = 10

    public init() {}
}

/// What the Stream side of the simulator did, for tests and benchmarks.
public struct StreamStats: Sendable, Equatable {
    /// `connections/open` calls, whatever the answer (the client meters them as `stream_open`).
    public var connectionsOpened = 0
    /// `connections/open` calls without `Accept: application/json` (answered JSON anyway).
    public var opensWithoutAccept = 0
    public var ticketsIssued = 0
    /// WebSocket upgrades refused for an unknown, expired or already used ticket.
    public var ticketsRejected = 0
    public var socketsAccepted = 0
    /// WebSockets open right now.
    public var connected = 0
    /// Events that passed the console filter.
    public var events = 0
    /// First deliveries, counted against the push quota (dropped ones included: DingTalk sent them).
    public var pushes = 0
    /// EVENT frames written to a socket (first deliveries, redeliveries and duplicates).
    public var delivered = 0
    /// Events due while no client was connected: gone, there is no replay.
    public var lost = 0
    /// Events lost in transit by the `lossRate` fault.
    public var dropped = 0
    /// Events held back by the out-of-order fault.
    public var held = 0
    public var duplicatesSent = 0
    public var redeliveries = 0
    public var acks = 0
    /// Answers asking for redelivery: `LATER` or a code other than 200.
    public var laters = 0
    /// Answers that matched no frame, or were not the spec's shape.
    public var malformedAnswers = 0
    /// Events not pushed because the push quota was gone.
    public var quotaSuppressed = 0
    /// Frames carrying `errCode` 20001.
    public var quotaFramesSent = 0
    public var pingsSent = 0
    /// Answers to SYSTEM pings that echoed `data` exactly, and those that did not.
    public var pingEchoesOK = 0
    public var pingEchoesBad = 0
    public var disconnectsSent = 0
    /// WebSocket-level pings from the client answered with a pong.
    public var pongsSent = 0

    public init() {}

    /// One line of flat JSON, snake_case, for `dingsim --control stdin`.
    public var json: String {
        let fields: [(String, Int)] = [
            ("connections_opened", connectionsOpened), ("opens_without_accept", opensWithoutAccept),
            ("tickets_issued", ticketsIssued), ("tickets_rejected", ticketsRejected), ("sockets_accepted", socketsAccepted),
            ("connected", connected), ("events", events), ("pushes", pushes), ("delivered", delivered), ("lost", lost),
            ("dropped", dropped), ("held", held), ("duplicates_sent", duplicatesSent), ("redeliveries", redeliveries),
            ("acks", acks), ("laters", laters), ("malformed_answers", malformedAnswers), ("quota_suppressed", quotaSuppressed),
            ("quota_frames_sent", quotaFramesSent), ("pings_sent", pingsSent), ("ping_echoes_ok", pingEchoesOK),
            ("ping_echoes_bad", pingEchoesBad), ("disconnects_sent", disconnectsSent), ("pongs_sent", pongsSent),
        ]
        return "{" + fields.map { "\"\($0.0)\":\($0.1)" }.joined(separator: ",") + "}"
    }
}
