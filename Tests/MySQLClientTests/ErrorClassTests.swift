import CMySQL
import Foundation
import MySQLClient
import XCTest

/// Error classification: the numbers come from the installed headers' own names, the
/// classes are what callers act on (reconnect, replay, exit code).
final class ErrorClassTests: XCTestCase {
    /// `#define NAME NUMBER` lines of the installed errmsg.h and mysqld_error.h, read with
    /// no help from the shim, so that a name wired to the wrong constant shows up here.
    private func headerDefinitions() throws -> [String: UInt32] {
        let dirs = try mysqlIncludeDirs()
        XCTAssertFalse(dirs.isEmpty, "pkg-config gave no include directory for mysqlclient")
        var found: [String: UInt32] = [:]
        for dir in dirs {
            for header in ["errmsg.h", "mysqld_error.h"] {
                guard let text = try? String(contentsOfFile: "\(dir)/\(header)", encoding: .utf8) else { continue }
                for line in text.split(separator: "\n") {
                    let parts = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
                    if parts.count >= 3, parts[0] == "#define", let number = UInt32(parts[2]) {
                        found[String(parts[1])] = number
                    }
                }
            }
        }
        XCTAssertGreaterThan(found.count, 100, "could not read the client headers in \(dirs)")
        return found
    }

    func testEveryNameMatchesTheInstalledHeadersOrIsAbsent() throws {
        let header = try headerDefinitions()
        XCTAssertEqual(MySQLErrorKind.allSymbolNames.count, Int(DINGSYNC_ERROR_SYMBOL_COUNT.rawValue),
                       "shim.h's enum and the Swift name list differ in length")
        for name in MySQLErrorKind.allSymbolNames {
            XCTAssertEqual(MySQLErrorKind.code(name), header[name], "\(name): shim answers \(String(describing: MySQLErrorKind.code(name))), header says \(String(describing: header[name]))")
        }
    }

    func testFamilySpecificNames() {
        if dingsync_client_is_mariadb() != 0 {
            // MariaDB: 4031 is a trigger error, not the idle-disconnect; the net read/write names exist.
            XCTAssertNil(MySQLErrorKind.code("ER_CLIENT_INTERACTION_TIMEOUT"))
            XCTAssertEqual(MySQLErrorKind.classify(code: 4031, sqlState: "HY000"), .other)
            XCTAssertEqual(MySQLErrorKind.code("CR_ERR_NET_READ"), 5013)
            XCTAssertEqual(MySQLErrorKind.classify(code: 5013, sqlState: "HY000"), .connectionLost)
            XCTAssertEqual(MySQLErrorKind.classify(code: 1927, sqlState: "70100"), .connectionLost)  // ER_CONNECTION_KILLED
        } else {
            // Oracle: 4031 is the server closing an idle client; 5013/5014 are not client errors.
            XCTAssertEqual(MySQLErrorKind.code("ER_CLIENT_INTERACTION_TIMEOUT"), 4031)
            XCTAssertEqual(MySQLErrorKind.classify(code: 4031, sqlState: "HY000"), .connectionLost)
            XCTAssertNil(MySQLErrorKind.code("CR_ERR_NET_READ"))
        }
    }

    /// Numbers both families share (checked in both header sets), and the classes they fall in.
    func testClassesOfTheSharedNumbers() {
        let expected: [(UInt32, String, MySQLErrorKind)] = [
            (2002, "HY000", .connectionLost), (2003, "HY000", .connectionLost), (2006, "HY000", .connectionLost),
            (2013, "HY000", .connectionLost), (1053, "08S01", .connectionLost), (1152, "08S01", .connectionLost),
            (2026, "HY000", .tls),
            (1044, "42000", .accessDenied), (1045, "28000", .accessDenied), (1142, "42000", .accessDenied),
            (1049, "42000", .unknownDatabase), (1146, "42S02", .unknownTable), (1054, "42S22", .unknownColumn),
            (1062, "23000", .duplicateKey),
            (1205, "HY000", .lockWaitTimeout), (1213, "40001", .deadlock),
            (1290, "HY000", .readOnly), (1792, "25006", .readOnly), (1836, "HY000", .readOnly), (1223, "HY000", .readOnly),
            (1040, "08004", .tooManyConnections), (1203, "42000", .tooManyConnections),
            (1048, "23000", .data), (1264, "22003", .data), (1366, "22007", .data), (1406, "22001", .data),
            (1064, "42000", .other),
        ]
        for (code, state, kind) in expected {
            XCTAssertEqual(MySQLErrorKind.classify(code: code, sqlState: state), kind, "\(code) (\(state))")
        }
    }

