import DingSyncMapping
import Foundation
import HTTPClient
import Synchronization

/// The access token, shared by all workers of a run and kept across runs (sealed in the state
/// tables): DingTalk's token lives 7,200 s and `gettoken` is itself throttled. When it expires
/// mid-run exactly one worker fetches the new one; the others wait for it (single flight).
public final class TokenCache: @unchecked Sendable {
    public struct Entry: Sendable, Equatable {
        public var token: String
        public var expiresAtMs: Int64
        /// Fetched by this run, not yet saved for the next one.
        public var fresh: Bool
    }
    /// A token is not used in its last minute: a call must not reach DingTalk just after it.
    static let marginMs: Int64 = 60_000
    private let cond = NSCondition()  // guards both fields
    private var entry: Entry?
    private var refreshing = false
    public init() {}

    /// The valid token, or the one that `fetch` brings, fetched by one caller at a time.
    func token(nowMs: () -> Int64, cancellation: RunCancellation,
               fetch: () throws(DingTalkError) -> (String, Int)) throws(DingTalkError) -> String {
        cond.lock()
        while true {
            if let e = entry, nowMs() < e.expiresAtMs - Self.marginMs {
                cond.unlock()
                return e.token
            }
            if !refreshing { break }
            if cancellation.isCancelled {
                cond.unlock()
                throw .cancelled(api: "gettoken")
            }
            _ = cond.wait(until: Date(timeIntervalSinceNow: 0.05))
        }
        refreshing = true
        cond.unlock()
        var failure: DingTalkError?
        var fetched: (String, Int)?
        do { fetched = try fetch() } catch { failure = error }
        cond.lock()
        refreshing = false
        if let (token, expires) = fetched {
            entry = Entry(token: token, expiresAtMs: nowMs() + Int64(expires) * 1000, fresh: true)
        }
        cond.broadcast()
        cond.unlock()
        if let failure { throw failure }
        return fetched!.0
    }

    /// A token saved by an earlier run.
    public func seed(_ token: String, expiresAtMs: Int64) {
        cond.lock()
        if entry == nil { entry = Entry(token: token, expiresAtMs: expiresAtMs, fresh: false) }
        cond.unlock()
    }

    /// The token to save for later runs, once: nil when it came from an earlier run.
    public func takeFresh() -> Entry? {
        cond.lock()
        defer { cond.unlock() }
        guard let e = entry, e.fresh else { return nil }
        entry?.fresh = false
        return e
    }

    /// Drops the token only if it is still the one that failed, so concurrent workers that
    /// hit the same expiry fetch one new token, not one each.
    func invalidate(_ token: String) {
        cond.lock()
        if entry?.token == token { entry = nil }
        cond.unlock()
    }
}

/// How many metered calls this run may still start. Taken before a call, given back when the
/// call was not metered (throttled, or no answer at all).
public final class CallAllowance: Sendable {
    private let left: Mutex<Int?>
    /// nil: no limit (tests of the client alone).
    public init(_ calls: Int? = nil) { left = Mutex(calls) }
    public func set(_ calls: Int?) { left.withLock { $0 = calls } }
    public var remaining: Int? { left.withLock { $0 } }
    func take() -> Bool {
        left.withLock { l in
            guard let n = l else { return true }
            guard n > 0 else { return false }
            l = n - 1
            return true
        }
    }
    func giveBack() { left.withLock { l in if let n = l { l = n + 1 } } }
}

