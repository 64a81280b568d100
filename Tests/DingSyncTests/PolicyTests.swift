@testable import DingSync
import Foundation
import HTTPClient
import XCTest

/// Pure units: retry policy, window planning, error classification, answer decoding.
final class PolicyTests: XCTestCase {
    /// Samples many delays: all within [floor, ceiling], and the largest close to the ceiling.
    func delays(_ p: RetryPolicy, attempt: Int, _ cls: DingTalkError.Class) -> ClosedRange<Int>? {
        var rng = SystemRandomNumberGenerator()
        var values: [Int] = []
        for _ in 0..<2_000 {
            guard let d = p.delayMs(afterAttempt: attempt, errorClass: cls, using: &rng) else { return nil }
            values.append(d)
        }
        return values.min()!...values.max()!
    }

    func testBackoffIsExponentialWithFullJitterAndCapped() {
        let p = RetryPolicy(RetrySettings(maxAttempts: 6, baseDelayMs: 500, maxDelayMs: 3_000))
        for (attempt, ceiling) in [(1, 500), (2, 1_000), (3, 2_000), (4, 3_000), (5, 3_000)] {
            let r = delays(p, attempt: attempt, .transient)!
            XCTAssertLessThanOrEqual(r.upperBound, ceiling, "attempt \(attempt)")
            XCTAssertGreaterThan(r.upperBound, ceiling * 9 / 10, "attempt \(attempt) reaches near its ceiling")
            XCTAssertLessThan(r.lowerBound, ceiling / 10, "full jitter reaches near zero")
        }
        XCTAssertNil(delays(p, attempt: 6, .transient), "max_attempts counts the first try")
        XCTAssertGreaterThanOrEqual(delays(p, attempt: 1, .throttled)!.lowerBound, 1_000, "throttling waits at least a second")
        XCTAssertEqual(delays(p, attempt: 1, .token), 0...0, "a fresh token needs no wait")
        for cls: DingTalkError.Class in [.quota, .permission, .configuration, .ipBan, .instance] {
            XCTAssertNil(delays(p, attempt: 1, cls), "\(cls) is never retried")
        }
    }

    func testWindowsAreHalfOpenContiguousAndBounded() {
        let day = WindowPlanner.dayMs
        let w = WindowPlanner.windows(fromMs: 1_000, toMs: 1_000 + 65 * day + 7, windowDays: 30)
        XCTAssertEqual(w.count, 3)
        XCTAssertEqual(w.first?.fromMs, 1_000)
        XCTAssertEqual(w.last?.toMs, 1_000 + 65 * day + 7)
        for (a, b) in zip(w, w.dropFirst()) { XCTAssertEqual(a.toMs, b.fromMs) }
        XCTAssertTrue(w.allSatisfy { $0.toMs - $0.fromMs <= 30 * day })
        XCTAssertEqual(WindowPlanner.windows(fromMs: 0, toMs: 500 * day, windowDays: 999).first?.toMs, 120 * day, "never over 120 days")
        XCTAssertTrue(WindowPlanner.windows(fromMs: 5, toMs: 5, windowDays: 1).isEmpty)
        let (a, b) = Window(fromMs: 0, toMs: 11).halves()!
        XCTAssertEqual([a.fromMs, a.toMs, b.fromMs, b.toMs], [0, 5, 5, 11])
        XCTAssertNil(Window(fromMs: 0, toMs: 1).halves())
    }

    func testErrorClassificationFollowsTheSpecTable() {
        func cls(_ code: Int, _ sub: String? = nil, api: String = "listids") -> DingTalkError.Class {
            DingTalkError.classify(api: api, errcode: code, subCode: sub, errmsg: "").errorClass
        }
        for c in [40014, 42001, 40001, 41001] { XCTAssertEqual(cls(c), .token) }
        for s in ["40014", "42001", "40001", "40000"] { XCTAssertEqual(cls(88, s), .token) }
        XCTAssertEqual(cls(88, "60011"), .permission)
        XCTAssertEqual(cls(88, "90018"), .throttled)
        for c in [90018, 90002, 90005, 90006, 45009] { XCTAssertEqual(cls(c), .throttled) }
        for c in [-1, 400001] { XCTAssertEqual(cls(c), .transient) }
        XCTAssertEqual(cls(90020), .quota)
        for c in [60011, 60020, 40089, 40096] { XCTAssertEqual(cls(c), .permission) }
        XCTAssertEqual(cls(400002), .configuration)
        XCTAssertEqual(cls(400003), .configuration)
        XCTAssertEqual(cls(400002, api: "get"), .instance, "an error on one get is that instance's")
        XCTAssertEqual(DingTalkError.classify(api: "listids", errcode: 60020, subCode: nil, errmsg: "").exitStatus, .permission)
        XCTAssertEqual(DingTalkError.classify(api: "listids", errcode: 400003, subCode: nil, errmsg: "").exitStatus, .config)
        XCTAssertEqual(DingTalkError.classify(api: "get", errcode: 90020, subCode: nil, errmsg: "").exitStatus, .tryLater)
    }

    func testAnswerDecodingChecksTheBodyNotOnlyTheStatus() {
        func decode(_ status: Int, _ body: String) -> DingTalkError.Class? {
            do {
                _ = try DingTalkClient.decodeAnswer(api: "get", HTTPResponse(status: status, body: Data(body.utf8)))
                return nil
            } catch { return error.errorClass }
        }
        XCTAssertNil(decode(200, #"{"errcode":0,"errmsg":"ok"}"#))
        XCTAssertEqual(decode(200, #"{"errcode":90018,"errmsg":"throttled"}"#), .throttled)
        XCTAssertEqual(decode(200, #"{"errcode":88,"sub_code":"42001","errmsg":"x"}"#), .token)
        XCTAssertEqual(decode(200, #"{"errcode":0,"errmsg":"ok","process_inst"#), .transient, "truncated JSON")
        XCTAssertEqual(decode(502, "<html>bad gateway</html>"), .transient)
        XCTAssertEqual(decode(404, "<html><body>Not Found</body></html>"), .configuration, "a wrong base_url is no ban")
        XCTAssertEqual(decode(200, "<html><body>访问被拒绝</body></html>"), .ipBan)
        XCTAssertEqual(decode(200, #"{"status":1111,"wait":5,"punish":"deny"}"#), .ipBan)
    }

    func testRedactedURLsDropTheQuery() {
        XCTAssertEqual(HTTPRequest.redact("http://h/gettoken?appkey=a&appsecret=s"), "http://h/gettoken?…")
        XCTAssertFalse(HTTPError(kind: .connect, code: 7, message: "m", url: "http://h/x?access_token=tok-SECRET").description.contains("tok-SECRET"))
    }
}
