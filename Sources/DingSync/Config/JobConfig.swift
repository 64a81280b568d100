import DingSyncMapping
import Foundation
import MySQLClient

/// One job: one DingTalk approval form into one MySQL table (config.md).
/// Built only by `ConfigLoader`, so every instance is already validated.
public struct JobConfig: Sendable {
    public var version: Int
    public var job: String
    public var dingtalk: DingTalkSettings
    public var mysql: MySQLSettings?
    public var sync: SyncSettings
    public var mapping: [MappingEntry]
    public var alert: AlertSettings?
    /// `events`: what `dingsync watch` follows by Stream push (nil: no push, passes on the interval only).
    public var events: EventSettings?
    public var watch = WatchSettings()

    /// Every secret value of this config, for the output redactor.
    public var secrets: [String] {
        var s = [dingtalk.appSecret, dingtalk.appKey]
        if let m = mysql { s.append(m.password) }
        if let a = alert {
            s.append(a.webhook)
            s += a.secret.map { [$0] } ?? []
            // The webhook's access_token alone, should anything print it without the URL.
            if let q = URLComponents(string: a.webhook)?.queryItems {
                s += q.filter { $0.name == "access_token" }.compactMap(\.value)
            }
        }
        return s.filter { $0.count >= 4 }
    }

    public var keyIndex: Int { mapping.firstIndex(where: \.key)! }
}

public struct DingTalkSettings: Sendable {
    public var baseURL: String
    public var appKey: String
    public var appSecret: String
    public var processCode: String
    public var pageSize: Int
    public var maxQPS: Double
    public var concurrency: Int
    public var timeoutMs: Int
    public var retry: RetrySettings
    /// The most calls this job may spend in a Beijing calendar month (economy.md).
    public var monthlyCallBudget: Int = DingTalkSettings.defaultMonthlyCallBudget
    /// 2,000 of the standard edition's 5,000 a month shared by every app of the organisation:
    /// enough for about 30 approvals a day, and leaves most of the quota to attendance, HR and
    /// robots.
    public static let defaultMonthlyCallBudget = 2_000
    /// Defaults keep the memberwise initializer source-compatible for callers that predate v1.
    public var api: DingTalkAPI = .topapi
    /// Already resolved: the default rule of config.md is applied by `ConfigLoader`.
    public var v1BaseURL: String = DingTalkAPI.defaultV1BaseURL
}

/// Which DingTalk endpoint family a job talks to (config.md, `dingtalk.api`).
public enum DingTalkAPI: String, Sendable, CaseIterable {
    case topapi
    case v1

    public static let defaultBaseURL = "https://oapi.dingtalk.com"
    public static let defaultV1BaseURL = "https://api.dingtalk.com"
}

public struct RetrySettings: Sendable, Equatable {
    /// Every try counts, the first included.
    public var maxAttempts: Int
    public var baseDelayMs: Int
    public var maxDelayMs: Int
}

public struct MySQLSettings: Sendable {
    public var host: String
    public var port: Int
    public var socket: String?
    public var user: String
    public var password: String
    public var database: String
    public var table: String
    public var batchSize: Int
    public var writeMode: WriteMode = .replace
    /// `mysql.tls`; files already checked to be readable by the loader.
    public var tls = MySQLTLS()
}

/// How rows reach the target table (config.md `mysql.write_mode`).
public enum WriteMode: String, Sendable, CaseIterable {
    /// `REPLACE INTO`: the row becomes exactly the mapping. A replace is a delete plus an
    /// insert, so unmapped columns return to their defaults and ON DELETE CASCADE children go.
    case replace
    /// `INSERT ... ON DUPLICATE KEY UPDATE` of the mapped columns only: the row is updated in
    /// place, so unmapped columns, delete triggers and cascading foreign keys are left alone.
    case upsert
}

public struct SyncSettings: Sendable {
    public var timezone: TimeZone
    /// The raw text and its parsed instant (epoch ms); nil when the job has no start.
    public var start: String?
    public var startMs: Int64?
    public var overlapMinutes: Int
    public var windowDays: Int
    public var resyncOpenDays: Int
}

public struct AlertSettings: Sendable {
    public var webhook: String
    public var secret: String?
    public var on: [String]
}

/// `events` (config.md): the job's form is followed by DingTalk Stream pushes under `watch`.
public struct EventSettings: Sendable, Equatable {
    public var stream: Bool
    /// Which `bpms_instance_change` types the console filter rule lets through for this form.
    public var types: Set<String>
    public static let allTypes: Set<String> = ["start", "finish", "terminate"]
    /// Closes come by push: revisits become a slow safety net while the connection is healthy.
    public var followsCloses: Bool { stream && types.contains("finish") && types.contains("terminate") }
    /// Arrivals come by push too: the new-id listing becomes a safety net as well.
    public var followsArrivals: Bool { stream && types.contains("start") }
    public init(stream: Bool = true, types: Set<String> = ["finish", "terminate"]) {
        self.stream = stream
        self.types = types
    }
}

public struct WatchSettings: Sendable, Equatable {
    /// A regular pass of the job every so many minutes (what cron did).
    public var intervalMinutes = 10
    public init(intervalMinutes: Int = 10) { self.intervalMinutes = intervalMinutes }
}
