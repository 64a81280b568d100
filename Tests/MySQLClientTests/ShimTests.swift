import Foundation
import XCTest

/// The CMySQL shim on its own, as plain C against whichever client headers mysqlclient.pc
/// points at: Swift's importer tolerates things a C compiler rejects (an undeclared function
/// in a static inline body only fails when called), so the compiler is the honest check.
final class ShimTests: XCTestCase {
    func testShimCompilesAsCAgainstTheInstalledHeaders() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.currentDirectoryURL = root
        process.arguments = ["-c", "cc -fsyntax-only -Werror=implicit-function-declaration $(pkg-config --cflags mysqlclient) -x c Sources/CMySQL/shim.h"]
        let errors = Pipe()
        process.standardError = errors
        try process.run()
        let output = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0, output)
    }

    /// The same check the Oracle script runs (every wrapper called, no MYSQL_OPT_RECONNECT),
    /// here against the installed headers, so the script itself stays in working order.
    func testEveryWrapperCompilesThroughTheHeaderCheckScript() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let dir = try includeDir()
        let run = Process()
        run.executableURL = root.appendingPathComponent("scripts/check-oracle-headers.sh")
        run.arguments = [dir]
        let out = Pipe()
        run.standardOutput = out
        run.standardError = out
        try run.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        run.waitUntilExit()
        XCTAssertEqual(run.terminationStatus, 0, text)
        XCTAssertTrue(text.contains("shim.h compiles against"), text)
    }

    private func includeDir() throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", "pkg-config --cflags-only-I mysqlclient"]
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        let flags = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        let first = flags.split(separator: " ").first { $0.hasPrefix("-I") }
        return try XCTUnwrap(first.map { String($0.dropFirst(2)).trimmingCharacters(in: .whitespacesAndNewlines) }, flags)
    }
}
