import DingSyncMapping
import Foundation
import MySQLClient

/// Reads and validates a job config, collecting every problem before failing.
public enum ConfigLoader {
    public static func load(path: String, env: [String: String] = ProcessInfo.processInfo.environment) throws(DingSyncError) -> JobConfig {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .config("config \(path): cannot read the file (does it exist?)")
        }
        return try parse(data, source: path, env: env)
    }

    public static func parse(_ data: Data, source: String, env: [String: String]) throws(DingSyncError) -> JobConfig {
        let root: JSONValue
        do {
            root = try JSONDecoder().decode(JSONValue.self, from: data)
        } catch {
            throw .config("config \(source): invalid JSON (\(jsonErrorText(error)))")
        }
        let problems = ConfigProblems()
        let config = build(root, problems: problems, env: env)
        if let config, problems.list.isEmpty { return config }
        let list = problems.list.isEmpty ? ["invalid"] : problems.list
        let head = list.count == 1 ? "" : "\(list.count) problems: "
        throw .config("config \(source): \(head)\(list.joined(separator: "; "))")
    }

    /// The environment variables a config file names: those without a default (required) and
    /// those with one, found by the same interpolation loading uses; nil when the file cannot
    /// be read or is not JSON (loading then reports why).
    public static func variables(path: String, env: [String: String]) -> (required: [String], optional: [String])? {
        guard let data = FileManager.default.contents(atPath: path),
              let root = try? JSONDecoder().decode(JSONValue.self, from: data) else { return nil }
        let problems = ConfigProblems()
        _ = build(root, problems: problems, env: env)
        let required = problems.references.filter { !$0.hasDefault }.map(\.name)
        var optional: [String] = []
        for r in problems.references where r.hasDefault && !required.contains(r.name) && !optional.contains(r.name) {
            optional.append(r.name)
        }
        return (required.reduce(into: []) { if !$0.contains($1) { $0.append($1) } }, optional)
    }

    private static func build(_ root: JSONValue, problems: ConfigProblems, env: [String: String]) -> JobConfig? {
        guard var r = ConfigReader(root, path: "", problems: problems, env: env) else {
            problems.add("(top level)", "must be a JSON object")
            return nil
        }
        let version = r.int("version", default: 1, in: 1...1)
        let job = r.string("job", required: true) ?? ""
        if !job.isEmpty, !job.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) }) || job.count > 64 {
            problems.add("job", "must be 1–64 characters of A–Z, a–z, 0–9, '-', '_' or '.'")
        }
        let dingtalk = readDingTalk(r.raw("dingtalk"), problems, env)
        if r.raw("dingtalk") == nil { problems.add("dingtalk", "is required") }
        let mysql = readMySQL(r.raw("mysql"), problems, env)
        let sync = readSync(r.raw("sync"), problems, env)
        let mapping = readMapping(r.raw("mapping"), problems, env)
        let alert = readAlert(r.raw("alert"), problems, env)
        let events = readEvents(r.raw("events"), problems, env)
        let watch = readWatch(r.raw("watch"), problems, env)
        r.finish()
        if let mysql, !mapping.isEmpty, mysql.batchSize * mapping.count > 65_535 {
            problems.add("mysql.batch_size", "\(mysql.batchSize) rows × \(mapping.count) columns exceeds MySQL's 65,535 placeholders per statement; use at most \(65_535 / mapping.count)")
        }
        guard let dingtalk, let sync, !mapping.isEmpty else { return nil }
        var config = JobConfig(version: version, job: job, dingtalk: dingtalk, mysql: mysql, sync: sync,
                               mapping: mapping, alert: alert)
        config.events = events
        config.watch = watch
        return config
    }

    private static func readDingTalk(_ v: JSONValue?, _ p: ConfigProblems, _ env: [String: String]) -> DingTalkSettings? {
        guard var r = ConfigReader(v, path: "dingtalk", problems: p, env: env) else { return nil }
        let baseURL = trimmedURL(r.string("base_url", default: DingTalkAPI.defaultBaseURL)!, "dingtalk.base_url", p)
        let apiText = r.string("api", default: DingTalkAPI.topapi.rawValue)!
        let api = DingTalkAPI(rawValue: apiText)
        if api == nil {
            p.add("dingtalk.api", "\"\(apiText)\" is not one of \(DingTalkAPI.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        // A moved base_url (simulator, proxy) usually serves both families, so v1 follows it
        // unless v1_base_url says otherwise; config.md.
        let v1Default = baseURL == DingTalkAPI.defaultBaseURL ? DingTalkAPI.defaultV1BaseURL : baseURL
        let v1BaseURL = trimmedURL(r.string("v1_base_url", default: v1Default)!, "dingtalk.v1_base_url", p)
        var settings = DingTalkSettings(
            baseURL: baseURL,
            appKey: r.string("app_key", required: true) ?? "",
            appSecret: r.string("app_secret", required: true) ?? "",
            processCode: r.string("process_code", required: true) ?? "",
            pageSize: r.int("page_size", default: 20, in: 1...20),
            maxQPS: r.double("max_qps", default: 15, in: 0.1...10_000),
            concurrency: r.int("concurrency", default: 4, in: 1...64),
            timeoutMs: r.int("timeout_ms", default: 15_000, in: 100...600_000),
            retry: readRetry(r.raw("retry"), p, env),
            monthlyCallBudget: r.int("monthly_call_budget", default: DingTalkSettings.defaultMonthlyCallBudget, in: 1...100_000_000))
        settings.api = api ?? .topapi
        settings.v1BaseURL = v1BaseURL
        r.finish()
        return settings
    }

    /// https, or http to a loopback host only: tokens and secrets never travel in clear text.
    private static func trimmedURL(_ url: String, _ path: String, _ p: ConfigProblems) -> String {
        if let problem = ClearTextURLRule.problem(url) { p.add(path, problem) }
        return url.hasSuffix("/") ? String(url.dropLast()) : url
    }

    private static func readRetry(_ v: JSONValue?, _ p: ConfigProblems, _ env: [String: String]) -> RetrySettings {
        let def = RetrySettings(maxAttempts: 6, baseDelayMs: 500, maxDelayMs: 30_000)
        guard var r = ConfigReader(v, path: "dingtalk.retry", problems: p, env: env) else { return def }
        let s = RetrySettings(maxAttempts: r.int("max_attempts", default: def.maxAttempts, in: 1...100),
                              baseDelayMs: r.int("base_delay_ms", default: def.baseDelayMs, in: 0...600_000),
                              maxDelayMs: r.int("max_delay_ms", default: def.maxDelayMs, in: 0...3_600_000))
        r.finish()
        return s
    }

    private static func readMySQL(_ v: JSONValue?, _ p: ConfigProblems, _ env: [String: String]) -> MySQLSettings? {
        guard var r = ConfigReader(v, path: "mysql", problems: p, env: env) else { return nil }
        var s = MySQLSettings(
            host: r.string("host", default: "127.0.0.1")!,
            port: r.int("port", default: 3306, in: 1...65_535),
            // "${MYSQL_SOCKET:-}" is how a shared config says "no socket here".
            socket: r.string("socket", allowEmpty: true).flatMap { $0.isEmpty ? nil : $0 },
            user: r.string("user", required: true) ?? "",
            password: r.string("password", default: "", allowEmpty: true)!,
            database: r.string("database", required: true) ?? "",
            table: r.string("table", required: true) ?? "",
            batchSize: r.int("batch_size", default: 500, in: 1...10_000))
        let mode = r.string("write_mode", default: WriteMode.replace.rawValue)!
        if let m = WriteMode(rawValue: mode) {
            s.writeMode = m
        } else {
            p.add("mysql.write_mode", "\"\(mode)\" is not one of \(WriteMode.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        s.tls = readTLS(r.raw("tls"), p, env)
        for (key, name) in [("database", s.database), ("table", s.table)] where !name.isEmpty {
            do { _ = try MySQLIdentifier.quote(name) } catch { p.add("mysql.\(key)", "\(error)") }
        }
        r.finish()
        return s
    }

    /// `mysql.tls`: the mode, and PEM files that must exist and be readable now (the client
    /// library would otherwise fail later with a vaguer message). Only paths are reported.
    private static func readTLS(_ v: JSONValue?, _ p: ConfigProblems, _ env: [String: String]) -> MySQLTLS {
        guard var r = ConfigReader(v, path: "mysql.tls", problems: p, env: env) else { return MySQLTLS() }
        var tls = MySQLTLS()
        let modeText = r.string("mode", default: MySQLTLS.Mode.preferred.rawValue)!
        if let mode = MySQLTLS.Mode(rawValue: modeText) {
            tls.mode = mode
        } else {
            p.add("mysql.tls.mode", "\"\(modeText)\" is not one of \(MySQLTLS.Mode.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        func file(_ key: String) -> String? {
            guard let path = r.string(key) else { return nil }
            var isDirectory: ObjCBool = false
            if !FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
                p.add("mysql.tls.\(key)", "file \(path) does not exist")
            } else if isDirectory.boolValue || !FileManager.default.isReadableFile(atPath: path) {
                p.add("mysql.tls.\(key)", "file \(path) is not a readable file")
            }
            return path
        }
        tls.ca = file("ca")
        tls.cert = file("cert")
        tls.key = file("key")
        r.finish()
        if (tls.mode == .verifyCA || tls.mode == .verifyIdentity) && tls.ca == nil {
            p.add("mysql.tls.ca", "is required when mode is \(tls.mode.rawValue) (the CA file that signed the server's certificate)")
        }
        if (tls.cert == nil) != (tls.key == nil) {
            p.add(tls.cert == nil ? "mysql.tls.cert" : "mysql.tls.key", "cert and key go together (a client certificate needs its key)")
        }
        return tls
    }

    private static func readSync(_ v: JSONValue?, _ p: ConfigProblems, _ env: [String: String]) -> SyncSettings? {
        guard var r = ConfigReader(v ?? .object([:]), path: "sync", problems: p, env: env) else { return nil }
        let zoneName = r.string("timezone", default: "Asia/Shanghai")!
        let zone = TimeZone(identifier: zoneName)
        if zone == nil { p.add("sync.timezone", "\"\(zoneName)\" is not a known IANA time zone (e.g. Asia/Shanghai)") }
        let start = r.string("start")
        var startMs: Int64?
        if let start, let zone {
            do { startMs = try TimeParsing.parseBoundary(start, timeZone: zone) } catch { p.add("sync.start", "\(error)") }
        }
        let s = SyncSettings(timezone: zone ?? TimeZone(identifier: "Asia/Shanghai")!, start: start, startMs: startMs,
                             overlapMinutes: r.int("overlap_minutes", default: 60, in: 0...100_000),
                             windowDays: r.int("window_days", default: 30, in: 1...120),
                             resyncOpenDays: r.int("resync_open_days", default: 365, in: 0...365))
        r.finish()
        return s
    }

    private static func readMapping(_ v: JSONValue?, _ p: ConfigProblems, _ env: [String: String]) -> [MappingEntry] {
        guard let v else { p.add("mapping", "is required"); return [] }
        guard case .array(let items) = v, !items.isEmpty else {
            p.add("mapping", "must be a non-empty array of column entries")
            return []
        }
        var entries: [MappingEntry] = []
        var fields: [String: Int] = [:]
        for (i, item) in items.enumerated() {
            let path = "mapping[\(i)]"
            guard var r = ConfigReader(item, path: path, problems: p, env: env) else { continue }
            let field = r.string("field", required: true) ?? ""
            let label = r.string("label")
            let typeText = r.string("type", required: true) ?? ""
            let type = ColumnType(rawValue: typeText)
            if !typeText.isEmpty, type == nil {
                p.add("\(path).type", "\"\(typeText)\" is not one of \(ColumnType.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            // `${X}` is the environment, `{x}` the instance: the `$` keeps them apart.
            var template = ""
            switch r.raw("value") {
            case .string?: template = r.string("value", allowEmpty: true) ?? ""
            case nil: p.add("\(path).value", "is required")
            case let other?: p.add("\(path).value", "must be a template string, found \(other.typeName)")
            }
            do { _ = try Template(parsing: template) } catch { p.add("\(path).value", "\(error)") }
            let entry = MappingEntry(field: field, label: label, type: type ?? .string, value: template,
                                     key: r.bool("key", default: false), required: r.bool("required", default: false),
                                     defaultValue: r.string("default", allowEmpty: true), map: r.stringMap("map"))
            r.finish()
            let folded = field.lowercased()  // MySQL column names are case-insensitive
            if let previous = fields[folded] {
                p.add("\(path).field", "\"\(field)\" is already used by mapping[\(previous)]")
            } else if !field.isEmpty {
                fields[folded] = i
                do { _ = try MySQLIdentifier.quote(field) } catch { p.add("\(path).field", "\(error)") }
            }
            entries.append(entry)
        }
        let keys = entries.indices.filter { entries[$0].key }
        if keys.count != 1 {
            p.add("mapping", keys.isEmpty
                ? "exactly one entry needs \"key\": true (normally the instance id, \"{id}\")"
                : "only one entry may have \"key\": true, found \(keys.map { "mapping[\($0)]" }.joined(separator: ", "))")
        }
        return entries
    }

    private static func readAlert(_ v: JSONValue?, _ p: ConfigProblems, _ env: [String: String]) -> AlertSettings? {
        guard var r = ConfigReader(v, path: "alert", problems: p, env: env) else { return nil }
        let s = AlertSettings(webhook: r.string("webhook", required: true) ?? "",
                              secret: r.string("secret"),
                              on: r.stringArray("on", default: ["failure", "rejects"], allowed: ["failure", "rejects"]))
        if !s.webhook.isEmpty, let problem = ClearTextURLRule.problem(s.webhook) { p.add("alert.webhook", problem) }
        r.finish()
        return s
    }

    private static func readEvents(_ v: JSONValue?, _ p: ConfigProblems, _ env: [String: String]) -> EventSettings? {
        guard v != nil, var r = ConfigReader(v, path: "events", problems: p, env: env) else { return nil }
        let s = EventSettings(stream: r.bool("stream", default: true),
                              types: Set(r.stringArray("types", default: ["finish", "terminate"], allowed: EventSettings.allTypes)))
        if s.stream, !s.types.contains("finish") || !s.types.contains("terminate") {
            p.add("events.types", "must include \"finish\" and \"terminate\" (the closes a row waits for); add \"start\" for arrivals too")
        }
        r.finish()
        return s
    }

    private static func readWatch(_ v: JSONValue?, _ p: ConfigProblems, _ env: [String: String]) -> WatchSettings {
        guard v != nil, var r = ConfigReader(v, path: "watch", problems: p, env: env) else { return WatchSettings() }
        let s = WatchSettings(intervalMinutes: r.int("interval_minutes", default: 10, in: 1...1440))
        r.finish()
        return s
    }

    private static func jsonErrorText(_ error: Error) -> String {
        if case DecodingError.dataCorrupted(let ctx) = error {
            let under = (ctx.underlyingError as NSError?)?.userInfo[NSDebugDescriptionErrorKey] as? String
            return under ?? ctx.debugDescription
        }
        return "\(error)"
    }
}
