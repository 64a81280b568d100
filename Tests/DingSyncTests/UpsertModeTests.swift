import Foundation
import XCTest

/// The end-to-end, reconciliation and incremental cases again with `mysql.write_mode: upsert`
/// (XCTest runs a subclass's inherited tests; on Linux a subclass is found only when it declares
/// a test of its own, hence the fixture check in each): both write paths must keep the table
/// equal to DingTalk's truth through everything those cases do.
final class EndToEndUpsertTests: EndToEndTests {
    override func setUp() { super.setUp(); JobFixture.writeMode = "upsert" }
    override func tearDown() { JobFixture.writeMode = nil; super.tearDown() }
    func testTheFixturesOfThisCaseWriteInUpsertMode() throws { try assertUpsertFixtures() }
}

final class ReconciliationUpsertTests: ReconciliationTests {
    override func setUp() { super.setUp(); JobFixture.writeMode = "upsert" }
    override func tearDown() { JobFixture.writeMode = nil; super.tearDown() }
    func testTheFixturesOfThisCaseWriteInUpsertMode() throws { try assertUpsertFixtures() }
}

final class IncrementalUpsertTests: IncrementalTests {
    override func setUp() { super.setUp(); JobFixture.writeMode = "upsert" }
    override func tearDown() { JobFixture.writeMode = nil; super.tearDown() }
    func testTheFixturesOfThisCaseWriteInUpsertMode() throws { try assertUpsertFixtures() }
}

private func assertUpsertFixtures(file: StaticString = #filePath, line: UInt = #line) throws {
    let job = try JobFixture(instances: JobFixture.generate(count: 1, days: 1, seed: 1), withDatabase: false)
    let config = try JSONSerialization.jsonObject(with: Data(contentsOf: job.configURL)) as? [String: Any]
    XCTAssertEqual((config?["mysql"] as? [String: Any])?["write_mode"] as? String, "upsert", file: file, line: line)
}
