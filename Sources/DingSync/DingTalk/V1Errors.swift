import Foundation

/// v1 errors come as HTTP 4xx/5xx with `{"code","message","requestid"}` (dingtalk-api-v1.md),
/// unlike the legacy API's HTTP 200 with an errcode; this maps them onto the same classes so
/// retry policy and exit codes do not care which family failed.
enum V1Errors {
    static func classify(api: String, status: Int, body: Data) -> DingTalkError {
        func error(_ cls: DingTalkError.Class, _ m: String) -> DingTalkError {
            DingTalkError(errorClass: cls, api: api, errcode: nil, subCode: nil, message: m)
        }
        guard let obj = (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] else {
            let head = String(decoding: body.prefix(512), as: UTF8.self).lowercased()
            // DingTalk's IP ban is per host, whatever the family: an HTML page with HTTP 200.
            if status == 200, head.contains("<html") || head.contains("<!doctype") {
                return error(.ipBan, "DingTalk answered an HTML page instead of JSON: this IP is banned for a while (10,000 calls in 20 s); the run stops, cron will retry later")
            }
            if status != 200, status < 500, head.contains("<html") || head.contains("<!doctype") {
                return error(.configuration, "HTTP \(status) with an HTML page instead of DingTalk's JSON: check dingtalk.v1_base_url and any proxy")
            }
            return error(.transient, "HTTP \(status) with an incomplete or non-JSON body (\(body.count) bytes)")
        }
        if obj["punish"] != nil || (obj["status"] as? NSNumber)?.intValue == 1111 {
            let wait = (obj["wait"] as? NSNumber)?.intValue ?? 5
            return error(.ipBan, "DingTalk has banned this IP for about \(wait) minute(s) (too many calls); the run stops, cron will retry later")
        }
        let code = (obj["code"] as? String) ?? (obj["code"] as? NSNumber)?.stringValue ?? ""
        let message = (obj["message"] as? String) ?? ""
        let requestID = (obj["requestid"] as? String) ?? (obj["requestId"] as? String) ?? "-"
        // The whole signal in one line: enough to quote to DingTalk support as it stands.
        let signal = "HTTP \(status) \(code.isEmpty ? "(no code)" : code): \(message.isEmpty ? "no message" : message) (requestid \(requestID))"
        let cls = errorClass(api: api, status: status, code: code)
        switch cls {
        case .quota:
            return error(cls, signal + " — the app's monthly API quota is spent; the run stops and cron can retry next month or after an upgrade")
        case .permission:
            return error(cls, signal + " — the app lacks the v1 workflow permission (qyapi_get_process or the approval read scope); grant it in the developer console")
        case .configuration where code == "InvalidParameter" || code == "MissingParameter":
            return error(cls, signal + " — a request parameter was refused; check dingtalk.process_code and the time window")
        default:
            return error(cls, signal)
        }
    }

    static func errorClass(api: String, status: Int, code: String) -> DingTalkError.Class {
        // The token request itself refused: wrong app key or secret, which no new token fixes.
        if api == V1Codec.tokenAPI, status < 500, status != 429, !code.hasPrefix("Throttling"),
           !code.hasPrefix("Forbidden.AccessDenied.QpsLimit") { return .permission }
        if status == 401 || code == "InvalidAuthentication" { return .token }
        if status == 429 || code.hasPrefix("Forbidden.AccessDenied.QpsLimit") || code.hasPrefix("Throttling") { return .throttled }
        if code == "Forbidden.AccessDenied.ApiCountLimitForOrg" { return .quota }
        if code == "Forbidden.AccessDenied.AccessTokenPermissionDenied" { return .permission }
        if status >= 500 || code == "ServiceUnavailable" || code == "SystemBusy" { return .transient }
        // A refused parameter on a detail call concerns that one id; on the other calls it
        // comes from the config (process_code, window), which no retry will fix.
        return api == V1Codec.getAPI ? .instance : .configuration
    }
}
