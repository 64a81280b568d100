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
}
