import Foundation
import HTTPClient
import Logging

/// The `alert` section: one signed DingTalk robot message (markdown) per run, when the run's
/// outcome is one the job asked about. A robot takes 20 messages a minute, so it is a summary,
/// never a message per error. Sending is best effort: a failure to send is a logged warning
/// and never changes the run's exit code.
public struct Alerter {
    public let settings: AlertSettings
    let console: Console
    let logger: Logger
    let clock: any SyncClock
    /// Pauses before the retries: one attempt plus `retryDelaysMs.count` quick retries, so a
    /// dead webhook cannot hold a cron run for long.
    let retryDelaysMs: [Int]
    let makeTransport: () throws(HTTPError) -> any HTTPTransport

    public init(settings: AlertSettings, console: Console, logger: Logger, clock: any SyncClock = SystemClock(),
                retryDelaysMs: [Int] = [300, 1_000],
                makeTransport: @escaping () throws(HTTPError) -> any HTTPTransport = { () throws(HTTPError) in try CurlHTTPClient() }) {
        self.settings = settings
        self.console = console
        self.logger = logger
        self.clock = clock
        self.retryDelaysMs = retryDelaysMs
        self.makeTransport = makeTransport
    }

    /// "rejects" is exit 65; "failure" is any other non-zero exit.
    public static func shouldAlert(exitCode: Int32, on: [String]) -> Bool {
        switch exitCode {
        case 0: return false
        case ExitStatus.rejects.rawValue: return on.contains("rejects")
        default: return on.contains("failure")
        }
    }

    /// Sends the run's message when its outcome is in `on`. Returns whether a message was
    /// accepted by the robot (false also when none was due).
    @discardableResult
    public func alertIfNeeded(_ summary: RunSummary, exitCode: Int32, timeZone: TimeZone = BeijingMonth.zone) -> Bool {
        guard Self.shouldAlert(exitCode: exitCode, on: settings.on) else { return false }
        let m = Self.message(summary, exitCode: exitCode, host: Self.hostName(), timeZone: timeZone)
        return send(title: m.title, text: m.text)
    }

    /// 80 % of the month's call budget is spent: one message a month (the run claimed it in the
    /// state tables), whatever `on` says, because the quota is the whole organisation's.
    @discardableResult
    public func budgetWarningIfNeeded(_ summary: RunSummary) -> Bool {
        guard summary.budgetWarning else { return false }
        let share = CallBudget.percent(summary.monthCalls, of: summary.budget)
        let title = "dingsync \(summary.job): \(share) % of the monthly DingTalk call budget spent"
        let text = "### \(title)\n\n- spent this month: \(summary.monthCalls) of \(summary.budget) calls\n"
            + "- projected by month end: \(summary.projectedMonthCalls)\n"
            + "- dingsync paces itself and will not exceed the budget; freshness is rationed from here. "
            + "Raise `dingtalk.monthly_call_budget` only if the organisation's quota allows."
        return send(title: title, text: text)
    }

    /// Posts one markdown message; retries only what may pass on a second try (transport
    /// errors, HTTP 5xx, DingTalk's "busy" and "too fast" codes), re-signing each time.
    @discardableResult
    public func send(title: String, text: String) -> Bool {
        let where_ = HTTPRequest.redact(settings.webhook)
        let body = Self.body(title: console.redact(title), text: console.redact(text))
        let transport: any HTTPTransport
        do { transport = try makeTransport() } catch {
            logger.warning("alert not sent", metadata: ["webhook": "\(where_)", "reason": "\(console.redact(error.description))"])
            return false
        }
        var reason = ""
        for attempt in 0...retryDelaysMs.count {
            if attempt > 0 { clock.sleep(ms: retryDelaysMs[attempt - 1]) }
            let url = RobotSignature.signedURL(webhook: settings.webhook, secret: settings.secret, timestampMs: clock.nowMs())
            let request = HTTPRequest(method: .post, url: url,
                                      headers: [("Content-Type", "application/json;charset=utf-8")],
                                      body: body, timeoutMs: 10_000)
            let retryable: Bool
            do {
                let response = try transport.send(request)
                switch Self.judge(response) {
                case .sent:
                    logger.info("alert sent", metadata: ["webhook": "\(where_)", "title": "\(console.redact(title))"])
                    return true
                case .failed(let r, let again):
                    reason = r
                    retryable = again
                }
            } catch {
                reason = error.description
                retryable = error.kind != .tls
            }
            if !retryable { break }
        }
        logger.warning("alert not sent", metadata: ["webhook": "\(where_)", "reason": "\(console.redact(reason))"])
        return false
    }

