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
        let text = firstLine(out)
        // Credentials given by flag are never echoed: someone may have typed a real one.
        let match = try XCTUnwrap(text.range(of: #"^dingsim listening on http://127\.0\.0\.1:(\d+) app_key=\(as given by --app-key\) app_secret=\(as given by --app-secret\) process_code=PROC-DEMO$"#,
                                             options: .regularExpression), text)
        XCTAssertEqual(match, text.startIndex..<text.endIndex)
        XCTAssertFalse(text.contains("=S "), text)
        let port = try XCTUnwrap(Int(text.split(separator: " ")[3].split(separator: ":").last!))
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

    /// The README's "Try it without DingTalk": --help shows the defaults, and the start line with
    /// the defaults says everything a job needs (base URL, the fake credentials, the process code).
    func testHelpShowsDefaultsAndTheStartLineSaysWhatToUse() throws {
        let help = Process()
        help.executableURL = try binary()
        help.arguments = ["--help"]
        let helpOut = Pipe()
        help.standardOutput = helpOut
        try help.run()
        let helpText = String(decoding: helpOut.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        help.waitUntilExit()
        XCTAssertEqual(help.terminationStatus, 0)
        let d = SimulatorOptions()
        for text in ["(default 42)", "(default 300)", "(default 40)", "(default \(d.appKey))", "(default \(d.appSecret))",
                     "(default \(d.processCode))", "--port-file", "--control stdin"] {
            XCTAssertTrue(helpText.contains(text), "help lacks \(text):\n\(helpText)")
        }

        let process = Process()
        process.executableURL = try binary()
        process.arguments = ["--port", "0", "--count", "3", "--days", "2"]
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        defer { if process.isRunning { process.terminate(); process.waitUntilExit() } }
        let text = firstLine(out)
        XCTAssertNotNil(text.range(of: #"^dingsim listening on http://127\.0\.0\.1:\d+ app_key=\#(d.appKey) app_secret=\#(d.appSecret) process_code=\#(d.processCode)$"#,
                                   options: .regularExpression), text)
        process.terminate()
        process.waitUntilExit()
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        XCTAssertTrue(stderr.contains("DINGTALK_APP_KEY=\(d.appKey) DINGTALK_APP_SECRET=\(d.appSecret) DINGTALK_PROCESS_CODE=\(d.processCode)"), stderr)
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

    /// The start line dingsim prints on stdout (blocks until it arrives).
    private func firstLine(_ out: Pipe) -> String {
        var line = Data()
        while !line.contains(UInt8(ascii: "\n")) {
            let chunk = out.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            line.append(chunk)
        }
        return String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
