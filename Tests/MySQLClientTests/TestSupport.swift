import Foundation
import MySQLClient
import TLSTestServer
import XCTest

/// Connection settings of the throwaway server from `scripts/mariadb.sh env`.
struct TestServer {
    let socket: String
    let host: String
    let port: Int
    let user: String
    let password: String

    struct Missing: Error, CustomStringConvertible {
        let variable: String
        var description: String {
            "\(variable) is not set: start the test MariaDB first with `make test`, or "
                + "`scripts/mariadb.sh start && source <(scripts/mariadb.sh env)` before `swift test`"
        }
    }

    static func fromEnvironment() throws -> TestServer {
        let env = ProcessInfo.processInfo.environment
        func value(_ name: String) throws -> String {
            guard let value = env[name], !value.isEmpty else { throw Missing(variable: name) }
            return value
        }
        guard let port = Int(try value("DINGSYNC_TEST_MYSQL_PORT")) else {
            throw Missing(variable: "DINGSYNC_TEST_MYSQL_PORT (as a number)")
        }
        return TestServer(socket: try value("DINGSYNC_TEST_MYSQL_SOCKET"),
                          host: try value("DINGSYNC_TEST_MYSQL_HOST"), port: port,
                          user: try value("DINGSYNC_TEST_MYSQL_USER"),
                          password: try value("DINGSYNC_TEST_MYSQL_PASSWORD"))
    }

    func socketOptions(database: String? = nil) -> MySQLOptions {
        MySQLOptions(socket: socket, user: user, password: password, database: database)
    }

    func tcpOptions(database: String? = nil) -> MySQLOptions {
        MySQLOptions(host: host, port: port, user: user, password: password, database: database)
    }
}

/// Each test gets its own freshly created database, dropped afterwards, and a
/// connection (`db`) whose default database is it.
class DatabaseTestCase: XCTestCase {
    var server: TestServer!
    var databaseName = ""
    var db: MySQLConnection!

    override func setUpWithError() throws {
        try super.setUpWithError()
        server = try TestServer.fromEnvironment()
        databaseName = "dsmt_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(16).lowercased()
        let admin = try MySQLConnection(server.socketOptions())
        try admin.execute("CREATE DATABASE `\(databaseName)` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin")
        db = try MySQLConnection(server.socketOptions(database: databaseName))
    }

    override func tearDownWithError() throws {
        db = nil
        if let server, !databaseName.isEmpty {
            let admin = try MySQLConnection(server.socketOptions())
            try admin.execute("DROP DATABASE IF EXISTS `\(databaseName)`")
        }
        try super.tearDownWithError()
    }

    /// A second connection to the same test database.
    func connect(tcp: Bool = false) throws -> MySQLConnection {
        try MySQLConnection(tcp ? server.tcpOptions(database: databaseName)
                                : server.socketOptions(database: databaseName))
    }

    func scalar(_ sql: String, on connection: MySQLConnection? = nil,
                file: StaticString = #filePath, line: UInt = #line) throws -> String? {
        let rows = try (connection ?? db).query(sql)
        XCTAssertEqual(rows.count, 1, "expected one row from \(sql)", file: file, line: line)
        return rows.first?.first ?? nil
    }

    /// Expects `body` to throw a MySQLError and returns it.
    func expectMySQLError(_ body: () throws -> Void, file: StaticString = #filePath,
                          line: UInt = #line) -> MySQLError? {
        do {
            try body()
            XCTFail("expected a MySQLError, nothing was thrown", file: file, line: line)
        } catch let error as MySQLError {
            return error
        } catch {
            XCTFail("expected a MySQLError, got \(error)", file: file, line: line)
        }
        return nil
    }
}

func hex(_ string: String) -> String {
    string.utf8.map { String(format: "%02X", $0) }.joined()
}

/// Runs `command` with /bin/sh (in `directory`, when given): its status, stdout and stderr.
func shell(_ command: String, in directory: URL? = nil) throws -> (status: Int32, out: String, err: String) {
    try runCommand(URL(fileURLWithPath: "/bin/sh"), ["-c", command], in: directory)
}

/// The include directories mysqlclient.pc names (the installed client headers).
func mysqlIncludeDirs() throws -> [String] {
    try shell("pkg-config --cflags-only-I mysqlclient").out.split(separator: " ")
        .compactMap { $0.hasPrefix("-I") ? String($0.dropFirst(2)).trimmingCharacters(in: .whitespacesAndNewlines) : nil }
}

/// The repository's root (for its scripts and sources).
let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
