import Foundation

/// The v1.0 workflow endpoints (dingtalk-api-v1.md) over the same world as the legacy ones:
/// same instances, clock, token store and (through the pipeline) faults, quota and counters.
extension DingTalkSimulator {
    func v1Token(_ ctx: RequestContext) -> HTTPResponse {
        guard ctx.bodyIsValid else { return v1Error(400, "InvalidParameter", "request body is not JSON") }
        guard let key = ctx.params["appKey"], let secret = ctx.params["appSecret"] else {
            return v1Error(400, "MissingParameter", "appKey and appSecret are required")
        }
        guard key == options.appKey, secret == options.appSecret else {
            return v1Error(400, "invalidClientIdOrSecret", "无效的clientId或者clientSecret")
        }
        return .json(.object([
            ("accessToken", .string(issueToken(now: ctx.now))),
            ("expireIn", .int(Int64(options.tokenLifetimeSeconds))),
        ]))
    }

    func v1Query(_ ctx: RequestContext) -> HTTPResponse {
        let p = ctx.params
        guard ctx.bodyIsValid else { return v1Error(400, "InvalidParameter", "request body is not JSON") }
        guard let code = p["processCode"], !code.isEmpty else { return v1Error(400, "MissingParameter", "processCode is mandatory") }
        guard let start = p["startTime"].flatMap(Int64.init) else { return v1Error(400, "MissingParameter", "startTime is mandatory") }
        guard let end = p["endTime"].map(Int64.init) ?? ctx.now else { return v1Error(400, "InvalidParameter", "endTime is invalid") }
        guard let size = p["maxResults"].map(Int.init) ?? Self.maxPageSize, (1...Self.maxPageSize).contains(size) else {
            return v1Error(400, "InvalidParameter", "maxResults must be 1 to 20")
        }
        guard let cursor = p["nextToken"].map(Int.init) ?? 0, cursor >= 0 else {
            return v1Error(400, "InvalidParameter", "nextToken is invalid")
        }
        let users = p["userIds"].map { $0.split(separator: ",").map(String.init) } ?? []
        guard users.count <= 10 else { return v1Error(400, "InvalidParameter", "userIds at most 10") }
        let statuses = p["statuses"].map { $0.split(separator: ",").map(String.init) } ?? []
        let known: Set<String> = ["NEW", "RUNNING", "TERMINATED", "COMPLETED", "CANCELED"]
        if let bad = statuses.first(where: { !known.contains($0) }) {
            return v1Error(400, "InvalidParameter", "statuses: unknown status \(bad)")
        }
        guard end >= start, end - start <= Self.maxWindowMs, start >= ctx.now - Self.maxLookbackMs else {
            return v1Error(400, "InvalidParameter", "startTime/endTime out of range")
        }
        guard let page = listPage(code: code, start: start, end: end, cursor: cursor, pageSize: size,
                                  users: Set(users), statuses: Set(statuses))
        else { return v1Error(400, "InvalidParameter", "processCode not found: \(code)") }
        var result: [(String, JSON)] = [("list", .array(page.ids.map { .string($0) }))]
        if let next = page.next {
            // Both spellings are seen from DingTalk; alternate by page so every client meets both.
            result.append(("nextToken", (next / size) % 2 == 0 ? .string(String(next)) : .int(Int64(next))))
        }
        return .json(.object([("result", .object(result)), ("success", .bool(true))]))
    }

    func v1Get(_ ctx: RequestContext) -> HTTPResponse {
        guard let id = ctx.request.query["processInstanceId"], !id.isEmpty else {
            return v1Error(400, "MissingParameter", "processInstanceId is mandatory")
        }
        guard let inst = state.withLock({ $0.instances[id] }) else {
            return v1Error(400, "InvalidParameter", "processInstanceId not found")
        }
        return .json(.object([("result", V1InstanceRenderer.render(inst)), ("success", .bool(true))]))
    }
}

/// The legacy rendering with v1's camelCase names and UTC-minute times, so both families
/// describe one instance identically apart from those two differences.
enum V1InstanceRenderer {
    static let renames: [String: String] = [
        "originator_userid": "originatorUserId", "cc_userids": "ccUserIds", "userid": "userId",
        "attached_process_instance_ids": "attachedProcessInstanceIds", "taskid": "taskId",
    ]
    static let timeKeys: Set<String> = ["create_time", "finish_time", "date"]

    static func render(_ i: SimInstance) -> JSON {
        var json = camel(InstanceRenderer.render(i))
        if case .object(var pairs) = json {
            pairs.append(("approverUserIds", .array(InstanceRenderer.approvers.map { .string($0) })))
            // bizAlias exists only in v1; the simulated form has none, so it is empty.
            json = .object(pairs)
        }
        return json
    }

    static func camel(_ json: JSON) -> JSON {
        switch json {
        case .object(let pairs):
            return .object(pairs.map { key, value in
                if timeKeys.contains(key), case .string(let s) = value { return (camelName(key), .string(utcMinute(s))) }
                if key == "form_component_values", case .array(let cs) = value {
                    return ("formComponentValues", .array(cs.map { c in
                        guard case .object(let p) = camel(c) else { return c }
                        return .object(p + [("bizAlias", .string(""))])
                    }))
                }
                return (camelName(key), camel(value))
            })
        case .array(let items): return .array(items.map(camel))
        default: return json
        }
    }

    static func camelName(_ snake: String) -> String {
        if let r = renames[snake] { return r }
        let parts = snake.split(separator: "_")
        return parts.enumerated().map { $0 == 0 ? String($1) : $1.prefix(1).uppercased() + $1.dropFirst() }.joined()
    }

    /// Beijing `yyyy-MM-dd HH:mm:ss` → UTC `yyyy-MM-ddTHH:mmZ`: the SDK's documented form,
    /// seconds dropped.
    static func utcMinute(_ beijing: String) -> String {
        let n = beijing.split(whereSeparator: { "- :".contains($0) }).compactMap { Int($0) }
        guard n.count == 6 else { return beijing }
        var cal = Calendar(identifier: .gregorian)
        cal.timeZone = TimeZone(secondsFromGMT: 8 * 3600)!
        guard let d = cal.date(from: DateComponents(year: n[0], month: n[1], day: n[2], hour: n[3], minute: n[4])) else { return beijing }
        cal.timeZone = TimeZone(identifier: "UTC")!
        let u = cal.dateComponents([.year, .month, .day, .hour, .minute], from: d)
        return String(format: "%04d-%02d-%02dT%02d:%02dZ", u.year!, u.month!, u.day!, u.hour!, u.minute!)
    }
}
