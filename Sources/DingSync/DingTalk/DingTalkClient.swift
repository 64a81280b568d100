import DingSyncMapping
import Foundation
import HTTPClient
import Synchronization

/// The access token, shared by all workers of a run. Refreshed a few minutes before expiry
/// (gettoken is itself throttled, so never per call) and whenever DingTalk rejects it.
public final class TokenCache: Sendable {
    private struct Entry { var token: String; var expiresAtMs: Int64 }
    private let entry = Mutex<Entry?>(nil)
    public init() {}

    func current(nowMs: Int64) -> String? {
        entry.withLock { e in e.flatMap { nowMs < $0.expiresAtMs ? $0.token : nil } }
    }
    func store(_ token: String, expiresInSeconds: Int, nowMs: Int64) {
        let margin = min(300, expiresInSeconds / 4)
        entry.withLock { $0 = Entry(token: token, expiresAtMs: nowMs + Int64(expiresInSeconds - margin) * 1000) }
    }
    /// Drops the token only if it is still the one that failed, so concurrent workers that
    /// hit the same expiry fetch one new token, not one each.
    func invalidate(_ token: String) {
        entry.withLock { if $0?.token == token { $0 = nil } }
    }
}

/// One page of `listids`.
public struct ListPage: Sendable, Equatable {
    public var ids: [String]
    public var nextCursor: Int?
}

/// DingTalk's approval API over an `HTTPTransport`. Every call is paced by the API's rate
/// limiter, checked by its body's errcode (DingTalk answers errors with HTTP 200), and retried
/// by the retry policy. Not Sendable: each worker owns one client (and one transport).
public final class DingTalkClient {
    public struct Shared: Sendable {
        public let settings: DingTalkSettings
        public let clock: any SyncClock
        public let tokens: TokenCache
        public let counters: CallCounters
        public let listLimiter: RateLimiter
        public let getLimiter: RateLimiter
        public init(settings: DingTalkSettings, clock: any SyncClock, counters: CallCounters = CallCounters()) {
            self.settings = settings
            self.clock = clock
            self.tokens = TokenCache()
            self.counters = counters
            listLimiter = RateLimiter(qps: settings.maxQPS, clock: clock)
            getLimiter = RateLimiter(qps: settings.maxQPS, clock: clock)
        }
    }

    let shared: Shared
    private let transport: any HTTPTransport
    private var rng = SystemRandomNumberGenerator()
    /// Told about every retry (class, delay) so the run can log it.
    public var onRetry: ((DingTalkError, Int) -> Void)?

    public init(shared: Shared, transport: any HTTPTransport) {
        self.shared = shared
        self.transport = transport
    }

    private var settings: DingTalkSettings { shared.settings }

    public func listIds(startMs: Int64, endMs: Int64, cursor: Int) throws(DingTalkError) -> ListPage {
        let body: [String: Any] = [
            "process_code": settings.processCode, "start_time": startMs, "end_time": endMs,
            "size": settings.pageSize, "cursor": cursor,
        ]
        let answer = try call(api: "listids", path: "/topapi/processinstance/listids", body: body, limiter: shared.listLimiter).json
        guard let result = answer["result"] as? [String: Any] else {
            throw DingTalkError(errorClass: .transient, api: "listids", errcode: nil, subCode: nil, message: "answer has no result")
        }
        let ids = (result["list"] as? [Any] ?? []).compactMap { $0 as? String }
        let next = (result["next_cursor"] as? NSNumber)?.intValue ?? (result["next_cursor"] as? String).flatMap { Int($0) }
        return ListPage(ids: ids, nextCursor: next)
    }

    public func get(id: String) throws(DingTalkError) -> InstanceDetail {
        let answer = try call(api: "get", path: "/topapi/processinstance/get", body: ["process_instance_id": id],
                              limiter: shared.getLimiter)
        guard let pi = answer.json["process_instance"] as? [String: Any],
              let data = RawJSONMember.value(of: "process_instance", in: answer.body)
        else {
            throw DingTalkError(errorClass: .instance, api: "get", errcode: nil, subCode: nil,
                                message: "answer for instance \(id) has no process_instance")
        }
        return InstanceDetail(processInstance: pi, rawJSON: String(decoding: data, as: UTF8.self),
                              id: id, processCode: settings.processCode)
    }

    /// Fetches a token now (used by `check`); normally tokens are fetched on demand.
    public func token() throws(DingTalkError) -> String {
        if let t = shared.tokens.current(nowMs: shared.clock.nowMs()) { return t }
        var attempt = 0
        while true {
            attempt += 1
            do {
                return try fetchToken()
            } catch {
                guard let delay = RetryPolicy(settings.retry).delayMs(afterAttempt: attempt, errorClass: error.errorClass, using: &rng)
                else { throw error }
                retried(error, delay)
            }
        }
    }

