import Foundation

/// Everything a stage needs to know about one request, computed once up front.
struct RequestContext {
    let request: HTTPRequest
    let api: SimAPI
    /// Sequence number of this request; with the fault seed it decides the random faults.
    let index: UInt64
    let now: Int64
    /// Body parameters (JSON object, or a form body) flattened to text.
    let params: [String: String]
    let bodyIsValid: Bool
}

/// What a gate decides: answer now, or let the request go on (possibly marked to be
/// delivered truncated).
enum GateResult {
    case proceed
    case answer(HTTPResponse)
}

extension DingTalkSimulator {
    /// The request pipeline. New behaviour (the robot endpoint, new faults) plugs in as another
    /// gate in `gates` or another case in `route`.
    func handle(_ request: HTTPRequest) -> HTTPResponse {
        let api = SimAPI(path: request.path)
        let (params, valid) = Self.parameters(request)
        let index: UInt64 = state.withLock { s in
            s.requestIndex += 1
            s.calls[api, default: 0] += 1
            if api == .get, let id = params["process_instance_id"] { s.getCalls[id, default: 0] += 1 }
            return s.requestIndex
        }
        let ctx = RequestContext(request: request, api: api, index: index, now: options.now(),
                                 params: params, bodyIsValid: valid)
        server.sleep(ms: options.latencyMs)

        let faults = state.withLock { $0.faults }
        let gates: [(RequestContext, FaultOptions) -> GateResult] = [
            ipBanGate, transportGate, slowGate, tokenGate, throttleGate, permissionGate, quotaGate, transientGate,
        ]
        for gate in gates {
            if case .answer(let r) = gate(ctx, faults) { return r }
        }
        var response = route(ctx)
        if api.isApproval, roll(.truncatedBody, faults, ctx) {
            count(.truncatedBody)
            response.delivery = .truncate(bytes: response.body.count / 2)
        }
        return response
    }

    // MARK: gates, in pipeline order

    /// An IP ban blocks every API, gettoken included, before anything else looks at the request.
    func ipBanGate(_ ctx: RequestContext, _ f: FaultOptions) -> GateResult {
        guard f.ipBan, ctx.api != .robot else { return .proceed }  // the robot is another service
        let n = state.withLock { s -> Int in
            s.faultCounts[.ipBan, default: 0] += 1
            s.banAnswers += 1
            return s.banAnswers
        }
        if n % 2 == 1 {
            return .answer(.json(.object([
                ("status", .int(1111)), ("wait", .int(5)), ("punish", .string("deny")),
                ("message", .string("访问过于频繁，IP已被限制访问")),
            ])))
        }
        let html = "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>访问受限</title></head>"
            + "<body><h1>访问受限</h1><p>您的IP访问过于频繁，已被限制访问，请5分钟后再试。</p></body></html>"
        return .answer(.text(html, status: 200, contentType: "text/html; charset=utf-8"))
    }

    func transportGate(_ ctx: RequestContext, _ f: FaultOptions) -> GateResult {
        guard ctx.api.isApproval else { return .proceed }
        if roll(.dropConnection, f, ctx) {
            count(.dropConnection)
            return .answer(HTTPResponse(status: 0, body: [], delivery: .drop))
        }
        if roll(.http500, f, ctx) {
            count(.http500)
            return .answer(.text("<html><body><h1>500 Internal Server Error</h1></body></html>",
                                 status: 500, contentType: "text/html"))
        }
        return .proceed
    }

    func slowGate(_ ctx: RequestContext, _ f: FaultOptions) -> GateResult {
        if ctx.api.isApproval, roll(.slow, f, ctx) {
            count(.slow)
            server.sleep(ms: f.slowMs)
        }
        return .proceed
    }

