@testable import DingSync
import DingTalkSimulator
import Foundation
import HTTPClient
import XCTest

/// The DingTalk client through the real libcurl transport against the loopback simulator.
final class DingTalkClientTests: XCTestCase {
    func makeClient(_ sim: DingTalkSimulator, pageSize: Int = 20) throws -> DingTalkClient {
        let settings = DingTalkSettings(baseURL: sim.baseURL, appKey: sim.options.appKey, appSecret: sim.options.appSecret,
                                        processCode: sim.options.processCode, pageSize: pageSize, maxQPS: 5_000, concurrency: 1,
                                        timeoutMs: 5_000, retry: RetrySettings(maxAttempts: 4, baseDelayMs: 1, maxDelayMs: 5))
        return DingTalkClient(shared: .init(settings: settings, clock: SystemClock()), transport: try CurlHTTPClient())
    }

    /// A client with chosen credentials and retry budget, for error paths.
    func makeClient(baseURL: String, appKey: String = "k", appSecret: String, maxAttempts: Int) throws -> DingTalkClient {
        let settings = DingTalkSettings(baseURL: baseURL, appKey: appKey, appSecret: appSecret, processCode: "P",
                                        pageSize: 20, maxQPS: 1_000, concurrency: 1, timeoutMs: 2_000,
                                        retry: RetrySettings(maxAttempts: maxAttempts, baseDelayMs: 1, maxDelayMs: 2))
        return DingTalkClient(shared: .init(settings: settings, clock: SystemClock()), transport: try CurlHTTPClient())
    }

    /// The address of a simulator that was started and stopped: nothing listens there.
    func deadAddress() throws -> String {
        let sim = try started([])
        sim.stop()
        return sim.baseURL
    }

    func started(_ instances: [SimInstance], options: SimulatorOptions = .init()) throws -> DingTalkSimulator {
        let sim = DingTalkSimulator(options: options)
        sim.add(instances)
        try sim.start()
        addTeardownBlock { sim.stop() }
        return sim
    }

    func testTokenIsFetchedOnceAndRefreshedWhenRejected() throws {
        let instances = JobFixture.generate(count: 10, days: 3)
        let sim = try started(instances)
        let client = try makeClient(sim)
        for s in instances.prefix(5) { XCTAssertEqual(try client.get(id: s.id).id, s.id) }
        XCTAssertEqual(sim.calls(.token), 1, "the token is cached for the run")
        // Both expiry styles: errcode 88 + sub_code, and plain 40014 (the simulator alternates).
        for s in instances.suffix(4) {
            sim.expireToken()
            XCTAssertEqual(try client.get(id: s.id).status, s.status)
        }
        XCTAssertEqual(sim.calls(.token), 5)
        XCTAssertGreaterThanOrEqual(client.shared.counters.snapshot.retries, 4)
    }

    func testListingFollowsTheCursorAndMatchesTheSimulator() throws {
        let instances = JobFixture.generate(count: 95, days: 10)
        let sim = try started(instances)
        let client = try makeClient(sim)
        let window = Window(fromMs: instances.map(\.createTimeMs).min()!, toMs: instances.map(\.createTimeMs).max()! + 1)
        let ids = try Lister(client: client).list(window)
        XCTAssertEqual(Set(ids), Set(instances.map(\.id)))
        XCTAssertEqual(ids.count, 95)
        XCTAssertEqual(sim.calls(.listids), 5, "95 ids at 20 a page")
    }

    func testHalfOpenBoundaryListsAnInstanceExactlyOnce() throws {
        let t: Int64 = Int64(Date().timeIntervalSince1970 * 1000) - 86_400_000
        var g = ReferenceFormGenerator(seed: 1)
        var batch = g.make(count: 3, fromMs: t - 10, toMs: t - 1)
        for i in batch.indices { batch[i].createTimeMs = t }  // three instances in the same millisecond, on the boundary
        let sim = try started(batch)
        let client = try makeClient(sim)
        let before = try Lister(client: client).list(Window(fromMs: t - 1_000, toMs: t))
        let after = try Lister(client: client).list(Window(fromMs: t, toMs: t + 1_000))
        XCTAssertTrue(before.isEmpty)
        XCTAssertEqual(Set(after), Set(batch.map(\.id)))
    }

    func testAWindowOverTheTenThousandCapIsSplitAndListedCompletely() throws {
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        var g = ReferenceFormGenerator(seed: 2)
        let instances = g.make(count: 10_050, fromMs: now - 2 * 86_400_000, toMs: now - 60_000)
        let sim = try started(instances)
        let client = try makeClient(sim)
        let ids = try Lister(client: client).list(Window(fromMs: now - 3 * 86_400_000, toMs: now))
        XCTAssertEqual(ids.count, 10_050)
        XCTAssertEqual(Set(ids), Set(instances.map(\.id)))
    }

    func testAListerThatHadToSplitCutsLaterWindowsUpFront() throws {
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        let day: Int64 = 86_400_000
        var g = ReferenceFormGenerator(seed: 4)
        let first = g.make(count: 10_040, fromMs: now - 4 * day, toMs: now - 3 * day)
        let second = g.make(count: 10_040, fromMs: now - 2 * day, toMs: now - day)
        let sim = try started(first + second)
        let lister = Lister(client: try makeClient(sim))
        XCTAssertEqual(Set(try lister.list(Window(fromMs: now - 4 * day, toMs: now - 3 * day + 1))), Set(first.map(\.id)))
        XCTAssertEqual(lister.parts, 2)
        let callsForFirst = sim.calls(.listids)
        XCTAssertGreaterThan(callsForFirst, 1_000, "the first dense window pays a full pass before splitting")
        XCTAssertEqual(Set(try lister.list(Window(fromMs: now - 2 * day, toMs: now - day + 1))), Set(second.map(\.id)))
        XCTAssertLessThan(sim.calls(.listids) - callsForFirst, 520, "the second is listed in halves at once: about 10,040/20 pages")
    }

    func testPermanentErrorsAreNotRetried() throws {
        let sim = try started([])
        let client = try makeClient(baseURL: sim.baseURL, appKey: "wrong", appSecret: "wrong-secret", maxAttempts: 5)
        XCTAssertThrowsError(try client.listIds(startMs: 0, endMs: 1, cursor: 0)) { e in
            let error = e as! DingTalkError
            XCTAssertEqual(error.errorClass, .permission)
            XCTAssertEqual(error.exitStatus, .permission)
            XCTAssertFalse(error.description.contains("wrong-secret"))
        }
        XCTAssertEqual(sim.calls(.token), 1)
    }

    func testMaxAttemptsBoundsTokenFetchesAndCallsTogether() throws {
        let client = try makeClient(baseURL: try deadAddress(), appSecret: "s", maxAttempts: 4)
        XCTAssertThrowsError(try client.listIds(startMs: 0, endMs: 1, cursor: 0))
        XCTAssertEqual(client.shared.counters.snapshot.token, 4, "max_attempts counts every try, the first included")
        XCTAssertEqual(client.shared.counters.snapshot.retries, 3)
    }

    func testConnectionRefusedIsTransientAndNamesNoSecret() throws {
        let client = try makeClient(baseURL: try deadAddress(), appSecret: "very-secret", maxAttempts: 2)
        XCTAssertThrowsError(try client.token()) { e in
            let error = e as! DingTalkError
            XCTAssertEqual(error.errorClass, .transient)
            XCTAssertFalse(error.description.contains("very-secret"), error.description)
        }
    }
}
