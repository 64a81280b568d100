@testable import DingSync
import DingTalkSimulator
import Foundation
import HTTPClient
import Logging
import Synchronization
import XCTest

/// Robot signing against independent vectors, the send against the simulator's `/robot/send`
/// (which recomputes the signature itself), and whole runs of the executable with an `alert`.
final class AlertTests: XCTestCase {
    // MARK: - Signature

    /// Computed with Python's standard library, independently of swift-crypto:
    /// python3 -c 'import hmac,hashlib,base64,urllib.parse; ts,sec=1577836800000,"SEC0123456789abcdef";
    ///   b=base64.b64encode(hmac.new(sec.encode(),f"{ts}\n{sec}".encode(),hashlib.sha256).digest()).decode();
    ///   print(b, urllib.parse.quote_plus(b))'
    /// (one line per (timestamp, secret) pair below).
    static let vectors: [(ts: Int64, secret: String, base64: String, sign: String)] = [
        (1_700_000_000_000, "SECsim-robot-secret",
         "mJ8vrJawoxm63ZevoiAOAiTLuzEbKA46qd3zRDGexfo=", "mJ8vrJawoxm63ZevoiAOAiTLuzEbKA46qd3zRDGexfo%3D"),
        (1_577_836_800_000, "SEC0123456789abcdef",
         "VIkrYXpqM66nY2agvTap17lAqEfAZw77OqD62+Mh1G0=", "VIkrYXpqM66nY2agvTap17lAqEfAZw77OqD62%2BMh1G0%3D"),
        (1_718_000_000_123, "SECtest",
         "jVQ43pra4bXtnf33LgRK4o1hBrjDc+JFcoVl3BNWNpY=", "jVQ43pra4bXtnf33LgRK4o1hBrjDc%2BJFcoVl3BNWNpY%3D"),
        (0, "SEC秘密",
         "HkNTFQwnpfRPdO00V1SPyk/YlAfE3Vm8TD/ZF/+Kc9Q=", "HkNTFQwnpfRPdO00V1SPyk%2FYlAfE3Vm8TD%2FZF%2F%2BKc9Q%3D"),
        (1_700_000_000_009, "SECsim-robot-secret",
         "k4KbO0QndzChNdnAeyxfJPN9yqTAk+8eg/l9WYlCBZ0=", "k4KbO0QndzChNdnAeyxfJPN9yqTAk%2B8eg%2Fl9WYlCBZ0%3D"),
    ]

    func testSignatureMatchesIndependentVectors() {
        for v in Self.vectors {
            XCTAssertEqual(RobotSignature.base64(timestampMs: v.ts, secret: v.secret), v.base64, "\(v.ts) \(v.secret)")
            XCTAssertEqual(RobotSignature.sign(timestampMs: v.ts, secret: v.secret), v.sign, "\(v.ts) \(v.secret)")
        }
    }

    func testSignedURLAppendsTimestampAndSign() {
        let v = Self.vectors[4]
        XCTAssertEqual(RobotSignature.signedURL(webhook: "https://oapi.dingtalk.com/robot/send?access_token=abc",
                                                secret: v.secret, timestampMs: v.ts),
                       "https://oapi.dingtalk.com/robot/send?access_token=abc&timestamp=\(v.ts)&sign=\(v.sign)")
        XCTAssertEqual(RobotSignature.signedURL(webhook: "http://h/robot/send", secret: v.secret, timestampMs: v.ts),
                       "http://h/robot/send?timestamp=\(v.ts)&sign=\(v.sign)")
        // No secret: a robot secured by keywords or IP list; the URL goes out unchanged.
        XCTAssertEqual(RobotSignature.signedURL(webhook: "http://h/robot/send?access_token=abc", secret: nil, timestampMs: 5),
                       "http://h/robot/send?access_token=abc")
    }

    func testOutcomeDecidesWhetherToAlert() {
        let both = ["failure", "rejects"]
        XCTAssertFalse(Alerter.shouldAlert(exitCode: 0, on: both))
        XCTAssertTrue(Alerter.shouldAlert(exitCode: 65, on: both))
        XCTAssertFalse(Alerter.shouldAlert(exitCode: 65, on: ["failure"]))
        for code: Int32 in [1, 69, 75, 77, 78] {
            XCTAssertTrue(Alerter.shouldAlert(exitCode: code, on: both), "\(code)")
            XCTAssertTrue(Alerter.shouldAlert(exitCode: code, on: ["failure"]), "\(code)")
            XCTAssertFalse(Alerter.shouldAlert(exitCode: code, on: ["rejects"]), "\(code)")
        }
        XCTAssertFalse(Alerter.shouldAlert(exitCode: 77, on: []))
    }

