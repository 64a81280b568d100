import DingSyncMapping
import Foundation
import HTTPClient

/// DingTalk's v1.0 workflow API (dingtalk-api-v1.md) as pure functions: requests out,
/// answers in. No transport, no retries, no token cache — the client that owns those
/// (DingTalkClient) can call this without the two backends sharing any state.
/// Everything v1-specific is translated here, once, into the legacy shapes (`ListPage`,
/// `InstanceDetail` with snake_case attributes and Beijing times), so the mapping engine,
/// the state tables and `remap` never learn that a second API exists.
public enum V1Codec {
    /// API names used in errors and counters, distinct from the legacy "gettoken"/"listids"/"get".
    public static let tokenAPI = "v1_token"
    public static let queryAPI = "v1_query"
    public static let getAPI = "v1_get"

    public static let tokenHeader = "x-acs-dingtalk-access-token"
    static let json = ("Content-Type", "application/json; charset=utf-8")

    // MARK: requests

    public static func tokenRequest(baseURL: String, appKey: String, appSecret: String, timeoutMs: Int = 15_000) -> HTTPRequest {
        HTTPRequest(method: .post, url: "\(baseURL)/v1.0/oauth2/accessToken", headers: [json],
                    body: encode(["appKey": appKey, "appSecret": appSecret]), timeoutMs: timeoutMs)
    }

    /// `endMs` is inclusive, as for `listids`; `cursor` is 0 for the first page.
    /// Empty `statuses`/`userIds` are left out: absent means "every", an empty list might not.
    public static func queryRequest(baseURL: String, token: String, processCode: String, startMs: Int64, endMs: Int64,
                                    cursor: Int, maxResults: Int = 20, statuses: [String] = [], userIds: [String] = [],
                                    timeoutMs: Int = 15_000) -> HTTPRequest {
        var body: [String: Any] = ["processCode": processCode, "startTime": startMs, "endTime": endMs,
                                   "nextToken": cursor, "maxResults": maxResults]
        if !statuses.isEmpty { body["statuses"] = statuses }
        if !userIds.isEmpty { body["userIds"] = userIds }
        return HTTPRequest(method: .post, url: "\(baseURL)/v1.0/workflow/processes/instanceIds/query",
                           headers: [json, (tokenHeader, token)], body: encode(body), timeoutMs: timeoutMs)
    }

    public static func getRequest(baseURL: String, token: String, id: String, timeoutMs: Int = 15_000) -> HTTPRequest {
        HTTPRequest(method: .get, url: "\(baseURL)/v1.0/workflow/processInstances?processInstanceId=\(DingTalkClient.percent(id))",
                    headers: [(tokenHeader, token)], timeoutMs: timeoutMs)
    }

    // MARK: answers

    public static func decodeToken(_ response: HTTPResponse) throws(DingTalkError) -> (token: String, expiresInSeconds: Int) {
        let obj = try object(api: tokenAPI, response)
        guard let token = obj["accessToken"] as? String, !token.isEmpty else {
            throw DingTalkError(errorClass: .transient, api: tokenAPI, errcode: nil, subCode: nil, message: "answer has no accessToken")
        }
        return (token, (obj["expireIn"] as? NSNumber)?.intValue ?? 7200)
    }

    public static func decodeQuery(_ response: HTTPResponse) throws(DingTalkError) -> ListPage {
        let result = try result(api: queryAPI, response)
        guard let list = result["list"] as? [Any] else {
            throw DingTalkError(errorClass: .transient, api: queryAPI, errcode: nil, subCode: nil, message: "answer has no result.list")
        }
        let ids = list.compactMap { ($0 as? String) ?? ($0 as? NSNumber)?.stringValue }
        return ListPage(ids: ids, nextCursor: try cursor(result["nextToken"]))
    }

    /// `processCode` is carried over from the query: the v1 answer does not contain it.
    public static func decodeGet(_ response: HTTPResponse, id: String, processCode: String) throws(DingTalkError) -> InstanceDetail {
        let legacy = V1DetailShape.legacy(try result(api: getAPI, response))
        let raw = (try? JSONSerialization.data(withJSONObject: legacy, options: [.withoutEscapingSlashes, .sortedKeys])) ?? Data("{}".utf8)
        return InstanceDetail(processInstance: legacy, rawJSON: String(decoding: raw, as: UTF8.self), id: id, processCode: processCode)
    }

    /// The cursor arrives as a number or a numeric string (both are seen); absent, null or
    /// empty ends the listing. Anything else is refused rather than guessed, since a wrong
    /// cursor would silently skip or repeat pages.
    static func cursor(_ v: Any?) throws(DingTalkError) -> Int? {
        switch v {
        case nil, is NSNull: return nil
        case let s as String where s.isEmpty: return nil
        case let s as String:
            if let n = Int(s) { return n }
        case let n as NSNumber:
            if let i = Int(exactly: n) { return i }
        default: break
        }
        throw DingTalkError(errorClass: .transient, api: queryAPI, errcode: nil, subCode: nil,
                            message: "answer has an unreadable nextToken \(String(describing: v!))")
    }

    static func encode(_ body: [String: Any]) -> Data {
        (try? JSONSerialization.data(withJSONObject: body, options: [.withoutEscapingSlashes, .sortedKeys])) ?? Data()
    }

    static func result(api: String, _ response: HTTPResponse) throws(DingTalkError) -> [String: Any] {
        let obj = try object(api: api, response)
        guard let result = obj["result"] as? [String: Any] else {
            throw DingTalkError(errorClass: .transient, api: api, errcode: nil, subCode: nil, message: "answer has no result object")
        }
        return result
    }

    /// The answer's JSON object if it is a success; otherwise the classified error.
    static func object(api: String, _ response: HTTPResponse) throws(DingTalkError) -> [String: Any] {
        let obj = (try? JSONSerialization.jsonObject(with: response.body)) as? [String: Any]
        if response.status == 200, let obj, (obj["success"] as? Bool) != false, obj["code"] == nil, obj["punish"] == nil,
           (obj["status"] as? NSNumber)?.intValue != 1111 {
            return obj
        }
        throw V1Errors.classify(api: api, status: response.status, body: response.body)
    }
}
