import HTTPClient

/// What went wrong talking to DingTalk, classified once by the table of dingtalk-api.md,
/// so every caller decides retries and exit codes the same way.
public struct DingTalkError: Error, Sendable, CustomStringConvertible {
    public enum Class: String, Sendable {
        case token          // drop the token, fetch a new one, retry
        case throttled      // back off, slow down
        case transient      // retry with backoff
        case ipBan          // stop calling: the run ends with 75
        case quota          // monthly quota: end at once, 75
        case permission     // 77
        case configuration  // 78
        case instance       // an error about one instance only: skip it, record it
        case budget         // not DingTalk's: this run's call allowance is spent
        case cancelled      // not DingTalk's: the run is stopping after a fatal error
    }

    public var errorClass: Class
    public var api: String
    public var errcode: Int?
    public var subCode: String?
    public var message: String

    public var description: String {
        var s = "DingTalk \(api)"
        if let errcode { s += " errcode \(errcode)" }
        if let subCode { s += " (sub_code \(subCode))" }
        return s + ": \(message)"
    }

    /// A failure of the token request, whichever call needed the token: the credentials'
    /// problem, not the instance's or the window's.
    public var isTokenRequest: Bool { api == "gettoken" || api == V1Codec.tokenAPI }

    /// What to say the run was doing when this failed: the token request names itself.
    public func doing(_ what: String) -> String { isTokenRequest ? "getting an access token" : what }

    public var exitStatus: ExitStatus {
        switch errorClass {
        case .ipBan, .quota, .throttled, .budget: return .tryLater
        case .permission: return .permission
        case .configuration: return .config
        case .token, .transient, .instance, .cancelled: return .unavailable
        }
    }

    static let tokenCodes: Set<Int> = [40014, 42001, 40001, 41001]
    static let tokenSubCodes: Set<String> = ["40014", "42001", "40001", "40000", "41001"]
    static let throttleCodes: Set<Int> = [90018, 90002, 90005, 90006, 45009]
    static let permissionCodes: Set<Int> = [60011, 60020, 40089, 40096]

    /// Classifies a body's non-zero errcode for the given API.
    static func classify(api: String, errcode: Int, subCode: String?, errmsg: String) -> DingTalkError {
        let cls: Class
        switch errcode {
        case _ where tokenCodes.contains(errcode): cls = .token
        case 88 where subCode.map(tokenSubCodes.contains) ?? false: cls = .token
        case 88 where subCode == "60011": cls = .permission
        case 88: cls = .throttled
        case _ where throttleCodes.contains(errcode): cls = .throttled
        case -1, 400001: cls = .transient
        case 90020: cls = .quota
        case _ where permissionCodes.contains(errcode): cls = .permission
        case 400002, 400003: cls = api == "get" ? .instance : .configuration
        default: cls = api == "get" ? .instance : .configuration
        }
        var message = errmsg.isEmpty ? "no message" : errmsg
        switch cls {
        case .quota: message += " — the organisation's monthly DingTalk API quota is exhausted"
        case .permission where errcode == 60020: message += " — this machine's IP is not on the app's allow-list"
        case .permission where errcode == 40089 || errcode == 40096: message += " — check dingtalk.app_key / app_secret"
        case .permission: message += " — the app lacks the approval API permission"
        case .configuration where errcode == 400003: message += " — the time window was refused"
        default: break
        }
        return DingTalkError(errorClass: cls, api: api, errcode: errcode, subCode: subCode, message: message)
    }

    /// DingTalk answered, and the answer is metered: everything but throttling (which DingTalk
    /// does not count) and our own stops. Counted conservatively otherwise.
    public var isMetered: Bool {
        switch errorClass {
        case .throttled, .budget, .cancelled: return false
        case .transient: return errcode != nil
        default: return true
        }
    }

    static func budgetSpent(api: String) -> DingTalkError {
        DingTalkError(errorClass: .budget, api: api, errcode: nil, subCode: nil, message: "this run's share of the monthly call budget is spent")
    }

    static func cancelled(api: String) -> DingTalkError {
        DingTalkError(errorClass: .cancelled, api: api, errcode: nil, subCode: nil, message: "the run is stopping")
    }

    static func transport(api: String, _ e: HTTPError) -> DingTalkError {
        let cls: Class = e.kind == .tls ? .configuration : .transient
        return DingTalkError(errorClass: cls, api: api, errcode: nil, subCode: nil, message: e.description)
    }
}
