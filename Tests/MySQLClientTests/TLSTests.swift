import Foundation
import MySQLClient
import XCTest

/// A second MariaDB that demands TLS (scripts/tls-test-server.sh): a throwaway CA and a server
/// certificate made with openssl at test time, an unrelated CA, --require-secure-transport=ON.
/// Started once for this class and stopped after it.
struct TLSServer {
    let dir: URL
    let port: Int
    let socket: String
    let user: String
    let password: String
    let ca: String
    let otherCA: String

    static let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    struct Failed: Error, CustomStringConvertible { let description: String }

    static func start() throws -> TLSServer {
        let main = try TestServer.fromEnvironment()
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("dingsync-tls-\(UUID().uuidString.prefix(8))")
        let (code, out, err) = try script(["start", dir.path], port: main.port + 100)
        guard code == 0 else { throw Failed(description: "tls-test-server.sh start failed (\(code)): \(err)") }
        var values: [String: String] = [:]
        for line in out.split(separator: "\n") where line.hasPrefix("export ") {
            let assignment = line.dropFirst("export ".count)
            guard let eq = assignment.firstIndex(of: "=") else { continue }
            values[String(assignment[..<eq])] = String(assignment[assignment.index(after: eq)...])
        }
        func value(_ name: String) throws -> String {
            guard let v = values[name], !v.isEmpty else { throw Failed(description: "\(name) missing in: \(out)") }
            return v
        }
        return TLSServer(dir: dir, port: Int(try value("DINGSYNC_TEST_MYSQL_PORT")) ?? 0,
                         socket: try value("DINGSYNC_TEST_MYSQL_SOCKET"), user: try value("DINGSYNC_TEST_MYSQL_USER"),
                         password: try value("DINGSYNC_TEST_MYSQL_PASSWORD"), ca: try value("DINGSYNC_TEST_TLS_CA"),
                         otherCA: try value("DINGSYNC_TEST_TLS_OTHER_CA"))
    }

    func stop() {
        _ = try? Self.script(["stop", dir.path], port: port)
        try? FileManager.default.removeItem(at: dir)
    }

    static func script(_ args: [String], port: Int) throws -> (Int32, String, String) {
        let process = Process()
        process.executableURL = repoRoot.appendingPathComponent("scripts/tls-test-server.sh")
        process.arguments = args
        var env = ProcessInfo.processInfo.environment
        env["DINGSYNC_TLS_MARIADB_PORT"] = "\(port)"
        process.environment = env
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
    }

    func options(_ tls: MySQLTLS) -> MySQLOptions {
        MySQLOptions(host: "127.0.0.1", port: port, user: user, password: password, connectTimeoutSeconds: 5,
                     readTimeoutSeconds: 10, writeTimeoutSeconds: 10, tls: tls)
    }
}

final class TLSTests: XCTestCase {
    nonisolated(unsafe) static var server: Result<TLSServer, Error>?

    override class func setUp() {
        super.setUp()
        server = Result { try TLSServer.start() }
    }

    override class func tearDown() {
        if case .success(let s)? = server { s.stop() }
        server = nil
        super.tearDown()
    }

    private func tlsServer() throws -> TLSServer { try XCTUnwrap(Self.server).get() }

    private func sessionCipher(_ c: MySQLConnection) throws -> String? {
        let rows = try c.query("SHOW SESSION STATUS LIKE 'Ssl_cipher'")
        XCTAssertEqual(rows.count, 1)
        return rows.first?[1]
    }

    func testRequiredConnectsEncrypted() throws {
        let s = try tlsServer()
        let c = try MySQLConnection(s.options(MySQLTLS(mode: .required)))
        let cipher = try XCTUnwrap(try sessionCipher(c))
        XCTAssertFalse(cipher.isEmpty)
        XCTAssertEqual(c.tlsCipher, cipher)
    }

    func testPreferredUsesTLSWhenOfferedAndPlainWhenNot() throws {
        let s = try tlsServer()
        let c = try MySQLConnection(s.options(MySQLTLS(mode: .preferred)))
        XCTAssertFalse(try sessionCipher(c)?.isEmpty ?? true)
        // The suite's own server offers no TLS: preferred still connects, unencrypted.
        let plain = try TestServer.fromEnvironment()
        let p = try MySQLConnection(plain.tcpOptions())
        XCTAssertNil(p.tlsCipher)
        XCTAssertEqual(try sessionCipher(p), "")
    }

    func testVerifyCAAndVerifyIdentityWithTheRightCA() throws {
        let s = try tlsServer()
        for mode in [MySQLTLS.Mode.verifyCA, .verifyIdentity] {
            let c = try MySQLConnection(s.options(MySQLTLS(mode: mode, ca: s.ca)))
            XCTAssertFalse(try sessionCipher(c)?.isEmpty ?? true, "\(mode)")
        }
    }

    func testAnUnrelatedCAIsRefusedQuickly() throws {
        let s = try tlsServer()
        for mode in [MySQLTLS.Mode.verifyCA, .verifyIdentity] {
            let started = Date()
            XCTAssertThrowsError(try MySQLConnection(s.options(MySQLTLS(mode: mode, ca: s.otherCA)))) { error in
                let e = error as? MySQLError
                XCTAssertEqual(e?.kind, .tls, "\(mode): \(error)")
                XCTAssertFalse("\(error)".contains("BEGIN"), "certificate text in \(error)")
            }
            XCTAssertLessThan(Date().timeIntervalSince(started), 5, "\(mode) must fail, not hang")
        }
    }

    func testDisabledIsRefusedByAServerThatRequiresTLS() throws {
        let s = try tlsServer()
        XCTAssertThrowsError(try MySQLConnection(s.options(MySQLTLS(mode: .disabled, ca: s.ca)))) { error in
            // MariaDB 10.x answers 1045 (access denied); 11.x ER_SECURE_TRANSPORT_REQUIRED: both are a refusal.
            XCTAssertEqual((error as? MySQLError)?.kind, .accessDenied, "\(error)")
        }
    }

    func testRequiredAgainstAServerWithoutTLSFails() throws {
        let plain = try TestServer.fromEnvironment()
        var options = plain.tcpOptions()
        options.tls = MySQLTLS(mode: .required)
        XCTAssertThrowsError(try MySQLConnection(options)) { error in
            XCTAssertEqual((error as? MySQLError)?.kind, .tls, "\(error)")
        }
        let s = try tlsServer()
        options.tls = MySQLTLS(mode: .verifyCA, ca: s.ca)
        XCTAssertThrowsError(try MySQLConnection(options)) { error in
            XCTAssertEqual((error as? MySQLError)?.kind, .tls, "\(error)")
        }
    }
}
