import CMySQL

/// Every failure of the MySQL layer, server- or client-side.
///
/// Built only through the funnels below, which also redact the connection password
/// from the message so that no error text (and therefore no log line) can leak it.
public struct MySQLError: Error, Sendable, CustomStringConvertible {
    /// Server error number (1xxx/4xxx), client error number (2xxx/5xxx), or 0 for
    /// errors raised by this wrapper itself (argument validation).
    public var code: UInt32
    public var sqlState: String
    public var message: String
    /// What we were doing: "connect", "prepare", "execute", "fetch", ...
    public var context: String

    public init(code: UInt32, sqlState: String, message: String, context: String) {
        self.code = code
        self.sqlState = sqlState
        self.message = message
        self.context = context
    }

    public var description: String {
        "MySQL error \(code) (\(sqlState)) during \(context): \(message)"
    }

    /// The connection is unusable; the caller must open a new one (we never auto-reconnect).
    public var isConnectionLost: Bool {
        switch code {
        case 2002, 2003, 2006, 2013, 2055,      // client: cannot connect / gone / lost
             5013, 5014,                        // Connector/C net read / write failures
             1053,                              // server shutdown in progress
             1152, 1184,                        // aborted connection
             1927,                              // ER_CONNECTION_KILLED (MariaDB)
             4031:                              // idle client disconnected (MariaDB)
            return true
        default:
            return sqlState == "08S01" || sqlState.hasPrefix("08")
        }
    }

    /// The transaction was rolled back by the server and may be retried as a whole.
    public var isRetryableTransaction: Bool {
        code == 1213 || code == 1205 || sqlState == "40001"
    }

    public var isAccessDenied: Bool {
        switch code {
        case 1044, 1045, 1142, 1143, 1227, 1370, 1698, 1410, 1131, 1132:
            return true
        default:
            return sqlState == "28000"
        }
    }

    /// The row's data was rejected (strict mode): too long, out of range, bad value, NULL into NOT NULL.
    public var isDataError: Bool {
        switch code {
        case 1048, 1264, 1265, 1292, 1366, 1367, 1406, 1411, 1690, 4025, 4038, 3140:
            return true
        default:
            return sqlState.hasPrefix("22")
        }
    }

    public var isUnknownTable: Bool { code == 1146 }
    public var isUnknownColumn: Bool { code == 1054 }
    public var isUnknownDatabase: Bool { code == 1049 }
    public var isDuplicateKey: Bool { code == 1062 }
}

extension MySQLError {
    /// The single funnel for errors reported on a connection handle.
    static func from(connection handle: UnsafeMutablePointer<MYSQL>, context: String,
                     redacting secret: String?) -> MySQLError {
        make(code: mysql_errno(handle), sqlState: mysql_sqlstate(handle),
             message: mysql_error(handle), context: context, redacting: secret)
    }

    /// The single funnel for errors reported on a statement handle.
    static func from(statement handle: UnsafeMutablePointer<MYSQL_STMT>, context: String,
                     redacting secret: String?) -> MySQLError {
        make(code: mysql_stmt_errno(handle), sqlState: mysql_stmt_sqlstate(handle),
             message: mysql_stmt_error(handle), context: context, redacting: secret)
    }

    /// Errors raised by this wrapper (bad arguments), never carrying server text.
    static func client(_ message: String, code: UInt32 = 0, sqlState: String = "HY000",
                       context: String) -> MySQLError {
        MySQLError(code: code, sqlState: sqlState, message: message, context: context)
    }

    private static func make(code: UInt32, sqlState: UnsafePointer<CChar>?, message: UnsafePointer<CChar>?,
                             context: String, redacting secret: String?) -> MySQLError {
        var text = message.map { String(cString: $0) } ?? ""
        if text.isEmpty { text = "unknown error" }
        if let secret, !secret.isEmpty {
            text = text.replacing(secret, with: "***")
        }
        let state = sqlState.map { String(cString: $0) } ?? "HY000"
        return MySQLError(code: code, sqlState: state.isEmpty ? "HY000" : state,
                          message: text, context: context)
    }
}
