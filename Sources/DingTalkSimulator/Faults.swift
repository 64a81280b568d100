/// Misbehaviour the simulator injects into `listids`/`get` (and, for an IP ban, every API).
/// Rates are probabilities per request, decided from `seed` and the request's sequence number,
/// so a sequential client sees the same faults on every run.
public struct FaultOptions: Sendable, Equatable {
    public var seed: UInt64 = 1
    /// HTTP 500 with an HTML body.
    public var http500Rate = 0.0
    /// `{"errcode":-1,"errmsg":"系统繁忙"}`.
    public var errcodeMinus1Rate = 0.0
    /// `errcode` 400001 (system error) on a single page, as seen mid-loop.
    public var systemErrorRate = 0.0
    /// `errcode` 90018, independent of the QPS limit.
    public var throttleRate = 0.0
    /// The full Content-Length is announced, half the body is sent, the connection closes.
    public var truncatedBodyRate = 0.0
    /// The answer is delayed by `slowMs`.
    public var slowRate = 0.0
    public var slowMs = 0
    /// The connection closes without an answer.
    public var dropConnectionRate = 0.0
    /// Answer 90018 past this many calls per API per second (by the simulator's `now`).
    public var qpsLimitPerAPI: Int? = nil
    /// A token dies after serving this many API calls (then a token error, then a new token).
    public var tokenExpiresAfterCalls: Int? = nil
    /// Every call (gettoken too) gets an IP-ban answer without `errcode`: alternately the JSON
    /// `{"status":1111,"wait":5,"punish":"deny",...}` and an HTML page, both HTTP 200.
    public var ipBan = false
    /// Approval calls left this "month"; afterwards `errcode` 90020. Throttled, banned, dropped
    /// and token-rejected calls do not count.
    public var quotaRemaining: Int? = nil
    /// `errcode` 88 with `sub_code` "60011" (no API permission).
    public var permissionDenied = false

    public init() {}
}

/// The kinds of injected misbehaviour, for `faultCount(_:)`.
public enum FaultKind: String, CaseIterable, Sendable {
    case http500, errcodeMinus1, systemError, throttle, truncatedBody, slow, dropConnection
    case qpsLimit, ipBan, quotaExceeded, permissionDenied
    /// Every answer that rejected a token (expired by time or by call count, unknown, missing).
    case tokenRejected

    /// Fixed sub-stream per kind so changing one rate never shifts another kind's decisions.
    var stream: UInt64 { UInt64(FaultKind.allCases.firstIndex(of: self)!) + 1 }
}

/// How an expired or unknown token is answered.
public enum TokenErrorStyle: Sendable {
    /// `{"errcode":88,"sub_code":"42001",...}` then `{"errcode":40014,...}`, in turn.
    case alternate
    case errcode88
    case errcode40014
}

/// The APIs the simulator counts calls for.
public enum SimAPI: String, CaseIterable, Sendable {
    case token, listids, get
    /// The v1.0 family (dingtalk-api-v1.md): same world, token store, faults and quota.
    case v1Token = "v1_token", v1Query = "v1_query", v1Get = "v1_get"
    /// The custom robot webhook (alerts).
    case robot
    /// Stream mode's gateway (`connections/open`) and its WebSocket endpoint.
    case streamOpen = "stream_open", streamConnect = "stream_connect"
    /// Any path the simulator does not know (answered 404).
    case other

    init(path: String) {
        switch path {
        case "/gettoken": self = .token
        case "/topapi/processinstance/listids": self = .listids
        case "/topapi/processinstance/get": self = .get
        case "/v1.0/oauth2/accessToken": self = .v1Token
        case "/v1.0/workflow/processes/instanceIds/query": self = .v1Query
        case "/v1.0/workflow/processInstances": self = .v1Get
        case "/robot/send": self = .robot
        case "/v1.0/gateway/connections/open": self = .streamOpen
        case "/connect": self = .streamConnect
        default: self = .other
        }
    }

    /// The approval APIs: the ones faults, quota and throttling apply to.
    var isApproval: Bool { self == .listids || self == .get || self == .v1Query || self == .v1Get }
    /// Answers errors as HTTP 4xx/5xx with `{"code","message","requestid"}` instead of errcodes.
    var isV1: Bool { self == .v1Token || self == .v1Query || self == .v1Get }
}
