import Foundation
import XCTest
@testable import DingTalkSimulator

/// Runs the real `dingsim` binary that `swift test` builds next to the test bundle.
final class DingsimExecutableTests: XCTestCase {
    private func binary() throws -> URL {
        let dir = Bundle.main.executableURL?.deletingLastPathComponent()
            ?? URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        let url = dir.appendingPathComponent("dingsim")
        XCTAssertTrue(FileManager.default.isExecutableFile(atPath: url.path), "build dingsim first: \(url.path)")
        return url
    }

    func testServesSeededDataAndExitsCleanlyOnSIGTERM() throws {
        let portFile = FileManager.default.temporaryDirectory.appendingPathComponent("dingsim-\(UUID().uuidString).port")
        defer { try? FileManager.default.removeItem(at: portFile) }
        let process = Process()
        process.executableURL = try binary()
        process.arguments = ["--port", "0", "--seed", "42", "--count", "30", "--days", "10",
                             "--app-key", "K", "--app-secret", "S", "--process-code", "PROC-DEMO",
                             "--port-file", portFile.path]
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        defer { if process.isRunning { process.terminate(); process.waitUntilExit() } }

        // Blocks until the first line arrives: the port file is written before it.
        var line = Data()
        while !line.contains(UInt8(ascii: "\n")) {
            let chunk = out.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            line.append(chunk)
        }
        let text = String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        let match = try XCTUnwrap(text.range(of: #"^dingsim listening on http://127\.0\.0\.1:(\d+) process_code=PROC-DEMO$"#,
                                             options: .regularExpression), text)
        XCTAssertEqual(match, text.startIndex..<text.endIndex)
        let port = try XCTUnwrap(Int(text.split(separator: ":").last!.split(separator: " ").first!))
        XCTAssertEqual(try String(contentsOf: portFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines), String(port))

        let conn = try RawConnection(port: port)
        let token = try XCTUnwrap(conn.request("GET", "/gettoken?appkey=K&appsecret=S")?.json?["access_token"] as? String)
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        let list = conn.request("POST", "/topapi/processinstance/listids?access_token=\(token)",
                                body: #"{"process_code":"PROC-DEMO","start_time":\#(now - 11 * day),"size":20}"#)?.json
        let result = try XCTUnwrap(list?["result"] as? [String: Any])
        XCTAssertEqual((result["list"] as? [String])?.count, 20)
        XCTAssertEqual(result["next_cursor"] as? Int, 20)

        process.terminate() // SIGTERM
        process.waitUntilExit()
        XCTAssertEqual(process.terminationReason, .exit)
        XCTAssertEqual(process.terminationStatus, 0)
    }

    func testBadFlagIsAUsageError() throws {
        let process = Process()
        process.executableURL = try binary()
        process.arguments = ["--count", "many"]
        process.standardError = Pipe()
        try process.run()
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 64)
    }
}