/// A flag threads share (a reference, so copies of `Shared` see one value).
public final class SharedFlag: Sendable {
    private let value = Mutex(false)
    public init() {}
    public var isSet: Bool { value.withLock { $0 } }
    public func set() { value.withLock { $0 = true } }
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
        public let allowance: CallAllowance
        public let cancellation: RunCancellation
        /// `api: v1` and the legacy `get` refused with a permission error: v1's GET from then on.
        public let v1DetailsOnly = SharedFlag()
        public init(settings: DingTalkSettings, clock: any SyncClock, counters: CallCounters = CallCounters(),
                    tokens: TokenCache = TokenCache(), allowance: CallAllowance = CallAllowance(),
                    cancellation: RunCancellation = RunCancellation()) {
            self.settings = settings
            self.clock = clock
            self.tokens = tokens
            self.counters = counters
            self.allowance = allowance
            self.cancellation = cancellation
            listLimiter = RateLimiter(qps: settings.maxQPS, clock: clock, cancellation: cancellation)
            getLimiter = RateLimiter(qps: settings.maxQPS, clock: clock, cancellation: cancellation)
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

    /// One page of the instance ids created in `[startMs, endMs]` (inclusive). With
    /// `dingtalk.api: v1` it is v1's `instanceIds/query`, which may filter by current status
    /// (`statuses`, e.g. `["RUNNING", "NEW"]`); the legacy `listids` cannot, so a status filter
    /// there is a programming error.
    public func listIds(startMs: Int64, endMs: Int64, cursor: Int, statuses: [String] = []) throws(DingTalkError) -> ListPage {
        if settings.api == .v1 {
            let base = settings.v1BaseURL, code = settings.processCode, size = min(settings.pageSize, 20), timeout = settings.timeoutMs
            return try call(api: V1Codec.queryAPI, limiter: shared.listLimiter, request: { token in
                V1Codec.queryRequest(baseURL: base, token: token, processCode: code, startMs: startMs, endMs: endMs,
                                     cursor: cursor, maxResults: size, statuses: statuses, timeoutMs: timeout)
            }, decode: { (r: HTTPResponse) throws(DingTalkError) in try V1Codec.decodeQuery(r) })
        }
        precondition(statuses.isEmpty, "the legacy listids cannot filter by status")
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

    /// An instance's detail. Both families fetch it with the legacy `get` (dingtalk-api-v1.md:
    /// v1's GET has minute-precision UTC times, and a job switching API must not lose the
    /// seconds of its rows); with `api: v1`, an app that may not call the legacy `get` falls
    /// back to v1's GET for the rest of the run (times then to the minute, documented).
    public func get(id: String) throws(DingTalkError) -> InstanceDetail {
        if settings.api == .v1, shared.v1DetailsOnly.isSet { return try v1Get(id: id) }
        do {
            return try legacyGet(id: id)
        } catch where settings.api == .v1 && error.errorClass == .permission {
            shared.v1DetailsOnly.set()
            return try v1Get(id: id)
        }
    }

    private func v1Get(id: String) throws(DingTalkError) -> InstanceDetail {
        let base = settings.v1BaseURL, code = settings.processCode, timeout = settings.timeoutMs
        return try call(api: V1Codec.getAPI, limiter: shared.getLimiter, request: { token in
            V1Codec.getRequest(baseURL: base, token: token, id: id, timeoutMs: timeout)
        }, decode: { (r: HTTPResponse) throws(DingTalkError) in try V1Codec.decodeGet(r, id: id, processCode: code) })
    }

    private func legacyGet(id: String) throws(DingTalkError) -> InstanceDetail {
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
        var attempt = 0
        while true {
            attempt += 1
            do {
                return try currentToken()
            } catch {
                guard let delay = RetryPolicy(settings.retry).delayMs(afterAttempt: attempt, errorClass: error.errorClass, using: &rng)
                else { throw error }
                retried(error, delay)
            }
        }
    }

    private func currentToken() throws(DingTalkError) -> String {
        let clock = shared.clock
        return try shared.tokens.token(nowMs: { clock.nowMs() }, cancellation: shared.cancellation) { () throws(DingTalkError) in
            try fetchToken()
        }
    }

    /// One token serves both families (an internal app's token works on `topapi` and v1), so
    /// the cache is shared and a job that switches API keeps its cached token.
    private func fetchToken() throws(DingTalkError) -> (String, Int) {
        shared.counters.add { $0.token += 1 }
        if settings.api == .v1 {
            let request = V1Codec.tokenRequest(baseURL: settings.v1BaseURL, appKey: settings.appKey,
                                               appSecret: settings.appSecret, timeoutMs: settings.timeoutMs)
            let response: HTTPResponse
            do { response = try transport.send(request) } catch { throw DingTalkError.transport(api: V1Codec.tokenAPI, error) }
            return try V1Codec.decodeToken(response)
        }
        let url = "\(settings.baseURL)/gettoken?appkey=\(Self.percent(settings.appKey))&appsecret=\(Self.percent(settings.appSecret))"
        let answer = try roundTrip(api: "gettoken", HTTPRequest(method: .get, url: url, timeoutMs: settings.timeoutMs)).json
        guard let token = answer["access_token"] as? String, !token.isEmpty else {
            throw DingTalkError(errorClass: .transient, api: "gettoken", errcode: nil, subCode: nil, message: "answer has no access_token")
        }
        return (token, (answer["expires_in"] as? NSNumber)?.intValue ?? 7200)
    }

    /// The parsed answer and its bytes (for callers that keep part of it verbatim).
    typealias Answer = (json: [String: Any], body: Data)

    private func call(api: String, path: String, body: [String: Any], limiter: RateLimiter) throws(DingTalkError) -> Answer {
        let payload = (try? JSONSerialization.data(withJSONObject: body, options: [.withoutEscapingSlashes])) ?? Data()
        let base = settings.baseURL, timeout = settings.timeoutMs
        return try call(api: api, limiter: limiter, request: { token in
            HTTPRequest(method: .post, url: "\(base)\(path)?access_token=\(Self.percent(token))",
                        headers: [("Content-Type", "application/json; charset=utf-8")], body: payload, timeoutMs: timeout)
        }, decode: { (response: HTTPResponse) throws(DingTalkError) -> Answer in
            (try Self.decodeAnswer(api: api, response), response.body)
        })
    }

    /// One metered call of either family: paced, paid from the allowance, retried by class.
    private func call<T>(api: String, limiter: RateLimiter, request: (String) -> HTTPRequest,
                         decode: (HTTPResponse) throws(DingTalkError) -> T) throws(DingTalkError) -> T {
        var attempt = 0
        while true {
            attempt += 1
            var usedToken: String?
            do throws(DingTalkError) {
                // After a fatal error elsewhere no new call starts.
                if shared.cancellation.isCancelled { throw .cancelled(api: api) }
                // One attempt at a token per attempt at the call: max_attempts bounds both together.
                let token = try currentToken()
                usedToken = token
                limiter.acquire()
                if shared.cancellation.isCancelled { throw .cancelled(api: api) }
                guard shared.allowance.take() else { throw .budgetSpent(api: api) }
                let answer: T
                do throws(DingTalkError) {
                    let response: HTTPResponse
                    do { response = try transport.send(request(token)) } catch { throw DingTalkError.transport(api: api, error) }
                    answer = try decode(response)
                } catch {
                    metered(api, error.isMetered)
                    throw error
                }
                metered(api, true)
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

    /// The ledger counts what DingTalk answered; an unanswered or throttled call is given back.
    private func metered(_ api: String, _ counts: Bool) {
        if counts {
            shared.counters.add { c in
                switch api {
                case "get": c.get += 1
                case V1Codec.queryAPI: c.v1Query += 1
                case V1Codec.getAPI: c.v1Get += 1
                default: c.listids += 1
                }
            }
        } else {
            shared.allowance.giveBack()
        }
    }

    private func retried(_ error: DingTalkError, _ delayMs: Int) {
        shared.counters.add { $0.retries += 1 }
        onRetry?(error, delayMs)
        shared.clock.sleep(ms: delayMs, unless: shared.cancellation)
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