    func tokenGate(_ ctx: RequestContext, _ f: FaultOptions) -> GateResult {
        guard ctx.api.isApproval else { return .proceed }
        let presented = ctx.api.isV1 ? ctx.request.headers["x-acs-dingtalk-access-token"] : ctx.request.query["access_token"]
        guard let presented, !presented.isEmpty else {
            count(.tokenRejected)
            if ctx.api.isV1 { return .answer(v1Error(401, "MissingAccessToken", "access token is missing")) }
            return .answer(errorAnswer(41001, "缺少参数access_token"))
        }
        let outcome = state.withLock { s -> Bool in
            guard var t = s.token, t.value == presented else { return false }
            let expiredByTime = ctx.now >= t.expiresAtMs
            let expiredByUse = f.tokenExpiresAfterCalls.map { t.uses >= $0 } ?? false
            if expiredByTime || expiredByUse { s.token = nil; return false }
            t.uses += 1
            s.token = t
            return true
        }
        if outcome { return .proceed }
        let style: TokenErrorStyle = state.withLock { s in
            s.faultCounts[.tokenRejected, default: 0] += 1
            s.tokenErrors += 1
            switch options.tokenErrorStyle {
            case .alternate: return s.tokenErrors % 2 == 1 ? .errcode88 : .errcode40014
            default: return options.tokenErrorStyle
            }
        }
        if ctx.api.isV1 { return .answer(v1Error(401, "InvalidAuthentication", "不合法的access_token")) }
        if style == .errcode88 {
            return .answer(errorAnswer(88, "ding talk error[subcode=42001,submsg=access_token is expired]",
                                       subCode: "42001", subMsg: "access_token is expired"))
        }
        return .answer(errorAnswer(40014, "不合法的access_token"))
    }

    /// 90018: first the per-API-per-second limit (real), then random throttling.
    func throttleGate(_ ctx: RequestContext, _ f: FaultOptions) -> GateResult {
        guard ctx.api.isApproval else { return .proceed }
        if let limit = f.qpsLimitPerAPI {
            let second = ctx.now / 1000
            let over = state.withLock { s -> Bool in
                var w = s.qpsWindows[ctx.api] ?? (second, 0)
                if w.second != second { w = (second, 0) }
                w.count += 1
                s.qpsWindows[ctx.api] = w
                return w.count > limit
            }
            if over {
                count(.qpsLimit)
                if ctx.api.isV1 { return .answer(v1Error(403, "Forbidden.AccessDenied.QpsLimitForAppkeyAndApi", "调用该接口超过qps限制")) }
                return .answer(errorAnswer(90018, "您的服务器调用钉钉开放平台当前接口的所有请求都被暂时禁用了"))
            }
        }
        if roll(.throttle, f, ctx) {
            count(.throttle)
            if ctx.api.isV1 { return .answer(v1Error(429, "Throttling", "请求被流控")) }
            return .answer(errorAnswer(90018, "您的服务器调用钉钉开放平台当前接口的所有请求都被暂时禁用了"))
        }
        return .proceed
    }

    func permissionGate(_ ctx: RequestContext, _ f: FaultOptions) -> GateResult {
        guard ctx.api.isApproval, f.permissionDenied else { return .proceed }
        count(.permissionDenied)
        if ctx.api.isV1 {
            return .answer(v1Error(403, "Forbidden.AccessDenied.AccessTokenPermissionDenied", "没有调用该接口的权限，接口权限申请参考：qyapi_get_process"))
        }
        return .answer(errorAnswer(88, "ding talk error[subcode=60011,submsg=没有调用该接口的权限]",
                                   subCode: "60011", subMsg: "没有调用该接口的权限"))
    }

    func quotaGate(_ ctx: RequestContext, _ f: FaultOptions) -> GateResult {
        guard ctx.api.isApproval else { return .proceed }
        let exhausted = state.withLock { s -> Bool in
            guard let left = s.quotaLeft else { return false }
            if left <= 0 { return true }
            s.quotaLeft = left - 1
            return false
        }
        guard exhausted else { return .proceed }
        count(.quotaExceeded)
        if ctx.api.isV1 { return .answer(v1Error(403, "Forbidden.AccessDenied.ApiCountLimitForOrg", "本月api调用量已超过限制")) }
        return .answer(errorAnswer(90020, "本月api调用量已超过限制"))
    }