    private func fetchToken() throws(DingTalkError) -> String {
        let url = "\(settings.baseURL)/gettoken?appkey=\(Self.percent(settings.appKey))&appsecret=\(Self.percent(settings.appSecret))"
        shared.counters.add { $0.token += 1 }
        let answer = try roundTrip(api: "gettoken", HTTPRequest(method: .get, url: url, timeoutMs: settings.timeoutMs)).json
        guard let token = answer["access_token"] as? String, !token.isEmpty else {
            throw DingTalkError(errorClass: .transient, api: "gettoken", errcode: nil, subCode: nil, message: "answer has no access_token")
        }
        let expires = (answer["expires_in"] as? NSNumber)?.intValue ?? 7200
        shared.tokens.store(token, expiresInSeconds: expires, nowMs: shared.clock.nowMs())
        return token
    }

    /// The parsed answer and its bytes (for callers that keep part of it verbatim).
    typealias Answer = (json: [String: Any], body: Data)

    private func call(api: String, path: String, body: [String: Any], limiter: RateLimiter) throws(DingTalkError) -> Answer {
        let payload = (try? JSONSerialization.data(withJSONObject: body, options: [.withoutEscapingSlashes])) ?? Data()
        var attempt = 0
        while true {
            attempt += 1
            var usedToken: String?
            do {
                // One attempt at a token per attempt at the call: max_attempts bounds both together.
                let token: String
                if let cached = shared.tokens.current(nowMs: shared.clock.nowMs()) { token = cached } else { token = try fetchToken() }
                usedToken = token
                limiter.acquire()
                shared.counters.add { api == "get" ? ($0.get += 1) : ($0.listids += 1) }
                let request = HTTPRequest(method: .post, url: "\(settings.baseURL)\(path)?access_token=\(Self.percent(token))",
                                          headers: [("Content-Type", "application/json; charset=utf-8")],
                                          body: payload, timeoutMs: settings.timeoutMs)
                let answer = try roundTrip(api: api, request)
                limiter.succeeded()
                return answer
            } catch {
                if error.errorClass == .token, let usedToken { shared.tokens.invalidate(usedToken) }
                if error.errorClass == .throttled {
                    shared.counters.add { $0.throttled += 1 }
                    limiter.throttled()
                }
                guard let delay = RetryPolicy(settings.retry).delayMs(afterAttempt: attempt, errorClass: error.errorClass, using: &rng)
                else { throw error }
                retried(error, delay)
            }
        }
    }

    private func retried(_ error: DingTalkError, _ delayMs: Int) {
        shared.counters.add { $0.retries += 1 }
        onRetry?(error, delayMs)
        shared.clock.sleep(ms: delayMs)
    }

    /// One HTTP exchange, its failure modes turned into classified errors.
    private func roundTrip(api: String, _ request: HTTPRequest) throws(DingTalkError) -> Answer {
        let response: HTTPResponse
        do {
            response = try transport.send(request)
        } catch {
            throw DingTalkError.transport(api: api, error)
        }
        return (try Self.decodeAnswer(api: api, response), response.body)
    }

    static func decodeAnswer(api: String, _ response: HTTPResponse) throws(DingTalkError) -> [String: Any] {
        func fail(_ cls: DingTalkError.Class, _ m: String) -> DingTalkError {
            DingTalkError(errorClass: cls, api: api, errcode: nil, subCode: nil, message: m)
        }
        if response.status >= 500 { throw fail(.transient, "HTTP \(response.status)") }
        let json = try? JSONSerialization.jsonObject(with: response.body) as? [String: Any]
        guard let json else {
            let head = String(decoding: response.body.prefix(512), as: UTF8.self).lowercased()
            if head.contains("<html") || head.contains("<!doctype") {
                // DingTalk's ban page comes as HTTP 200; an HTML error page with another status is
                // a wrong base_url or a proxy in the way, which waiting will not fix.
                guard response.status == 200 else {
                    throw fail(.configuration, "HTTP \(response.status) with an HTML page instead of DingTalk's JSON: check dingtalk.base_url and any proxy")
                }
                throw fail(.ipBan, "DingTalk answered an HTML page instead of JSON: this IP is banned for a while (10,000 calls in 20 s); the run stops, cron will retry later")
            }
            throw fail(.transient, "HTTP \(response.status) with an incomplete or non-JSON body (\(response.body.count) bytes)")
        }
        guard let errcode = (json["errcode"] as? NSNumber)?.intValue else {
            if json["punish"] != nil || (json["status"] as? NSNumber)?.intValue == 1111 {
                let wait = (json["wait"] as? NSNumber)?.intValue ?? 5
                throw fail(.ipBan, "DingTalk has banned this IP for about \(wait) minute(s) (too many calls); the run stops, cron will retry later")
            }
            if response.status != 200 { throw fail(.transient, "HTTP \(response.status)") }
            throw fail(.transient, "answer has no errcode")
        }
        guard errcode == 0 else {
            let sub = (json["sub_code"] as? String) ?? (json["sub_code"] as? NSNumber)?.stringValue
            let msg = (json["errmsg"] as? String) ?? (json["sub_msg"] as? String) ?? ""
            throw DingTalkError.classify(api: api, errcode: errcode, subCode: sub, errmsg: msg)
        }
        return json
    }

    static func percent(_ s: String) -> String {
        // RFC 3986 unreserved characters only: CharacterSet.alphanumerics would let CJK through.
        let allowed = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
        return s.addingPercentEncoding(withAllowedCharacters: allowed) ?? s
    }
}
