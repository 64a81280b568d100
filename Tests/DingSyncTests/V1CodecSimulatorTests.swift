@testable import DingSync
import DingSyncMapping
import DingTalkSimulator
import Foundation
import HTTPClient
import XCTest

/// The codec's requests sent through real libcurl to the loopback simulator, its decoders fed
/// with what came back: the two halves of the codec have to agree with the simulator's v1.
final class V1CodecSimulatorTests: XCTestCase {
    let now = Int64(Date().timeIntervalSince1970 * 1000)
    let day: Int64 = 86_400_000

    func started(_ instances: [SimInstance]) throws -> DingTalkSimulator {
        let sim = DingTalkSimulator(options: .init())
        sim.add(instances)
        try sim.start()
        addTeardownBlock { sim.stop() }
        return sim
    }

    func v1Token(_ sim: DingTalkSimulator, _ curl: CurlHTTPClient) throws -> String {
        let r = try curl.send(V1Codec.tokenRequest(baseURL: sim.baseURL, appKey: sim.options.appKey, appSecret: sim.options.appSecret))
        return try V1Codec.decodeToken(r).token
    }

    func testRunningListingIsExactlyTheOpenInstancesAcrossPages() throws {
        let instances = JobFixture.generate(count: 200, days: 6, nowMs: now)
        let sim = try started(instances)
        let curl = try CurlHTTPClient()
        let token = try v1Token(sim, curl)
        var ids: [String] = [], cursor: Int? = 0, pages = 0
        while let c = cursor {
            let r = try curl.send(V1Codec.queryRequest(baseURL: sim.baseURL, token: token, processCode: sim.options.processCode,
                                                       startMs: now - 7 * day, endMs: now, cursor: c, statuses: ["RUNNING"]))
            let page = try V1Codec.decodeQuery(r)
            ids += page.ids
            cursor = page.nextCursor
            pages += 1
        }
        let running = instances.filter { $0.status == "RUNNING" }.map(\.id)
        XCTAssertGreaterThan(running.count, 40, "enough open ones for three pages, so both nextToken spellings are decoded")
        XCTAssertLessThan(running.count, instances.count, "the filter has something to drop")
        XCTAssertEqual(Set(ids), Set(running))
        XCTAssertEqual(ids.count, running.count, "no id twice")
        XCTAssertEqual(pages, (running.count + 19) / 20)
    }

    func testV1DetailMapsToTheLegacyRowExceptSeconds() throws {
        let instances = JobFixture.generate(count: 12, days: 3, nowMs: now)
        let sim = try started(instances)
        let curl = try CurlHTTPClient()
        let token = try v1Token(sim, curl)
        let env = ["DINGTALK_APP_KEY": "k", "DINGTALK_APP_SECRET": "s", "MYSQL_PASSWORD": "p"]
        let config = try ConfigLoader.parse(JSONSerialization.data(withJSONObject: JobFixture.referenceConfig()), source: "ref", env: env)
        let mapper = Mapper(entries: config.mapping, timeZone: config.sync.timezone)
        let settings = DingTalkSettings(baseURL: sim.baseURL, appKey: sim.options.appKey, appSecret: sim.options.appSecret,
                                        processCode: sim.options.processCode, pageSize: 20, maxQPS: 5_000, concurrency: 1,
                                        timeoutMs: 5_000, retry: RetrySettings(maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 2))
        let legacyClient = DingTalkClient(shared: .init(settings: settings, clock: SystemClock()), transport: try CurlHTTPClient())
        var compared = 0
        for inst in instances {
            let r = try curl.send(V1Codec.getRequest(baseURL: sim.baseURL, token: token, id: inst.id))
            let v1 = try V1Codec.decodeGet(r, id: inst.id, processCode: sim.options.processCode)
            var legacy = try legacyClient.get(id: inst.id)
            XCTAssertEqual(v1.attributes["create_time"]?.suffix(3), ":00", "v1 has minutes only")
            for key in ["create_time", "finish_time"] {
                legacy.attributes[key] = legacy.attributes[key].map { String($0.prefix(17)) + "00" }
            }
            XCTAssertEqual(v1.attributes, legacy.attributes, inst.id)
            XCTAssertEqual(v1.components, legacy.components, inst.id)
            guard case .success(let a) = mapper.map(v1), case .success(let b) = mapper.map(legacy) else {
                XCTFail("both map: \(inst.id)"); continue
            }
            XCTAssertEqual(a, b, inst.id)
            compared += 1
        }
        XCTAssertEqual(compared, instances.count)
        XCTAssertEqual(sim.calls(.v1Get), instances.count)
        XCTAssertEqual(sim.calls(.get), instances.count)
    }
}
