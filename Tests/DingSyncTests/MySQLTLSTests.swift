import DingSync
import Foundation
import MySQLClient
import TLSTestServer
import XCTest

/// `mysql.tls` from the config to the wire, and what a MySQL failure's class makes of the exit code.
final class MySQLTLSTests: XCTestCase {
    private func tlsServer() throws -> TLSTestServer { try TLSTestServer.shared() }

    private static let env = ["DINGTALK_APP_KEY": "key-1234", "DINGTALK_APP_SECRET": "secret-5678", "MYSQL_PASSWORD": "pw-9999"]

    private func parse(tls: Any?) throws -> JobConfig {
        var c = try JobFixture.referenceConfig()
        var my = c["mysql"] as! [String: Any]
        if let tls { my["tls"] = tls } else { my.removeValue(forKey: "tls") }
        c["mysql"] = my
        return try ConfigLoader.parse(try JSONSerialization.data(withJSONObject: c), source: "job.json", env: Self.env)
    }

    private func configError(tls: Any, file: StaticString = #filePath, line: UInt = #line) -> String {
        do {
            _ = try parse(tls: tls)
            XCTFail("expected a config error for \(tls)", file: file, line: line)
        } catch let e as DingSyncError {
            XCTAssertEqual(e.status, .config, file: file, line: line)
            return e.message
        } catch {
            XCTFail("unexpected \(error)", file: file, line: line)
        }
        return ""
    }

    func testTLSConfigParsesWithPreferredAsTheDefault() throws {
        let s = try tlsServer()
        XCTAssertEqual(try parse(tls: nil).mysql?.tls, MySQLTLS(mode: .preferred))
        XCTAssertEqual(try parse(tls: ["mode": "required"]).mysql?.tls, MySQLTLS(mode: .required))
        XCTAssertEqual(try parse(tls: ["mode": "verify_identity", "ca": s.ca, "cert": NSNull(), "key": NSNull()]).mysql?.tls,
                       MySQLTLS(mode: .verifyIdentity, ca: s.ca))
    }

    func testTLSConfigProblemsNameTheKey() throws {
        let s = try tlsServer()
        let missing = s.dir.appendingPathComponent("no-such-ca.pem").path
        XCTAssertTrue(configError(tls: ["mode": "verify_ca", "ca": missing]).contains("mysql.tls.ca: file \(missing) does not exist"))
        XCTAssertTrue(configError(tls: ["mode": "verify_ca", "ca": s.dir.path]).contains("mysql.tls.ca: file \(s.dir.path) is not a readable file"))
        XCTAssertTrue(configError(tls: ["mode": "verify_ca"]).contains("mysql.tls.ca: is required when mode is verify_ca"))
        XCTAssertTrue(configError(tls: ["mode": "strict"]).contains("mysql.tls.mode: \"strict\" is not one of disabled, preferred, required, verify_ca, verify_identity"))
        XCTAssertTrue(configError(tls: ["mode": "required", "cafile": s.ca]).contains("mysql.tls.cafile: unknown key"))
        XCTAssertTrue(configError(tls: ["cert": s.ca]).contains("mysql.tls.key: cert and key go together"))
        XCTAssertTrue(configError(tls: "required").contains("mysql.tls: must be an object"))
        // Every problem at once.
        let all = configError(tls: ["mode": "strict", "ca": missing, "extra": 1])
        XCTAssertTrue(all.contains("mysql.tls.mode") && all.contains("mysql.tls.ca") && all.contains("mysql.tls.extra"), all)
    }

    private func settings(_ s: TLSTestServer, _ tls: MySQLTLS) throws -> MySQLSettings {
        var c = try JobFixture.referenceConfig()
        var my = c["mysql"] as! [String: Any]
        my["tls"] = ["mode": tls.mode.rawValue, "ca": tls.ca as Any? ?? NSNull()]
        c["mysql"] = my
        let env = Self.env.merging(["MYSQL_HOST": "127.0.0.1", "MYSQL_PORT": "\(s.port)", "MYSQL_SOCKET": "",
                                    "MYSQL_USER": s.user, "MYSQL_PASSWORD": s.password, "MYSQL_DATABASE": "mysql"]) { _, b in b }
        let config = try ConfigLoader.parse(try JSONSerialization.data(withJSONObject: c), source: "job.json", env: env)
        return try XCTUnwrap(config.mysql)
    }

    func testAnUnrelatedCAIsAPermissionErrorNamingTheFile() throws {
        let s = try tlsServer()
        XCTAssertThrowsError(try Database.connect(try settings(s, MySQLTLS(mode: .verifyCA, ca: s.otherCA)))) { error in
            let e = error as? DingSyncError
            XCTAssertEqual(e?.status, .permission, "\(error)")
            XCTAssertTrue(e?.message.contains(s.otherCA) ?? false, "\(error)")
            XCTAssertTrue(e?.message.contains("mysql.tls.mode verify_ca") ?? false, "\(error)")
            let pem = (try? String(contentsOfFile: s.otherCA, encoding: .utf8)) ?? "-"
            let body = pem.split(separator: "\n").dropFirst().first.map(String.init) ?? "-"
            XCTAssertFalse(e?.message.contains(body) ?? true, "certificate content in the message")
            XCTAssertFalse(e?.message.contains(s.password) ?? true)
        }
    }