    func testMessageSaysWhatFailedWithTheFigures() {
        var s = RunSummary()
        s.job = "wan-recharge"
        s.mode = "sync"
        s.listed = 12
        s.fetched = 10
        s.error = "DingTalk refused the API permission (errcode 88)"
        let failed = Alerter.message(s, exitCode: 77, host: "etl-1")
        XCTAssertEqual(failed.title, "dingsync wan-recharge: failed (exit 77, permission denied)")
        XCTAssertTrue(failed.text.contains("> DingTalk refused the API permission (errcode 88)"), failed.text)
        XCTAssertTrue(failed.text.contains("- run: sync on etl-1"), failed.text)
        XCTAssertTrue(failed.text.contains("listed 12, fetched 10"), failed.text)

        s.error = nil
        s.rejected = 2
        s.failed = 1
        let rejects = Alerter.message(s, exitCode: 65, host: "etl-1")
        XCTAssertEqual(rejects.title, "dingsync wan-recharge: 3 instance(s) not written")
        XCTAssertTrue(rejects.text.contains("retried by the next run"), rejects.text)

        let body = try? JSONSerialization.jsonObject(with: Alerter.body(title: "t", text: "a\n\"b\"")) as? [String: Any]
        XCTAssertEqual(body?["msgtype"] as? String, "markdown")
        XCTAssertEqual((body?["markdown"] as? [String: String]) ?? [:], ["title": "t", "text": "a\n\"b\""])
    }

    // MARK: - Send to the simulator's robot

    func testSignedMessageVerifiesInSimulator() throws {
        let sim = try startedSimulator()
        let log = LogCapture()
        let alerter = makeAlerter(sim, secret: sim.options.robotSecret, log: log)
        XCTAssertTrue(alerter.send(title: "dingsync job: failed", text: "### failed\n\n- listed 1"))
        XCTAssertEqual(sim.robotMessages().map(\.msgtype), ["markdown"])
        XCTAssertEqual(sim.robotMessages().first?.title, "dingsync job: failed")
        XCTAssertEqual(sim.robotMessages().first?.text, "### failed\n\n- listed 1")
        XCTAssertEqual(sim.calls(.robot), 1)
        XCTAssertTrue(log.lines.contains { $0.hasPrefix("info alert sent") }, "\(log.lines)")
    }

    func testWrongSecretIsRefusedOnceAndOnlyWarns() throws {
        let sim = try startedSimulator()
        let log = LogCapture()
        let alerter = makeAlerter(sim, secret: "SECnot-the-robots-secret", log: log)
        XCTAssertFalse(alerter.send(title: "t", text: "x"))
        XCTAssertEqual(sim.robotMessages(), [])
        XCTAssertEqual(sim.calls(.robot), 1, "a signature mismatch is not retried")
        let warning = try XCTUnwrap(log.lines.first { $0.hasPrefix("warning alert not sent") })
        XCTAssertTrue(warning.contains("sign not match"), warning)
        XCTAssertFalse(warning.contains(sim.options.robotAccessToken), "webhook token leaked: \(warning)")
        XCTAssertFalse(warning.contains("SECnot-the-robots-secret"), warning)
    }

    func testTimestampAnHourOffIsRefused() throws {
        let sim = try startedSimulator()
        let log = LogCapture()
        // The sender's clock runs 61 minutes ahead of the robot's.
        let clock = ShiftedClock(nowMs: SystemClock().nowMs() + 61 * 60_000)
        let alerter = makeAlerter(sim, secret: sim.options.robotSecret, log: log, clock: clock)
        XCTAssertFalse(alerter.send(title: "t", text: "x"))
        XCTAssertEqual(sim.robotMessages(), [])
        XCTAssertTrue(log.lines.contains { $0.contains("errcode 310000") }, "\(log.lines)")
    }

