import Foundation

/// The TLS-only MariaDB of scripts/tls-test-server.sh (a throwaway CA and server certificate
/// made with openssl at test time, an unrelated CA, --require-secure-transport=ON), started
/// beside the suite's own server (its port + 100). Shared by the MySQLClient and DingSync tests.
public struct TLSTestServer: Sendable {
    public let dir: URL
    public let port: Int
    public let socket: String
    public let user: String
    public let password: String
    public let ca: String
    public let otherCA: String

    public struct Failed: Error, CustomStringConvertible { public let description: String }

    static func start() throws -> TLSTestServer {
        let env = ProcessInfo.processInfo.environment
        guard let mainPort = env["DINGSYNC_TEST_MYSQL_PORT"].flatMap(Int.init) else {
            throw Failed(description: "DINGSYNC_TEST_MYSQL_PORT is not set: run the suite with `make test`")
        }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("dingsync-tls-\(UUID().uuidString.prefix(8))")
        let (code, out, err) = try script(["start", dir.path], port: mainPort + 100)
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
        return TLSTestServer(dir: dir, port: Int(try value("DINGSYNC_TEST_MYSQL_PORT")) ?? 0,
                             socket: try value("DINGSYNC_TEST_MYSQL_SOCKET"), user: try value("DINGSYNC_TEST_MYSQL_USER"),
                             password: try value("DINGSYNC_TEST_MYSQL_PASSWORD"), ca: try value("DINGSYNC_TEST_TLS_CA"),
                             otherCA: try value("DINGSYNC_TEST_TLS_OTHER_CA"))
    }

    /// The suite's one TLS server: started on first use, stopped when the test process exits.
    /// Both test targets run in one process, so they share it instead of starting one each.
    public static func shared() throws -> TLSTestServer { try sharedServer.get() }

    private static let sharedServer: Result<TLSTestServer, Error> = {
        let started = Result { try start() }
        if case .success = started {
            atexit { if case .success(let s) = TLSTestServer.sharedServer { s.stop() } }
        }
        return started
    }()

    public func stop() {
        _ = try? Self.script(["stop", dir.path], port: port)
        try? FileManager.default.removeItem(at: dir)
    }

    static let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    private static func script(_ args: [String], port: Int) throws -> (Int32, String, String) {
        var env = ProcessInfo.processInfo.environment
        env["DINGSYNC_TLS_MARIADB_PORT"] = "\(port)"
        let r = try runCommand(repoRoot.appendingPathComponent("scripts/tls-test-server.sh"), args, environment: env)
        return (r.status, r.out, r.err)
    }
}