    func testDisabledAgainstAServerThatRequiresTLSSaysSo() throws {
        let s = try tlsServer()
        XCTAssertThrowsError(try Database.connect(try settings(s, MySQLTLS(mode: .disabled)))) { error in
            let e = error as? DingSyncError
            XCTAssertEqual(e?.status, .permission, "\(error)")
            XCTAssertTrue(e?.message.contains("mysql.tls.mode") ?? false, "\(error)")
        }
    }

    func testCheckPrintsTheCipher() throws {
        let s = try tlsServer()
        // The job's database and target table on the TLS server, made over its socket.
        let admin = try MySQLConnection(MySQLOptions(socket: s.socket, user: s.user, password: s.password))
        let database = "dst_tls_" + String(UInt32.random(in: 0...UInt32.max), radix: 36)
        try admin.execute("CREATE DATABASE `\(database)` CHARACTER SET utf8mb4")
        defer { try? admin.execute("DROP DATABASE IF EXISTS `\(database)`") }
        try admin.execute("USE `\(database)`")
        try admin.execute(try String(contentsOf: TestEnvironment.repoRoot.appendingPathComponent("Config/master_wan_recharge.sql"), encoding: .utf8))

        let job = try JobFixture(instances: JobFixture.generate(count: 3, days: 2), withDatabase: false) { c in
            var my = c["mysql"] as! [String: Any]
            my["tls"] = ["mode": "verify_identity", "ca": s.ca]
            c["mysql"] = my
        }
        let env = ["MYSQL_SOCKET": "", "MYSQL_HOST": "127.0.0.1", "MYSQL_PORT": "\(s.port)", "MYSQL_USER": s.user,
                   "MYSQL_PASSWORD": s.password, "MYSQL_DATABASE": database]
        let good = try job.run(["check"], extraEnv: env)
        XCTAssertEqual(good.code, 0, good.stdout + good.stderr)
        let lines = Dictionary(uniqueKeysWithValues: OperatorCommandTests.checkLines(good.stdout))
        XCTAssertTrue(lines["tls"]?.hasPrefix("ok (cipher ") ?? false, good.stdout)
        XCTAssertTrue(lines["tls"]?.contains("mode verify_identity") ?? false, good.stdout)

        try job.adjustConfig { c in
            var my = c["mysql"] as! [String: Any]
            my["tls"] = ["mode": "verify_ca", "ca": s.otherCA]
            c["mysql"] = my
        }
        let wrong = try job.run(["check"], extraEnv: env)
        XCTAssertEqual(wrong.code, 77, wrong.stdout + wrong.stderr)
        XCTAssertTrue(wrong.stderr.contains(s.otherCA), wrong.stderr)
        XCTAssertFalse((wrong.stdout + wrong.stderr).contains("BEGIN CERTIFICATE"))
    }
}

/// The exit code and line for each class of MySQL failure (cli.md: 69 temporary, 77 permission, 78 config).
final class MySQLFailureExitTests: XCTestCase {
    private func failure(_ code: UInt32, _ state: String, _ message: String) -> DingSyncError {
        Database.failure(MySQLError(code: code, sqlState: state, message: message, context: "execute"), doing: "writing")
    }

    func testReadOnlyAndTooManyConnectionsAreTemporaryWithAClearLine() {
        let readOnly = failure(1290, "HY000", "The MariaDB server is running with the --read-only option so it cannot execute this statement")
        XCTAssertEqual(readOnly.status, .unavailable)
        XCTAssertTrue(readOnly.message.contains("read-only for now"), readOnly.message)
        let busy = failure(1040, "08004", "Too many connections")
        XCTAssertEqual(busy.status, .unavailable)
        XCTAssertTrue(busy.message.contains("no connection to spare"), busy.message)
    }

    func testOtherClasses() {
        XCTAssertEqual(failure(1045, "28000", "Access denied").status, .permission)
        XCTAssertEqual(failure(2026, "HY000", "TLS/SSL error: self-signed certificate").status, .permission)
        XCTAssertEqual(failure(1146, "42S02", "Table doesn't exist").status, .config)
        XCTAssertEqual(failure(1049, "42000", "Unknown database").status, .config)
        XCTAssertEqual(failure(1054, "42S22", "Unknown column").status, .config)
        XCTAssertEqual(failure(2013, "HY000", "Lost connection").status, .unavailable)
        XCTAssertEqual(failure(1213, "40001", "Deadlock").status, .unavailable)
    }
}