    enum Verdict: Equatable {
        case sent
        case failed(String, retryable: Bool)
    }

    static func judge(_ r: HTTPResponse) -> Verdict {
        guard r.status == 200 else {
            return .failed("HTTP \(r.status)", retryable: r.status >= 500 || r.status == 429)
        }
        guard let obj = try? JSONSerialization.jsonObject(with: r.body) as? [String: Any],
              let code = (obj["errcode"] as? NSNumber)?.intValue else {
            return .failed("the answer is not DingTalk's JSON", retryable: true)
        }
        if code == 0 { return .sent }
        let msg = obj["errmsg"] as? String ?? ""
        // -1: system busy; 130101: more than 20 messages a minute.
        return .failed("errcode \(code): \(msg)", retryable: code == -1 || code == 130101)
    }

    // MARK: - The message

    public static func body(title: String, text: String) -> Data {
        let object: [String: Any] = ["msgtype": "markdown", "markdown": ["title": title, "text": text]]
        return (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
    }

    /// A short title (what chat lists show) and a markdown text with what went wrong, what to
    /// do, and the run's figures.
    public static func message(_ s: RunSummary, exitCode: Int32, host: String,
                               timeZone: TimeZone = BeijingMonth.zone) -> (title: String, text: String) {
        let rejects = exitCode == ExitStatus.rejects.rawValue
        let headline = rejects ? "\(s.outstanding) instance(s) not written"
                               : "failed (exit \(exitCode), \(meaning(exitCode)))"
        let title = "dingsync \(s.job): \(headline)"
        var lines = ["### dingsync \(s.job): \(headline)", ""]
        if rejects {
            lines.append(s.rejectsSentence(timeZone: timeZone) + ". The run log names each column and value; "
                         + "`dingsync status` lists them.")
        } else if let e = s.error {
            lines.append("> " + e.replacingOccurrences(of: "\n", with: " "))
        }
        lines.append("")
        let secs = String(format: "%.1f", Double(s.elapsedMs) / 1000)
        lines += [
            "- run: \(s.dryRun ? "dry-run " : "")\(s.mode) on \(host)",
            "- listed \(s.listed), fetched \(s.fetched), written \(s.written), skipped \(s.skipped), "
                + "rejected \(s.rejected), failed \(s.failed)",
            "- API calls \(s.calls.total) (token \(s.calls.token), listids \(s.calls.listids), get \(s.calls.get)), "
                + "retries \(s.calls.retries)",
            "- elapsed \(secs)s",
        ]
        if let w = s.watermarkMs {
            let f = ISO8601DateFormatter()
            lines.append("- watermark \(f.string(from: Date(timeIntervalSince1970: Double(w) / 1000)))")
        }
        return (title, lines.joined(separator: "\n"))
    }

    static func meaning(_ code: Int32) -> String {
        switch ExitStatus(rawValue: code) {
        case .unavailable: return "DingTalk or MySQL unavailable"
        case .tryLater: return "try later: locked, throttled or over quota"
        case .permission: return "permission denied"
        case .config: return "configuration error"
        case .usage: return "usage error"
        case .bug: return "internal error"
        default: return "error"
        }
    }

    static func hostName() -> String {
        var buf = [CChar](repeating: 0, count: 256)
        guard gethostname(&buf, buf.count - 1) == 0 else { return "unknown host" }
        return String(decoding: buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
