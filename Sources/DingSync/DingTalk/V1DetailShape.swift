import Foundation

/// Rewrites a v1 `processInstances` result into the legacy `process_instance` shape, so the
/// stored detail JSON, the mapping templates (`{create_time}`, `{biz_action}`) and `remap`
/// read the same names whichever API fetched the instance.
enum V1DetailShape {
    /// Names whose legacy spelling is not plain snake_case of the v1 one.
    static let renames: [String: String] = [
        "originatorUserId": "originator_userid", "approverUserIds": "approver_userids",
        "ccUserIds": "cc_userids", "userId": "userid", "formComponentValues": "form_component_values",
    ]
    static let timeKeys: Set<String> = ["createTime", "finishTime", "date", "createTimeStamp"]

    static func legacy(_ v1: [String: Any]) -> [String: Any] {
        var out: [String: Any] = [:]
        for (key, value) in v1 {
            let name = renames[key] ?? snake(key)
            if timeKeys.contains(key), let s = value as? String {
                out[name] = beijing(fromUTCMinute: s) ?? s
            } else {
                out[name] = nested(value)
            }
        }
        return out
    }

    static func nested(_ value: Any) -> Any {
        if let o = value as? [String: Any] { return legacy(o) }
        if let a = value as? [Any] { return a.map(nested) }
        return value
    }

    static func snake(_ camel: String) -> String {
        var out = ""
        for ch in camel {
            if ch.isUppercase, ch.isASCII {
                out += "_" + ch.lowercased()
            } else {
                out.append(ch)
            }
        }
        return out
    }

    /// `"2022-08-31T11:52Z"` (v1: UTC, minute precision) → `"2022-08-31 19:52:00"` (legacy:
    /// Beijing with seconds). The seconds are lost upstream; `:00` keeps the legacy format so
    /// the mapping's time parsing is unchanged. Beijing has had no DST since 1991, so +8 h.
    static func beijing(fromUTCMinute s: String) -> String? {
        let pieces = s.split(whereSeparator: { "-T:Z".contains($0) })
        let parts = pieces.compactMap { Int($0) }
        guard s.hasSuffix("Z"), parts.count == pieces.count, parts.count == 5 || parts.count == 6 else { return nil }
        var utc = Calendar(identifier: .gregorian)
        utc.timeZone = TimeZone(identifier: "UTC")!
        let c = DateComponents(year: parts[0], month: parts[1], day: parts[2], hour: parts[3], minute: parts[4],
                               second: parts.count == 6 ? parts[5] : 0)
        guard let date = utc.date(from: c) else { return nil }
        let b = utc.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date.addingTimeInterval(8 * 3600))
        return String(format: "%04d-%02d-%02d %02d:%02d:%02d", b.year!, b.month!, b.day!, b.hour!, b.minute!, b.second!)
    }
}
