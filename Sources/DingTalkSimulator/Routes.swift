import Foundation

/// The endpoint handlers: called only after every gate in the pipeline let the request through.
extension DingTalkSimulator {
    static let maxPageSize = 20
    static let maxWindowMs: Int64 = 120 * 86_400_000
    static let maxLookbackMs: Int64 = 365 * 86_400_000
    static let maxReadableIds = 10_000

    func route(_ ctx: RequestContext) -> HTTPResponse {
        switch ctx.api {
        case .token:
            guard ctx.request.method == "GET" else { return .text("method not allowed", status: 405) }
            return token(ctx)
        case .listids:
            guard ctx.request.method == "POST" else { return .text("method not allowed", status: 405) }
            return listIds(ctx)
        case .get:
            guard ctx.request.method == "POST" else { return .text("method not allowed", status: 405) }
            return get(ctx)
        case .v1Token:
            guard ctx.request.method == "POST" else { return .text("method not allowed", status: 405) }
            return v1Token(ctx)
        case .v1Query:
            guard ctx.request.method == "POST" else { return .text("method not allowed", status: 405) }
            return v1Query(ctx)
        case .v1Get:
            guard ctx.request.method == "GET" else { return .text("method not allowed", status: 405) }
            return v1Get(ctx)
        case .robot:
            guard ctx.request.method == "POST" else { return .text("method not allowed", status: 405) }
            return robotSend(ctx)
        case .streamOpen:
            guard ctx.request.method == "POST" else { return .text("method not allowed", status: 405) }
            return streamOpen(ctx)
        case .streamConnect:
            guard ctx.request.method == "GET" else { return .text("method not allowed", status: 405) }
            return streamConnect(ctx)
        case .other:
            return .json(.object([("errcode", .int(404)), ("errmsg", .string("请求的URI地址不存在"))]), status: 404)
        }
    }

    /// Same token while valid; asking again renews its time lifetime (DingTalk's documented
    /// behaviour). A token killed by `tokenExpiresAfterCalls` is replaced by a new one.
    func token(_ ctx: RequestContext) -> HTTPResponse {
        guard ctx.request.query["appkey"] == options.appKey, ctx.request.query["appsecret"] == options.appSecret else {
            return .json(.object([
                ("errcode", .int(40089)), ("errmsg", .string("不合法的corpid或corpsecret")),
            ]))
        }
        let value = issueToken(now: ctx.now)
        return .json(.object([
            ("errcode", .int(0)), ("access_token", .string(value)), ("errmsg", .string("ok")),
            ("expires_in", .int(Int64(options.tokenLifetimeSeconds))),
        ]))
    }

    /// The one token store of both families: a token from either endpoint works on both.
    func issueToken(now: Int64) -> String {
        let lifetimeMs = Int64(options.tokenLifetimeSeconds) * 1000
        return state.withLock { s in
            let maxUses = s.faults.tokenExpiresAfterCalls
            if var t = s.token, now < t.expiresAtMs, maxUses.map({ t.uses < $0 }) ?? true {
                t.expiresAtMs = now + lifetimeMs
                s.token = t
                return t.value
            }
            let t = IssuedToken(value: SimIDs.random(32, alphabet: "0123456789abcdef"),
                                expiresAtMs: now + lifetimeMs, uses: 0)
            s.token = t
            s.tokensIssued += 1
            s.issuedTokens.append(t.value)
            return t.value
        }
    }