    func testSQLStateClassesCoverUnnamedNumbers() {
        XCTAssertEqual(MySQLErrorKind.classify(code: 65000, sqlState: "08S01"), .connectionLost)
        XCTAssertEqual(MySQLErrorKind.classify(code: 65000, sqlState: "08004"), .accessDenied)
        XCTAssertEqual(MySQLErrorKind.classify(code: 65000, sqlState: "40001"), .deadlock)
        XCTAssertEqual(MySQLErrorKind.classify(code: 65000, sqlState: "28000"), .accessDenied)
        XCTAssertEqual(MySQLErrorKind.classify(code: 65000, sqlState: "22012"), .data)
        XCTAssertEqual(MySQLErrorKind.classify(code: 65000, sqlState: "HY000"), .other)
    }

    func testDerivedPropertiesFollowTheClass() {
        let readOnly = MySQLError(code: 1290, sqlState: "HY000", message: "read-only", context: "execute")
        XCTAssertTrue(readOnly.isReadOnly)
        XCTAssertTrue(readOnly.isTemporary)
        XCTAssertFalse(readOnly.isConnectionLost)
        let busy = MySQLError(code: 1040, sqlState: "08004", message: "Too many connections", context: "connect")
        XCTAssertTrue(busy.isTooManyConnections)
        XCTAssertTrue(busy.isTemporary)
        let tls = MySQLError(code: 2026, sqlState: "HY000", message: "TLS/SSL error", context: "connect")
        XCTAssertTrue(tls.isTLSFailure)
        XCTAssertFalse(tls.isTemporary, "a certificate problem does not pass with time")
        let deadlock = MySQLError(code: 1213, sqlState: "40001", message: "Deadlock", context: "execute")
        XCTAssertTrue(deadlock.isRetryableTransaction)
        XCTAssertFalse(deadlock.isTemporary)
    }
}

/// The same classes from a real server.
final class ServerErrorClassTests: DatabaseTestCase {
    func testWriteInAReadOnlyTransactionIsReadOnly() throws {
        try db.execute("CREATE TABLE t (id INT PRIMARY KEY)")
        try db.execute("START TRANSACTION READ ONLY")
        let error = expectMySQLError { try self.db.execute("INSERT INTO t VALUES (1)") }
        try db.rollback()
        XCTAssertEqual(error?.kind, .readOnly, String(describing: error))
        XCTAssertEqual(error?.isTemporary, true)
    }

    func testAccountConnectionLimitIsTooManyConnections() throws {
        let user = "dsmt_lim_\(UInt32.random(in: 1000...999_999))"
        let password = "Lim1t-\(UInt32.random(in: 1000...999_999))"
        try db.execute("CREATE USER '\(user)'@'localhost' IDENTIFIED BY '\(password)' WITH MAX_USER_CONNECTIONS 1")
        defer { try? db.execute("DROP USER '\(user)'@'localhost'") }
        var options = server.socketOptions()
        options.user = user
        options.password = password
        let first = try MySQLConnection(options)
        let error = expectMySQLError { _ = try MySQLConnection(options) }
        XCTAssertEqual(error?.kind, .tooManyConnections, String(describing: error))
        XCTAssertTrue(first.isAlive)
    }

    /// Server numbers belong to the server's family: an Oracle server's 4031 (it closed a
    /// session idle past wait_timeout) is a lost connection whichever client library read it,
    /// while a MariaDB server's 4031 is a trigger DDL error.
    func testAnOracleServersIdleDisconnectIsConnectionLostWhateverTheHeaders() {
        XCTAssertEqual(MySQLErrorKind.classify(code: 4031, sqlState: "HY000", server: .oracle), .connectionLost)
        XCTAssertNotEqual(MySQLErrorKind.classify(code: 4031, sqlState: "HY000", server: .mariadb), .connectionLost)
        let error = MySQLError(code: 4031, sqlState: "HY000", message: "The client was disconnected by the server because of inactivity.",
                               context: "execute", server: .oracle)
        XCTAssertTrue(error.isTemporary, "a new connection and another try, not exit 69 at once")
        for (version, family) in [("8.0.36", MySQLServerFamily.oracle), ("8.4.3-commercial", .oracle), ("9.1.0", .oracle),
                                  ("10.11.6-MariaDB-0+deb12u1", .mariadb), ("5.5.5-10.11.6-MariaDB", .mariadb), ("", .unknown)] {
            XCTAssertEqual(MySQLServerFamily(version: version), family, version)
        }
    }

    /// The test server is MariaDB, and its connections say so (statement errors carry it too).
    func testAConnectionKnowsItsServersFamily() throws {
        let conn = try connect()
        XCTAssertEqual(conn.serverFamily, .mariadb, conn.serverVersion)
        let error = expectMySQLError { _ = try conn.prepare("SELECT * FROM no_such_table_here") }
        XCTAssertEqual(error?.server, .mariadb)
    }

    func testKilledConnectionIsConnectionLost() throws {
        let victim = try connect()
        try db.execute("KILL CONNECTION \(victim.connectionID)")
        let error = expectMySQLError { _ = try victim.query("SELECT 1") }
        XCTAssertEqual(error?.kind, .connectionLost, String(describing: error))
    }
}
