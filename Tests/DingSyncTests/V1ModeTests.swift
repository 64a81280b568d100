import Foundation
import XCTest

/// The important cases again against the v1 backend (`dingtalk.api: v1`), in every `make test`:
/// end to end, reconciliation, a simulated month, faults and kills, secrets and the economy must
/// hold for both APIs, and a table synced with v1 must equal DingTalk's truth exactly as one
/// synced with topapi does. (On Linux a subclass is found only when it declares a test of its
/// own, hence the fixture check in each.)
final class EndToEndV1Tests: EndToEndTests {
    override func setUp() { super.setUp(); JobFixture.api = "v1" }
    override func tearDown() { JobFixture.api = nil; super.tearDown() }
    func testTheFixturesOfThisCaseUseV1() throws { try assertV1Fixtures() }
}

final class ReconciliationV1Tests: ReconciliationTests {
    override func setUp() { super.setUp(); JobFixture.api = "v1" }
    override func tearDown() { JobFixture.api = nil; super.tearDown() }
    func testTheFixturesOfThisCaseUseV1() throws { try assertV1Fixtures() }
}

final class IncrementalV1Tests: IncrementalTests {
    override func setUp() { super.setUp(); JobFixture.api = "v1" }
    override func tearDown() { JobFixture.api = nil; super.tearDown() }
    func testTheFixturesOfThisCaseUseV1() throws { try assertV1Fixtures() }
}

final class ResilienceV1Tests: ResilienceTests {
    override func setUp() { super.setUp(); JobFixture.api = "v1" }
    override func tearDown() { JobFixture.api = nil; super.tearDown() }
    func testTheFixturesOfThisCaseUseV1() throws { try assertV1Fixtures() }
}

final class ResilienceSecretsV1Tests: ResilienceSecretsTests {
    override func setUp() { super.setUp(); JobFixture.api = "v1" }
    override func tearDown() { JobFixture.api = nil; super.tearDown() }
    func testTheFixturesOfThisCaseUseV1() throws { try assertV1Fixtures() }
}

final class EconomyV1Tests: EconomyTests {
    override func setUp() { super.setUp(); JobFixture.api = "v1" }
    override func tearDown() { JobFixture.api = nil; super.tearDown() }
    func testTheFixturesOfThisCaseUseV1() throws { try assertV1Fixtures() }
}

final class StopAndGiveUpV1Tests: StopAndGiveUpTests {
    override func setUp() { super.setUp(); JobFixture.api = "v1" }
    override func tearDown() { JobFixture.api = nil; super.tearDown() }
    func testTheFixturesOfThisCaseUseV1() throws { try assertV1Fixtures() }
}

private func assertV1Fixtures(file: StaticString = #filePath, line: UInt = #line) throws {
    let job = try JobFixture(instances: JobFixture.generate(count: 1, days: 1, seed: 1), withDatabase: false)
    let config = try JSONSerialization.jsonObject(with: Data(contentsOf: job.configURL)) as? [String: Any]
    XCTAssertEqual((config?["dingtalk"] as? [String: Any])?["api"] as? String, "v1", file: file, line: line)
}
