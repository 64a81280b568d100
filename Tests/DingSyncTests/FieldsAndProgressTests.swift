@testable import DingSync
import DingTalkSimulator
import Foundation
import XCTest

/// Issue 20, point 16's code parts: `fields` shows the attributes of one sampled instance (a
/// status never beside another instance's result), and the progress line's ETA and written
/// count follow the run.
final class FieldsAndProgressTests: XCTestCase {
    func testFieldsShowsTheAttributesOfOneInstance() throws {
        var instances = JobFixture.generate(count: 12, days: 3, seed: 2016).sorted { $0.createTimeMs < $1.createTimeMs }
        // The newest is open (no result yet); an older one was refused.
        let last = instances.count - 1
        instances[last].status = "NEW"
        instances[last].result = ""
        instances[last].finishTimeMs = nil
        instances[last - 1].status = "COMPLETED"
        instances[last - 1].result = "refuse"
        instances[last - 1].finishTimeMs = instances[last - 1].createTimeMs + 60_000
        let job = try JobFixture(instances: instances, withDatabase: false)
        let r = try job.run(["fields", "--sample", "4"])
        XCTAssertEqual(r.code, 0, r.stderr)
        let lines = r.stdout.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let start = try XCTUnwrap(lines.firstIndex { $0.hasPrefix("# Instance attributes") }, r.stdout)
        var shown: [String: String] = [:]
        for line in lines[(start + 1)...] {
            if line.isEmpty { break }
            let parts = line.split(separator: " ", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            if parts.count == 2 { shown[parts[0]] = parts[1] } else if parts.count == 1 { shown[parts[0]] = "" }
        }
        let id = try XCTUnwrap(shown["id"], r.stdout)
        let source = try XCTUnwrap(instances.first { $0.id == id }, "the attributes name a sampled instance: \(r.stdout)")
        XCTAssertEqual(shown["status"], source.status, r.stdout)
        XCTAssertEqual(shown["result"] ?? "", source.result, r.stdout)
        XCTAssertEqual(shown["business_id"], source.businessId, r.stdout)
    }

    func testEtaComesFromWhatRemainsToFetch() {
        // 151 of 200 gets done at 15/s: 49 left, about 3 s, whatever the skipped ids were.
        var s = RunSummary()
        (s.windows, s.listed, s.fetched, s.skipped) = (1, 249, 151, 49)
        let line = ProgressReporter.line(s, phase: "fetching", elapsedSeconds: 200.0 / 15, totalWindows: 1, remaining: 49)
        XCTAssertTrue(line.hasSuffix("ETA 3s"), line)
        XCTAssertEqual(ProgressReporter.etaSeconds(s, elapsedSeconds: 200.0 / 15, totalWindows: 1, remaining: 0), 0)
    }
}
