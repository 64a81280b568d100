import DingSyncMapping
import MySQLClient

/// Opens the job's MySQL connection and turns MySQL failures into the tool's exit codes.
public enum Database {
    public static func connect(_ s: MySQLSettings) throws(DingSyncError) -> MySQLConnection {
        do {
            return try MySQLConnection(DatabaseSession.options(s))
        } catch {
            throw failure(error, doing: connecting(s))
        }
    }

    /// "connecting to MySQL host:port", with the TLS mode and files when TLS is involved, so
    /// that a certificate failure names the file to look at (paths only, never contents).
    static func connecting(_ s: MySQLSettings) -> String {
        var text = "connecting to MySQL \(s.socket ?? "\(s.host):\(s.port)")"
        if s.socket == nil && s.tls != MySQLTLS() {
            var parts = ["mysql.tls.mode \(s.tls.mode.rawValue)"]
            if let ca = s.tls.ca { parts.append("ca \(ca)") }
            if let cert = s.tls.cert { parts.append("cert \(cert)") }
            text += " (" + parts.joined(separator: ", ") + ")"
        }
        return text
    }

    /// The one funnel from a MySQL error to a tool error.
    public static func failure(_ error: Error, doing what: String) -> DingSyncError {
        guard let e = error as? MySQLError else {
            return (error as? DingSyncError) ?? DingSyncError(.bug, "\(what): \(error)")
        }
        let text = "\(what): MySQL error \(e.code): \(e.message)"
        switch e.kind {
        case .accessDenied:
            return DingSyncError(.permission, text + "; check mysql.user, the password (MYSQL_PASSWORD) and the grants"
                + " (a server that requires TLS refuses plain connections this way too: see mysql.tls.mode)")
        case .tls:
            // Not a passing fault: the certificate, the CA or the server's TLS set-up must change.
            return DingSyncError(.permission, text + "; the TLS connection could not be set up as mysql.tls asks"
                + " (check that the CA file signed the server's certificate, and the mode)")
        case .unknownDatabase, .unknownTable, .unknownColumn:
            return DingSyncError(.config, text)
        case .readOnly:
            return DingSyncError(.unavailable, text + "; the server is read-only for now (a replica, a failover in"
                + " progress or a maintenance lock): nothing was lost, re-run when it accepts writes")
        case .tooManyConnections:
            return DingSyncError(.unavailable, text + "; the server has no connection to spare (max_connections or"
                + " the account's limit): nothing was lost, re-run later")
        case .connectionLost, .lockWaitTimeout, .deadlock, .data, .duplicateKey, .other:
            return DingSyncError(.unavailable, text)
        }
    }

    static func value(_ v: MappedValue) -> MySQLValue {
        switch v {
        case .null: return .null
        case .int(let i): return .int(i)
        case .decimal(let s), .string(let s), .json(let s): return .text(s)
        case .datetime(let t):
            return .datetime(year: t.year, month: t.month, day: t.day, hour: t.hour, minute: t.minute, second: t.second)
        case .date(let t): return .date(year: t.year, month: t.month, day: t.day)
        }
    }
}
