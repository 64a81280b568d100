import Foundation
import MySQLClient
import XCTest

/// Where the real parts are: the throwaway MariaDB started by `make test`, the built
/// executable, and the repository (for the shipped reference config and DDL).
enum TestEnvironment {
    static let repoRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static var env: [String: String] { ProcessInfo.processInfo.environment }

    /// The built `dingsync` (and `dingsim`) sit beside the test bundle.
    static func binary(_ name: String) -> URL {
        if let override = env["DINGSYNC_BIN_DIR"] { return URL(fileURLWithPath: override).appendingPathComponent(name) }
        var dir = Bundle.main.bundleURL
        if dir.pathExtension == "xctest" { dir = dir.deletingLastPathComponent() }
        return dir.appendingPathComponent(name)
    }
}

/// A database of its own for one test, with the reference target table; dropped afterwards.
final class TestDatabase {
    let name: String
    let options: MySQLOptions
    let admin: MySQLConnection

    init(file: StaticString = #filePath, line: UInt = #line) throws {
        let env = TestEnvironment.env
        guard let socket = env["DINGSYNC_TEST_MYSQL_SOCKET"], let user = env["DINGSYNC_TEST_MYSQL_USER"],
              let password = env["DINGSYNC_TEST_MYSQL_PASSWORD"] else {
            XCTFail("DINGSYNC_TEST_MYSQL_* are not set: run the suite with `make test` (it starts a throwaway MariaDB)",
                    file: file, line: line)
            throw TestSetupError.noDatabase
        }
        name = "dst_" + String(UInt64.random(in: 0...UInt64.max), radix: 36)
        var o = MySQLOptions(socket: socket, user: user, password: password, database: nil)
        admin = try MySQLConnection(o)
        try admin.execute("CREATE DATABASE `\(name)` CHARACTER SET utf8mb4")
        o.database = name
        options = o
        try admin.execute("USE `\(name)`")
        let ddl = try String(contentsOf: TestEnvironment.repoRoot.appendingPathComponent("Config/master_wan_recharge.sql"), encoding: .utf8)
        try admin.execute(ddl)
    }

    deinit { try? admin.execute("DROP DATABASE IF EXISTS `\(name)`") }

    func rows(_ sql: String) throws -> [[String?]] { try admin.query(sql) }
}

enum TestSetupError: Error { case noDatabase, simulator }

/// Runs the real executable and collects its output.
struct ProcessResult {
    var code: Int32
    var stdout: String
    var stderr: String
    var stderrLines: [String] { stderr.split(separator: "\n").map(String.init) }
}

/// Runs the built executable to the end (see `RunningDingsync` for a run the test steers).
func runDingsync(_ args: [String], env extra: [String: String] = [:], timeout: TimeInterval = 300) throws -> ProcessResult {
    try RunningDingsync(args, env: extra).finish(timeout: timeout)
}