    /// The simulator decodes `+` in a query as a space, as DingTalk does: an unescaped
    /// signature fails there, the escaped one passes. Pins both the simulator and the escaping.
    func testUnescapedPlusInSignatureDoesNotVerify() throws {
        let v = Self.vectors[4]  // its Base64 holds both '+' and '/'
        var o = SimulatorOptions()
        o.now = { v.ts }
        let sim = DingTalkSimulator(options: o)
        try sim.start()
        defer { sim.stop() }
        let client = try CurlHTTPClient()
        let body = Alerter.body(title: "t", text: "x")
        func post(_ sign: String) throws -> String {
            let r = try client.send(HTTPRequest(method: .post, url: sim.robotWebhook + "&timestamp=\(v.ts)&sign=\(sign)",
                                                headers: [("Content-Type", "application/json")], body: body))
            return String(decoding: r.body, as: UTF8.self)
        }
        XCTAssertTrue(try post(v.base64).contains("sign not match"))
        XCTAssertTrue(try post(v.sign).contains("\"errcode\":0"))
        XCTAssertEqual(sim.robotMessages().count, 1)
    }

    func testRobotChecksTokenAndMessageShape() throws {
        let sim = try startedSimulator()
        let client = try CurlHTTPClient()
        let secret = sim.options.robotSecret!
        func post(_ webhook: String, _ json: String) throws -> String {
            let url = RobotSignature.signedURL(webhook: webhook, secret: secret, timestampMs: SystemClock().nowMs())
            let r = try client.send(HTTPRequest(method: .post, url: url, headers: [("Content-Type", "application/json")], body: Data(json.utf8)))
            return String(decoding: r.body, as: UTF8.self)
        }
        let wrongToken = sim.robotWebhook.replacingOccurrences(of: "sim-robot-token", with: "other-token")
        XCTAssertTrue(try post(wrongToken, #"{"msgtype":"text","text":{"content":"x"}}"#).contains("300001"))
        XCTAssertTrue(try post(sim.robotWebhook, #"{"msgtype":"markdown","markdown":{"title":"t"}}"#).contains("40035"))
        XCTAssertTrue(try post(sim.robotWebhook, #"{"msgtype":"text","text":{"content":"hello"}}"#).contains("\"errcode\":0"))
        XCTAssertEqual(sim.robotMessages().map { [$0.msgtype, $0.text] }, [["text", "hello"]])
        XCTAssertEqual(sim.calls(.robot), 3)
    }

    func testUnreachableWebhookRetriesThenWarnsWithoutTheToken() throws {
        // A port that was just free: nothing listens there.
        let sim = try startedSimulator()
        let url = sim.robotWebhook
        sim.stop()
        let log = LogCapture()
        let alerter = Alerter(settings: AlertSettings(webhook: url, secret: "SECx-secret", on: ["failure"]),
                              console: Console(), logger: log.logger, retryDelaysMs: [1, 1])
        XCTAssertFalse(alerter.send(title: "t", text: "x"))
        let warning = try XCTUnwrap(log.lines.first { $0.hasPrefix("warning alert not sent") })
        XCTAssertFalse(warning.contains("sim-robot-token"), warning)
        XCTAssertTrue(warning.contains("/robot/send"), warning)
    }

    // MARK: - Whole runs of the executable

    func testFailingRunSendsExactlyOneVerifiedMessage() throws {
        let job = try alertJob(on: ["failure", "rejects"])
        job.simulator.setFaults({ var f = FaultOptions(); f.permissionDenied = true; return f }())
        let result = try job.run(["sync"])
        XCTAssertEqual(result.code, 77, result.stderr)
        let messages = job.simulator.robotMessages()
        XCTAssertEqual(messages.count, 1, result.stderr)
        XCTAssertEqual(job.simulator.calls(.robot), 1, "one post, accepted (its signature verified)")
        XCTAssertEqual(messages.first?.msgtype, "markdown")
        XCTAssertTrue(messages.first?.title.contains("exit 77") ?? false, "\(messages)")
        for secret in [job.env["DINGTALK_ROBOT_SECRET"]!, job.simulator.options.robotAccessToken, job.env["DINGTALK_APP_SECRET"]!] {
            XCTAssertFalse(result.stderr.contains(secret), "secret leaked: \(result.stderr)")
            XCTAssertFalse(messages.first?.text.contains(secret) ?? true, "secret in the message")
        }
        let preview = try job.run(["sync", "--dry-run"])
        XCTAssertEqual(preview.code, 77, preview.stderr)
        XCTAssertEqual(job.simulator.calls(.robot), 1, "a dry run sends no alert")
    }

    func testAlertThatCannotBeSentKeepsTheExitCode() throws {
        let job = try alertJob(on: ["failure"])
        job.env["DINGTALK_ROBOT_SECRET"] = "SECwrong-robot-secret"
        job.simulator.setFaults({ var f = FaultOptions(); f.permissionDenied = true; return f }())
        let result = try job.run(["sync"])
        XCTAssertEqual(result.code, 77, result.stderr)
        XCTAssertEqual(job.simulator.robotMessages(), [])
        let warning = try XCTUnwrap(result.stderrLines.first { $0.contains("alert not sent") }, result.stderr)
        XCTAssertTrue(warning.contains("sign not match"), warning)
        XCTAssertTrue(result.stderrLines.last?.hasPrefix("dingsync: error:") ?? false, "the error line stays last: \(result.stderr)")
        for secret in ["SECwrong-robot-secret", job.simulator.options.robotAccessToken] {
            XCTAssertFalse(result.stderr.contains(secret), "secret leaked: \(result.stderr)")
        }
    }

    func testSuccessfulRunSendsNothing() throws {
        let job = try alertJob(on: ["failure", "rejects"])
        let result = try job.run(["sync"])
        XCTAssertEqual(result.code, 0, result.stderr)
        XCTAssertEqual(job.simulator.calls(.robot), 0)
    }

    func testRejectsSendOneMessageOnlyWhenAskedFor() throws {
        for on in [["failure", "rejects"], ["failure"]] {
            let job = try alertJob(on: on)
            let victim = job.simulator.instances()[3].id
            job.simulator.update(victim) { inst in
                if let i = inst.components.firstIndex(where: { $0.name == "充值金额" }) { inst.components[i].value = "abc" }
            }
            let result = try job.run(["sync"])
            XCTAssertEqual(result.code, 65, result.stderr)
            let messages = job.simulator.robotMessages()
            if on.contains("rejects") {
                XCTAssertEqual(messages.count, 1, result.stderr)
                XCTAssertEqual(messages.first?.title, "dingsync wan-recharge: 1 instance(s) not written")
            } else {
                XCTAssertEqual(job.simulator.calls(.robot), 0, "rejects are not in \(on)")
            }
        }
    }

    // MARK: - Helpers

    private func startedSimulator(file: StaticString = #filePath, line: UInt = #line) throws -> DingTalkSimulator {
        let sim = DingTalkSimulator()
        try sim.start()
        addTeardownBlock { sim.stop() }
        return sim
    }

    private func makeAlerter(_ sim: DingTalkSimulator, secret: String?, log: LogCapture,
                             clock: any SyncClock = SystemClock()) -> Alerter {
        Alerter(settings: AlertSettings(webhook: sim.robotWebhook, secret: secret, on: ["failure", "rejects"]),
                console: Console(), logger: log.logger, clock: clock, retryDelaysMs: [1, 1])
    }

    private func alertJob(on: [String]) throws -> JobFixture {
        let job = try JobFixture(instances: JobFixture.generate(count: 20, days: 3, seed: 21)) { config in
            config["alert"] = ["webhook": "${DINGTALK_ROBOT_WEBHOOK}", "secret": "${DINGTALK_ROBOT_SECRET}", "on": on]
        }
        job.env["DINGTALK_ROBOT_WEBHOOK"] = job.simulator.robotWebhook
        job.env["DINGTALK_ROBOT_SECRET"] = job.simulator.options.robotSecret!
        return job
    }
}

/// Collects log lines as "level message metadata" so tests can read what was logged.
final class LogCapture: Sendable {
    private let store = Mutex<[String]>([])
    var lines: [String] { store.withLock { $0 } }

    var logger: Logger {
        var l = Logger(label: "test") { _ in Handler(capture: self) }
        l.logLevel = .trace
        return l
    }

    fileprivate func append(_ line: String) { store.withLock { $0.append(line) } }

    private struct Handler: LogHandler {
        let capture: LogCapture
        var logLevel: Logger.Level = .trace
        var metadata: Logger.Metadata = [:]
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(event: LogEvent) {
            let meta = (event.metadata ?? [:]).sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
            capture.append("\(event.level.rawValue) \(event.message) \(meta)")
        }
    }
}
