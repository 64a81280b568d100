import Dispatch
import Foundation
import MySQLClient
import Synchronization
import XCTest

final class ConnectionTests: DatabaseTestCase {
    func testConnectsOverSocketAndTCPWithUTF8MB4AndStrictMode() throws {
        for connection in [try connect(tcp: false), try connect(tcp: true)] {
            XCTAssertTrue(connection.isAlive)
            XCTAssertTrue(connection.serverVersion.contains("MariaDB") || connection.serverVersion.first?.isNumber == true,
                          "unexpected server version \(connection.serverVersion)")
            let row = try connection.query("SELECT DATABASE(), @@character_set_client, @@character_set_connection, "
                                           + "@@character_set_results, @@SESSION.sql_mode")
            XCTAssertEqual(row.count, 1)
            XCTAssertEqual(row[0][0], databaseName)
            XCTAssertEqual(Array(row[0][1...3]), ["utf8mb4", "utf8mb4", "utf8mb4"])
            XCTAssertTrue(row[0][4]?.contains("STRICT_ALL_TABLES") == true, "sql_mode: \(row[0][4] ?? "nil")")
        }
        // Socket and TCP really are different transports.
        let viaSocket = try scalar("SELECT USER()", on: try connect(tcp: false))
        let viaTCP = try scalar("SELECT USER()", on: try connect(tcp: true))
        XCTAssertEqual(viaSocket, "\(server.user)@localhost")
        XCTAssertEqual(viaTCP, "\(server.user)@127.0.0.1")
    }

    func testWrongPasswordIsAccessDeniedAndNeverShowsThePassword() throws {
        let password = "Wrong-Pa55word-\(UInt32.random(in: 1000...9_999_999))"
        for var options in [server.socketOptions(), server.tcpOptions()] {
            options.password = password
            let error = expectMySQLError { _ = try MySQLConnection(options) }
            XCTAssertEqual(error?.code, 1045)
            XCTAssertEqual(error?.isAccessDenied, true)
            XCTAssertEqual(error?.isConnectionLost, false)
            XCTAssertEqual(error?.context, "connect")
            XCTAssertFalse(String(describing: error).contains(password))
            XCTAssertFalse(error?.message.contains(password) ?? true)
        }
    }

    func testServerEchoOfThePasswordIsRedacted() throws {
        // A syntax error quotes the statement back; the configured password must not survive.
        let error = expectMySQLError { try self.db.execute("SELEC '\(self.server.password)'") }
        XCTAssertEqual(error?.code, 1064)
        XCTAssertFalse(error?.description.contains(server.password) ?? true)
        XCTAssertTrue(error?.message.contains("***") ?? false, error?.message ?? "")
    }

    func testLoadDataLocalIsDisabled() throws {
        // A hostile server could otherwise ask the client for any local file.
        try db.execute("CREATE TABLE t (line TEXT)")
        let error = expectMySQLError { try self.db.execute("LOAD DATA LOCAL INFILE '/etc/hostname' INTO TABLE t") }
        XCTAssertNotNil(error)
        XCTAssertEqual(try scalar("SELECT COUNT(*) FROM t"), "0")
    }

    func testUnknownDatabaseTableAndColumnAreClassified() throws {
        var options = server.socketOptions(database: "dsmt_does_not_exist_\(UInt32.random(in: 0...99999))")
        options.connectTimeoutSeconds = 5
        XCTAssertEqual(expectMySQLError { _ = try MySQLConnection(options) }?.isUnknownDatabase, true)
        XCTAssertEqual(expectMySQLError { _ = try self.db.query("SELECT * FROM nope") }?.isUnknownTable, true)
        try db.execute("CREATE TABLE t (a INT)")
        let column = expectMySQLError { _ = try self.db.prepare("SELECT b FROM t") }
        XCTAssertEqual(column?.isUnknownColumn, true)
        XCTAssertEqual(column?.context, "prepare")
    }

