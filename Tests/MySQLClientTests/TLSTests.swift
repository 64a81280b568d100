import Foundation
import MySQLClient
import TLSTestServer
import XCTest

extension TLSTestServer {
    func options(_ tls: MySQLTLS) -> MySQLOptions {
        MySQLOptions(host: "127.0.0.1", port: port, user: user, password: password, connectTimeoutSeconds: 5,
                     readTimeoutSeconds: 10, writeTimeoutSeconds: 10, tls: tls)
    }
}

final class TLSTests: XCTestCase {
    private func tlsServer() throws -> TLSTestServer { try TLSTestServer.shared() }

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
