@testable import DingSync
import DingTalkSimulator
import Foundation
import XCTest

/// `--metrics-file`: Prometheus text that parses, carries every figure, and replaces the
/// previous file in one rename.
final class MetricsTests: XCTestCase {
    static func sampleSummary() -> RunSummary {
        var s = RunSummary()
        s.job = "wan-recharge"
        s.listed = 120
        s.fetched = 100
        s.written = 97
        s.skipped = 20
        s.rejected = 2
        s.failed = 1
        s.calls.token = 1
        s.calls.listids = 7
        s.calls.get = 101
        s.calls.retries = 4
        s.elapsedMs = 12_345
        s.watermarkMs = 1_780_000_000_000
        return s
    }

    func testRenderHasEveryFigureWithHelpAndType() throws {
        var summary = Self.sampleSummary()
        summary.monthCalls = 1_234
        summary.budget = 4_000
        let text = MetricsFile.render(summary, exitCode: 65, nowMs: 1_780_000_100_007)
        let j = "job=\"wan-recharge\""
        let expected: [String: Double] = [
            "dingsync_last_run_timestamp_seconds{\(j)}": 1_780_000_100.007,
            "dingsync_run_exit_code{\(j)}": 65,
            "dingsync_instances_total{\(j),stage=\"listed\"}": 120,
            "dingsync_instances_total{\(j),stage=\"fetched\"}": 100,
            "dingsync_instances_total{\(j),stage=\"written\"}": 97,
            "dingsync_instances_total{\(j),stage=\"skipped\"}": 20,
            "dingsync_instances_total{\(j),stage=\"rejected\"}": 2,
            "dingsync_instances_total{\(j),stage=\"failed\"}": 1,
            "dingsync_api_calls_total{\(j),api=\"token\"}": 1,
            "dingsync_api_calls_total{\(j),api=\"listids\"}": 7,
            "dingsync_api_calls_total{\(j),api=\"get\"}": 101,
            "dingsync_retries_total{\(j)}": 4,
            "dingsync_run_duration_seconds{\(j)}": 12.345,
            "dingsync_watermark_timestamp_seconds{\(j)}": 1_780_000_000,
            "dingsync_month_calls{\(j)}": 1_234,
            "dingsync_month_call_budget{\(j)}": 4_000,
        ]
        XCTAssertEqual(try Self.parse(text), expected, text)
        for (name, help) in [("dingsync_run_exit_code", "Exit code of the last run (0 ok, 65 rejects, other non-zero failed)."),
                             ("dingsync_api_calls_total", "DingTalk API calls made in the last run, by API.")] {
            XCTAssertTrue(text.contains("# HELP \(name) \(help)\n# TYPE \(name) gauge\n"), text)
        }
    }

    func testNoWatermarkMeansNoWatermarkMetricAndLabelsAreEscaped() throws {
        var s = Self.sampleSummary()
        s.watermarkMs = nil
        s.job = "a\"b\\c\nd"
        let text = MetricsFile.render(s, exitCode: 0, nowMs: 5)
        XCTAssertFalse(text.contains("dingsync_watermark_timestamp_seconds"))
        let samples = try Self.parse(text)
        XCTAssertEqual(samples["dingsync_run_exit_code{job=\"a\\\"b\\\\c\\nd\"}"], 0, text)
        XCTAssertEqual(samples["dingsync_last_run_timestamp_seconds{job=\"a\\\"b\\\\c\\nd\"}"], 0.005, text)
        XCTAssertEqual(samples.count, 15)
    }