    func testTransactionRollbackLeavesNothingAndCommitKeepsRows() throws {
        try db.execute("CREATE TABLE t (id INT PRIMARY KEY) ENGINE=InnoDB")
        let insert = try db.prepare("INSERT INTO t VALUES (?)")
        try db.begin()
        for id in 1...10 { try insert.execute([.int(Int64(id))]) }
        XCTAssertEqual(try scalar("SELECT COUNT(*) FROM t"), "10")
        try db.rollback()
        XCTAssertEqual(try scalar("SELECT COUNT(*) FROM t"), "0")
        XCTAssertEqual(try scalar("SELECT COUNT(*) FROM t", on: try connect()), "0")

        try db.begin()
        for id in 1...3 { try insert.execute([.int(Int64(id))]) }
        // Uncommitted rows are invisible to another session.
        XCTAssertEqual(try scalar("SELECT COUNT(*) FROM t", on: try connect()), "0")
        try db.commit()
        XCTAssertEqual(try scalar("SELECT COUNT(*) FROM t", on: try connect()), "3")
    }

    func testKilledConnectionReportsLostAndNeverReconnects() throws {
        let victim = try connect(tcp: true)
        let id = victim.connectionID
        XCTAssertEqual(try scalar("SELECT CONNECTION_ID()", on: victim), String(id))
        try victim.execute("SET @marker = 42")
        let statement = try victim.prepare("SELECT ?")

        try db.execute("KILL \(id)")

        let first = expectMySQLError { _ = try victim.query("SELECT @marker") }
        XCTAssertEqual(first?.isConnectionLost, true, "got \(String(describing: first))")
        XCTAssertFalse(victim.isAlive)
        // Still dead: no silent reconnect happened behind our back.
        let second = expectMySQLError { _ = try victim.query("SELECT @marker") }
        XCTAssertEqual(second?.isConnectionLost, true, "got \(String(describing: second))")
        let third = expectMySQLError { _ = try statement.query([.int(1)]) }
        XCTAssertEqual(third?.isConnectionLost, true, "got \(String(describing: third))")
        XCTAssertEqual(try scalar("SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE ID = \(id)"), "0")
        XCTAssertTrue(db.isAlive)
    }

    func testServerCrashIsConnectionLostAndCommittedRowsSurvive() throws {
        try db.execute("CREATE TABLE t (id INT PRIMARY KEY) ENGINE=InnoDB")
        try db.prepare("INSERT INTO t VALUES (?)").execute([.int(7)])
        let other = try connect(tcp: true)
        try other.begin()
        try other.prepare("INSERT INTO t VALUES (?)").execute([.int(8)])

        try runScript("restart")  // kill -9 and start again on the same data dir

        XCTAssertEqual(expectMySQLError { _ = try self.db.query("SELECT 1") }?.isConnectionLost, true)
        XCTAssertEqual(expectMySQLError { try other.commit() }?.isConnectionLost, true)
        let fresh = try connect(tcp: true)
        XCTAssertEqual(try fresh.query("SELECT id FROM t ORDER BY id"), [["7"]])
    }

    private func runScript(_ command: String) throws {
        guard let script = ProcessInfo.processInfo.environment["DINGSYNC_TEST_MARIADB_SCRIPT"] else {
            throw TestServer.Missing(variable: "DINGSYNC_TEST_MARIADB_SCRIPT")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = [script, command]
        try process.run()
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0, "\(script) \(command) failed")
    }

    func testConnectionsWorkFromOtherThreads() throws {
        try db.execute("CREATE TABLE t (thread INT, n INT, PRIMARY KEY (thread, n))")
        let options = server.tcpOptions(database: databaseName)
        let failures = Mutex<[String]>([])
        let group = DispatchGroup()
        for thread in 0..<4 {
            DispatchQueue.global().async(group: group) {
                do {
                    let connection = try MySQLConnection(options)
                    let insert = try connection.prepare("INSERT INTO t VALUES (?, ?)")
                    for n in 0..<50 { try insert.execute([.int(Int64(thread)), .int(Int64(n))]) }
                } catch {
                    failures.withLock { $0.append("thread \(thread): \(error)") }
                }
            }
        }
        group.wait()
        XCTAssertEqual(failures.withLock { $0 }, [])
        XCTAssertEqual(try scalar("SELECT COUNT(*) FROM t"), "200")
    }
}