    func listIds(_ ctx: RequestContext) -> HTTPResponse {
        let p = ctx.params
        guard ctx.bodyIsValid else { return errorAnswer(400002, "参数错误: 请求体不是合法的JSON") }
        guard let code = p["process_code"], !code.isEmpty else {
            return errorAnswer(400002, "参数错误: process_code不能为空")
        }
        guard let start = p["start_time"].flatMap(Int64.init) else {
            return errorAnswer(400002, "参数错误: start_time不能为空")
        }
        guard let end = p["end_time"].map(Int64.init) ?? ctx.now else {
            return errorAnswer(400002, "参数错误: end_time不合法")
        }
        guard let size = p["size"].map(Int.init) ?? Self.maxPageSize, size >= 0 else {
            return errorAnswer(400002, "参数错误: size不合法")
        }
        guard size <= Self.maxPageSize else { return errorAnswer(400002, "参数错误: size最大值为20") }
        guard let cursor = p["cursor"].map(Int.init) ?? 0, cursor >= 0 else {
            return errorAnswer(400002, "参数错误: cursor不合法")
        }
        let users = p["userid_list"].map { $0.split(separator: ",").map(String.init) } ?? []
        guard users.count <= 10 else { return errorAnswer(400002, "参数错误: userid_list最多10个") }
        guard end >= start, end - start <= Self.maxWindowMs, start >= ctx.now - Self.maxLookbackMs else {
            return errorAnswer(400003, "时间戳无效")
        }
        let pageSize = size == 0 ? Self.maxPageSize : size
        let userSet = Set(users)

        let page = listPage(code: code, start: start, end: end, cursor: cursor, pageSize: pageSize, users: userSet, statuses: [])
        guard let page else { return errorAnswer(400002, "参数错误: 流程编码(process_code)不存在: \(code)") }
        var result: [(String, JSON)] = [("list", .array(page.ids.map { .string($0) }))]
        if let next = page.next { result.append(("next_cursor", .int(Int64(next)))) }
        return .json(.object([
            ("errcode", .int(0)), ("result", .object(result)), ("errmsg", .string("ok")),
            ("request_id", .string(Self.requestId())),
        ]))
    }

    /// One page of ids created in [start, end] (end inclusive), oldest first; nil when the
    /// process code is unknown. `statuses` filters on the *current* status (v1 only).
    func listPage(code: String, start: Int64, end: Int64, cursor: Int, pageSize: Int,
                  users: Set<String>, statuses: Set<String>) -> (ids: [String], next: Int?)? {
        state.withLock { s in
            let all = s.sorted()
            guard code == options.processCode || all.contains(where: { $0.processCode == code }) else { return nil }
            // Binary search to the window start; the sorted order is by creation time.
            var lo = 0, hi = all.count
            while lo < hi {
                let mid = (lo + hi) / 2
                if all[mid].createTimeMs < start { lo = mid + 1 } else { hi = mid }
            }
            // Only as far as this page plus one id (to know whether a next page exists).
            let needed = min(Self.maxReadableIds, cursor + pageSize + 1)
            var matching: [String] = []
            var i = lo
            while i < all.count, all[i].createTimeMs <= end, matching.count < needed {
                let inst = all[i]
                if inst.processCode == code, users.isEmpty || users.contains(inst.originatorUserId),
                   statuses.isEmpty || statuses.contains(inst.status) {
                    matching.append(inst.id)
                }
                i += 1
            }
            // Past 10,000 the cursor loop simply stops: the page reaching the cap ends there.
            guard cursor < matching.count else { return ([], nil) }
            let stop = min(cursor + pageSize, matching.count)
            return (Array(matching[cursor..<stop]), stop < matching.count ? stop : nil)
        }
    }

    func get(_ ctx: RequestContext) -> HTTPResponse {
        guard ctx.bodyIsValid, let id = ctx.params["process_instance_id"], !id.isEmpty else {
            return errorAnswer(400002, "参数错误: process_instance_id不能为空")
        }
        let failure = state.withLock { s -> (errcode: Int, delayMs: Int)? in
            guard let f = s.failingGets[id], f.times > 0 else { return nil }
            s.failingGets[id] = (f.times - 1, f.errcode, f.delayMs)
            return (f.errcode, f.delayMs)
        }
        if let failure { server.sleep(ms: failure.delayMs) }
        let failing = failure?.errcode
        if let code = failing, code != 400002 {
            return errorAnswer(Int64(code), code == 90020 ? "本月api调用量已超过限制" : "simulated failure")
        }
        guard failing == nil, let inst = state.withLock({ $0.instances[id] }) else {
            return errorAnswer(400002, "实例不存在")
        }
        return .json(.object([
            ("errcode", .int(0)), ("errmsg", .string("ok")),
            ("process_instance", InstanceRenderer.render(inst)),
            ("request_id", .string(Self.requestId())),
        ]))
    }
}