    /// A rename swaps the directory entry: a reader holding the old file keeps reading all of
    /// the old text, the path shows all of the new text, and no temporary file stays behind.
    func testWriteReplacesTheFileAtomically() throws {
        let dir = try tempDir()
        let path = dir.appendingPathComponent("dingsync.prom").path
        try MetricsFile.write(Self.sampleSummary(), exitCode: 0, nowMs: 1_000, to: path)
        let old = try XCTUnwrap(FileHandle(forReadingAtPath: path))
        defer { try? old.close() }
        let oldInode = try inode(path)

        try MetricsFile.write(Self.sampleSummary(), exitCode: 77, nowMs: 2_000, to: path)
        XCTAssertNotEqual(try inode(path), oldInode, "replaced by rename, not rewritten in place")
        let oldText = String(decoding: old.readDataToEndOfFile(), as: UTF8.self)
        XCTAssertEqual(try Self.parse(oldText)["dingsync_run_exit_code{job=\"wan-recharge\"}"], 0, "the old file is whole")
        XCTAssertEqual(try Self.parse(oldText).count, 16)
        let newText = try String(contentsOfFile: path, encoding: .utf8)
        XCTAssertEqual(try Self.parse(newText)["dingsync_run_exit_code{job=\"wan-recharge\"}"], 77)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path), ["dingsync.prom"])
        let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
        XCTAssertEqual(mode.map { $0 & 0o044 }, 0o044, "the collector (another user) can read it")
    }

    func testUnwritableDirectoryIsAnErrorAndLeavesNothing() throws {
        let dir = try tempDir()
        let path = dir.appendingPathComponent("missing/dingsync.prom").path
        XCTAssertThrowsError(try MetricsFile.write("x 1\n", to: path)) { error in
            XCTAssertTrue("\(error)".contains("metrics file"), "\(error)")
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path), [])
    }

    /// The executable writes the file after a good run and after a failed one.
    func testSyncWritesMetricsFileForSuccessAndFailure() throws {
        let instances = JobFixture.generate(count: 25, days: 4, seed: 31)
        let job = try JobFixture(instances: instances)
        let path = job.dir.appendingPathComponent("metrics/dingsync.prom")
        try FileManager.default.createDirectory(at: path.deletingLastPathComponent(), withIntermediateDirectories: true)

        let ok = try job.run(["sync", "--metrics-file", path.path])
        XCTAssertEqual(ok.code, 0, ok.stderr)
        var samples = try Self.parse(String(contentsOf: path, encoding: .utf8))
        XCTAssertEqual(samples["dingsync_run_exit_code{job=\"wan-recharge\"}"], 0)
        XCTAssertEqual(samples["dingsync_instances_total{job=\"wan-recharge\",stage=\"listed\"}"], 25)
        XCTAssertEqual(samples["dingsync_instances_total{job=\"wan-recharge\",stage=\"written\"}"], 25)
        XCTAssertEqual(samples["dingsync_api_calls_total{job=\"wan-recharge\",api=\"get\"}"], 25)
        XCTAssertNotNil(samples["dingsync_watermark_timestamp_seconds{job=\"wan-recharge\"}"])
        let ended = try XCTUnwrap(samples["dingsync_last_run_timestamp_seconds{job=\"wan-recharge\"}"])
        XCTAssertEqual(ended, Date().timeIntervalSince1970, accuracy: 600)

        job.simulator.setFaults({ var f = FaultOptions(); f.permissionDenied = true; return f }())
        let failed = try job.run(["sync", "--metrics-file", path.path])
        XCTAssertEqual(failed.code, 77, failed.stderr)
        samples = try Self.parse(String(contentsOf: path, encoding: .utf8))
        XCTAssertEqual(samples["dingsync_run_exit_code{job=\"wan-recharge\"}"], 77)
    }

    // MARK: - Helpers

    struct ParseError: Error { var line: String }

    /// A strict reader of the exposition format's subset we write: HELP and TYPE before each
    /// metric's samples, `name{label="value",...} number` lines. Returns series → value.
    static func parse(_ text: String) throws -> [String: Double] {
        guard text.hasSuffix("\n") else { throw ParseError(line: "no final newline") }
        let sample = try Regex(#"^([a-z_]+)\{job="(?:[^"\\]|\\.)*"(?:,[a-z]+="[a-z0-9_]+")*\} (-?[0-9]+(?:\.[0-9]+)?(?:e[+-]?[0-9]+)?)$"#)
        var described: Set<String> = [], typed: Set<String> = [], out: [String: Double] = [:]
        for line in text.split(separator: "\n", omittingEmptySubsequences: false).dropLast() {
            let l = String(line)
            if l.hasPrefix("# HELP ") { described.insert(String(l.split(separator: " ")[2])); continue }
            if l.hasPrefix("# TYPE ") {
                let parts = l.split(separator: " ")
                guard parts.count == 4, ["gauge", "counter"].contains(parts[3]) else { throw ParseError(line: l) }
                typed.insert(String(parts[2])); continue
            }
            guard let m = l.wholeMatch(of: sample), let name = m.output[1].substring, let v = m.output[2].substring,
                  described.contains(String(name)), typed.contains(String(name)) else { throw ParseError(line: l) }
            let series = String(l[..<l.lastIndex(of: " ")!])
            guard out[series] == nil else { throw ParseError(line: "duplicate \(series)") }
            out[series] = Double(v)!
        }
        return out
    }

    private func tempDir() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("dingsync-metrics-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: dir) }
        return dir
    }

    private func inode(_ path: String) throws -> UInt64 {
        var st = stat()
        guard stat(path, &st) == 0 else { throw ParseError(line: "stat \(path)") }
        return UInt64(st.st_ino)
    }
}