    func transientGate(_ ctx: RequestContext, _ f: FaultOptions) -> GateResult {
        guard ctx.api.isApproval else { return .proceed }
        if roll(.errcodeMinus1, f, ctx) {
            count(.errcodeMinus1)
            if ctx.api.isV1 { return .answer(v1Error(503, "ServiceUnavailable", "服务暂不可用")) }
            return .answer(errorAnswer(-1, "系统繁忙"))
        }
        if roll(.systemError, f, ctx) {
            count(.systemError)
            if ctx.api.isV1 { return .answer(v1Error(500, "SystemBusy", "系统繁忙")) }
            return .answer(errorAnswer(400001, "系统错误"))
        }
        return .proceed
    }

    // MARK: helpers

    func roll(_ kind: FaultKind, _ f: FaultOptions, _ ctx: RequestContext) -> Bool {
        let rate: Double
        switch kind {
        case .http500: rate = f.http500Rate
        case .errcodeMinus1: rate = f.errcodeMinus1Rate
        case .systemError: rate = f.systemErrorRate
        case .throttle: rate = f.throttleRate
        case .truncatedBody: rate = f.truncatedBodyRate
        case .slow: rate = f.slowRate
        case .dropConnection: rate = f.dropConnectionRate
        default: return false
        }
        guard rate > 0 else { return false }
        let draw = SplitMix64.mix(f.seed, ctx.index &* 64 &+ kind.stream)
        return SplitMix64.unit(draw) < rate
    }

    func count(_ kind: FaultKind) {
        state.withLock { $0.faultCounts[kind, default: 0] += 1 }
    }

    /// DingTalk's error envelope: HTTP 200, non-zero errcode, and a request id.
    func errorAnswer(_ code: Int64, _ message: String, subCode: String? = nil, subMsg: String? = nil) -> HTTPResponse {
        var pairs: [(String, JSON)] = [("errcode", .int(code))]
        if let subCode { pairs.append(("sub_code", .string(subCode))) }
        if let subMsg { pairs.append(("sub_msg", .string(subMsg))) }
        pairs.append(("errmsg", .string(message)))
        pairs.append(("request_id", .string(Self.requestId())))
        return .json(.object(pairs))
    }

    /// v1's error envelope (dingtalk-api-v1.md): the HTTP status carries the class.
    func v1Error(_ status: Int, _ code: String, _ message: String) -> HTTPResponse {
        .json(.object([("code", .string(code)), ("message", .string(message)), ("requestid", .string(Self.requestId()))]),
              status: status)
    }

    static func requestId() -> String { SimIDs.random(13) }

    /// JSON object bodies as DingTalk's SDKs send them; form bodies too, as some clients do.
    /// Scalars become their text; arrays of scalars become comma-joined text.
    static func parameters(_ request: HTTPRequest) -> ([String: String], Bool) {
        guard !request.body.isEmpty else { return ([:], true) }
        if let obj = try? JSONSerialization.jsonObject(with: Data(request.body)) as? [String: Any] {
            var out: [String: String] = [:]
            for (k, v) in obj {
                if let t = text(v) { out[k] = t }
                else if let a = v as? [Any] { out[k] = a.compactMap(text).joined(separator: ",") }
            }
            return (out, true)
        }
        let type = request.headers["content-type"]?.lowercased() ?? ""
        if type.hasPrefix("application/x-www-form-urlencoded") {
            return (HTTPServer.parseQuery(request.bodyText), true)
        }
        return ([:], false)
    }

    private static func text(_ v: Any) -> String? {
        switch v {
        case let s as String: return s
        case let n as NSNumber:
            if let i = Int64(exactly: n) { return String(i) }
            return n.stringValue
        default: return nil
        }
    }
}
