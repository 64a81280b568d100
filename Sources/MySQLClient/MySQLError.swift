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
    /// Who sent a server error (its number belongs to that server's family).
    public var server: MySQLServerFamily

    public init(code: UInt32, sqlState: String, message: String, context: String, server: MySQLServerFamily = .unknown) {
        self.code = code
        self.sqlState = sqlState
        self.message = message
        self.context = context
        self.server = server
    }

    public var description: String {
        "MySQL error \(code) (\(sqlState)) during \(context): \(message)"
    }

    /// What kind of failure this is; the properties below all derive from it.
    public var kind: MySQLErrorKind { MySQLErrorKind.classify(code: code, sqlState: sqlState, server: server) }

    /// The connection is unusable; the caller must open a new one (we never auto-reconnect).
    public var isConnectionLost: Bool { kind == .connectionLost }

    /// The transaction was rolled back by the server and may be retried as a whole.
    public var isRetryableTransaction: Bool { kind == .deadlock || kind == .lockWaitTimeout }

    public var isAccessDenied: Bool { kind == .accessDenied }

    /// The row's data was rejected (strict mode): too long, out of range, bad value, NULL into NOT NULL.
    public var isDataError: Bool { kind == .data }

    /// The server refuses writes for now (read_only after a failover, innodb_read_only, a
    /// global read lock, offline_mode); writes work again once it, or the new primary, takes them.
    public var isReadOnly: Bool { kind == .readOnly }

    /// max_connections, max_user_connections or an hourly account limit: try again later.
    public var isTooManyConnections: Bool { kind == .tooManyConnections }

    /// Worth another try after a pause (with a new connection): the line dropped, the server
    /// is read-only for now, or it has no connection to spare.
    public var isTemporary: Bool { isConnectionLost || isReadOnly || isTooManyConnections }

    /// The TLS handshake failed, or the server would not speak TLS where the mode demands it.
    public var isTLSFailure: Bool { kind == .tls }

    public var isUnknownTable: Bool { kind == .unknownTable }
    public var isUnknownColumn: Bool { kind == .unknownColumn }
    public var isUnknownDatabase: Bool { kind == .unknownDatabase }
    public var isDuplicateKey: Bool { kind == .duplicateKey }
}

/// The classes of MySQL failure that callers act on differently.
///
/// Numbers come from the installed client headers' symbolic names through the CMySQL shim
/// (`dingsync_error_code`), never from memory: the same number can mean different things in
/// Oracle's and MariaDB's headers (4031), and some names exist in one family only. A name the
/// headers lack maps to -1 and so to nothing. SQLSTATE classes cover what the names do not.
public enum MySQLErrorKind: String, Sendable, CaseIterable {
    case connectionLost = "connection lost"
    case tls = "TLS failure"
    case accessDenied = "access denied"
    case unknownDatabase = "unknown database"
    case unknownTable = "unknown table"
    case unknownColumn = "unknown column"
    case duplicateKey = "duplicate key"
    case lockWaitTimeout = "lock wait timeout"
    case deadlock = "deadlock"
    case readOnly = "read-only server"
    case tooManyConnections = "too many connections"
    case data = "data rejected"
    case other = "other"

    /// The header names that make up each class (order matters only for `other`, which has none).
    static let symbols: [MySQLErrorKind: [dingsync_error_symbol]] = [
        .connectionLost: [DINGSYNC_CR_CONNECTION_ERROR, DINGSYNC_CR_CONN_HOST_ERROR, DINGSYNC_CR_UNKNOWN_HOST,
                          DINGSYNC_CR_SERVER_GONE_ERROR, DINGSYNC_CR_SERVER_LOST, DINGSYNC_CR_SERVER_LOST_EXTENDED,
                          DINGSYNC_CR_ERR_NET_READ, DINGSYNC_CR_ERR_NET_WRITE,
                          DINGSYNC_ER_SERVER_SHUTDOWN, DINGSYNC_ER_ABORTING_CONNECTION, DINGSYNC_ER_NEW_ABORTING_CONNECTION,
                          DINGSYNC_ER_NET_READ_ERROR, DINGSYNC_ER_NET_READ_INTERRUPTED, DINGSYNC_ER_NET_ERROR_ON_WRITE,
                          DINGSYNC_ER_NET_WRITE_INTERRUPTED, DINGSYNC_ER_CONNECTION_KILLED,
                          DINGSYNC_ER_CLIENT_INTERACTION_TIMEOUT],
        .tls: [DINGSYNC_CR_SSL_CONNECTION_ERROR],
        .accessDenied: [DINGSYNC_ER_DBACCESS_DENIED_ERROR, DINGSYNC_ER_ACCESS_DENIED_ERROR, DINGSYNC_ER_PASSWORD_ANONYMOUS_USER,
                        DINGSYNC_ER_PASSWORD_NOT_ALLOWED, DINGSYNC_ER_TABLEACCESS_DENIED_ERROR,
                        DINGSYNC_ER_COLUMNACCESS_DENIED_ERROR, DINGSYNC_ER_SPECIFIC_ACCESS_DENIED_ERROR,
                        DINGSYNC_ER_PROCACCESS_DENIED_ERROR, DINGSYNC_ER_ACCESS_DENIED_NO_PASSWORD_ERROR,
                        DINGSYNC_ER_MUST_CHANGE_PASSWORD_LOGIN, DINGSYNC_ER_ACCOUNT_HAS_BEEN_LOCKED,
                        DINGSYNC_ER_SECURE_TRANSPORT_REQUIRED],
        .unknownDatabase: [DINGSYNC_ER_BAD_DB_ERROR],
        .unknownTable: [DINGSYNC_ER_NO_SUCH_TABLE],
        .unknownColumn: [DINGSYNC_ER_BAD_FIELD_ERROR],
        .duplicateKey: [DINGSYNC_ER_DUP_ENTRY],
        .lockWaitTimeout: [DINGSYNC_ER_LOCK_WAIT_TIMEOUT],
        .deadlock: [DINGSYNC_ER_LOCK_DEADLOCK],
        .readOnly: [DINGSYNC_ER_OPTION_PREVENTS_STATEMENT, DINGSYNC_ER_CANT_EXECUTE_IN_READ_ONLY_TRANSACTION,
                    DINGSYNC_ER_READ_ONLY_MODE, DINGSYNC_ER_INNODB_READ_ONLY, DINGSYNC_ER_CANT_UPDATE_WITH_READLOCK,
                    DINGSYNC_ER_SERVER_OFFLINE_MODE],
        .tooManyConnections: [DINGSYNC_ER_CON_COUNT_ERROR, DINGSYNC_ER_TOO_MANY_USER_CONNECTIONS,
                              DINGSYNC_ER_USER_LIMIT_REACHED],
        .data: [DINGSYNC_ER_BAD_NULL_ERROR, DINGSYNC_ER_WARN_NULL_TO_NOTNULL, DINGSYNC_ER_WARN_DATA_OUT_OF_RANGE,
                DINGSYNC_WARN_DATA_TRUNCATED, DINGSYNC_ER_TRUNCATED_WRONG_VALUE, DINGSYNC_ER_INVALID_CHARACTER_STRING,
                DINGSYNC_ER_DIVISION_BY_ZERO, DINGSYNC_ER_TRUNCATED_WRONG_VALUE_FOR_FIELD,
                DINGSYNC_ER_ILLEGAL_VALUE_FOR_TYPE, DINGSYNC_ER_DATA_TOO_LONG, DINGSYNC_ER_WRONG_VALUE_FOR_TYPE,
                DINGSYNC_ER_DATA_OUT_OF_RANGE, DINGSYNC_ER_CONSTRAINT_FAILED, DINGSYNC_ER_JSON_SYNTAX,
                DINGSYNC_ER_INVALID_JSON_TEXT, DINGSYNC_ER_CHECK_CONSTRAINT_VIOLATED],
    ]

    /// Error number → class, as the installed headers define the numbers.
    static let byCode: [UInt32: MySQLErrorKind] = {
        var table: [UInt32: MySQLErrorKind] = [:]
        for (kind, names) in symbols {
            for name in names {
                let code = dingsync_error_code(name)
                guard code > 0 else { continue }   // not in these headers
                precondition(table[UInt32(code)] == nil, "error \(code) in two classes")
                table[UInt32(code)] = kind
            }
        }
        return table
    }()

    /// The number as the installed headers define `name`, or nil when they lack it.
    public static func code(_ name: String) -> UInt32? {
        guard let symbol = symbolsByName[name] else { return nil }
        let code = dingsync_error_code(symbol)
        return code > 0 ? UInt32(code) : nil
    }

    private static let symbolsByName: [String: dingsync_error_symbol] = {
        var names: [String: dingsync_error_symbol] = [:]
        for raw in 0..<DINGSYNC_ERROR_SYMBOL_COUNT.rawValue {
            let symbol = dingsync_error_symbol(rawValue: raw)
            names[symbolName(symbol)] = symbol
        }
        return names
    }()

    private static func symbolName(_ symbol: dingsync_error_symbol) -> String {
        // "dingsync_error_symbol(rawValue: …)" is all Swift knows; the names are spelled here once.
        allSymbolNames[Int(symbol.rawValue)]
    }

    /// In the order of `enum dingsync_error_symbol` in shim.h (checked by ErrorClassTests).
    public static let allSymbolNames = [
        "CR_CONNECTION_ERROR", "CR_CONN_HOST_ERROR", "CR_UNKNOWN_HOST", "CR_SERVER_GONE_ERROR", "CR_SERVER_LOST",
        "CR_SERVER_LOST_EXTENDED", "CR_SSL_CONNECTION_ERROR", "CR_ERR_NET_READ", "CR_ERR_NET_WRITE",
        "ER_SERVER_SHUTDOWN", "ER_ABORTING_CONNECTION", "ER_NEW_ABORTING_CONNECTION", "ER_NET_READ_ERROR",
        "ER_NET_READ_INTERRUPTED", "ER_NET_ERROR_ON_WRITE", "ER_NET_WRITE_INTERRUPTED", "ER_CONNECTION_KILLED",
        "ER_CLIENT_INTERACTION_TIMEOUT",
        "ER_DBACCESS_DENIED_ERROR", "ER_ACCESS_DENIED_ERROR", "ER_PASSWORD_ANONYMOUS_USER", "ER_PASSWORD_NOT_ALLOWED",
        "ER_TABLEACCESS_DENIED_ERROR", "ER_COLUMNACCESS_DENIED_ERROR", "ER_SPECIFIC_ACCESS_DENIED_ERROR",
        "ER_PROCACCESS_DENIED_ERROR", "ER_ACCESS_DENIED_NO_PASSWORD_ERROR", "ER_MUST_CHANGE_PASSWORD_LOGIN",
        "ER_ACCOUNT_HAS_BEEN_LOCKED", "ER_SECURE_TRANSPORT_REQUIRED",
        "ER_BAD_DB_ERROR", "ER_NO_SUCH_TABLE", "ER_BAD_FIELD_ERROR", "ER_DUP_ENTRY",
        "ER_LOCK_WAIT_TIMEOUT", "ER_LOCK_DEADLOCK",
        "ER_OPTION_PREVENTS_STATEMENT", "ER_CANT_EXECUTE_IN_READ_ONLY_TRANSACTION", "ER_READ_ONLY_MODE",
        "ER_INNODB_READ_ONLY", "ER_CANT_UPDATE_WITH_READLOCK", "ER_SERVER_OFFLINE_MODE",
        "ER_CON_COUNT_ERROR", "ER_TOO_MANY_USER_CONNECTIONS", "ER_USER_LIMIT_REACHED",
        "ER_BAD_NULL_ERROR", "ER_WARN_NULL_TO_NOTNULL", "ER_WARN_DATA_OUT_OF_RANGE", "WARN_DATA_TRUNCATED",
        "ER_TRUNCATED_WRONG_VALUE", "ER_INVALID_CHARACTER_STRING", "ER_DIVISION_BY_ZERO",
        "ER_TRUNCATED_WRONG_VALUE_FOR_FIELD", "ER_ILLEGAL_VALUE_FOR_TYPE", "ER_DATA_TOO_LONG",
        "ER_WRONG_VALUE_FOR_TYPE", "ER_DATA_OUT_OF_RANGE", "ER_CONSTRAINT_FAILED", "ER_JSON_SYNTAX",
        "ER_INVALID_JSON_TEXT", "ER_CHECK_CONSTRAINT_VIOLATED",
    ]

    /// Oracle's ER_CLIENT_INTERACTION_TIMEOUT (MySQL 8.0.24 on): an Oracle server sends it
    /// before closing a session idle past `wait_timeout`. The one number not taken from the
    /// installed headers, because it matters exactly when they cannot name it: a MariaDB
    /// Connector/C client (whose headers give 4031 to a trigger DDL error) talking to an Oracle
    /// server. Read only from a server that is not MariaDB.
    static let oracleClientInteractionTimeout: UInt32 = 4031

    public static func classify(code: UInt32, sqlState: String, server: MySQLServerFamily = .unknown) -> MySQLErrorKind {
        if server == .oracle, code == oracleClientInteractionTimeout { return .connectionLost }
        if let kind = byCode[code] { return kind }
        // SQLSTATE classes for what no name covers: 08 connection exception, 40001
        // serialization failure, 28 invalid authorization, 22 data exception.
        // 08004: the server refused to set up the connection (MariaDB 11's
        // ER_SECURE_TRANSPORT_REQUIRED where older headers lack the name): not a dropped line.
        if sqlState == "08004" { return .accessDenied }
        if sqlState.hasPrefix("08") { return .connectionLost }
        if sqlState == "40001" { return .deadlock }
        if sqlState.hasPrefix("28") { return .accessDenied }
        if sqlState.hasPrefix("22") { return .data }
        return .other
    }
}

extension MySQLError {
    /// The single funnel for errors reported on a connection handle.
    static func from(connection handle: UnsafeMutablePointer<MYSQL>, context: String,
                     redacting secret: String?, server: MySQLServerFamily = .unknown) -> MySQLError {
        make(code: mysql_errno(handle), sqlState: mysql_sqlstate(handle),
             message: mysql_error(handle), context: context, redacting: secret, server: server)
    }

    /// The single funnel for errors reported on a statement handle.
    static func from(statement handle: UnsafeMutablePointer<MYSQL_STMT>, context: String,
                     redacting secret: String?, server: MySQLServerFamily) -> MySQLError {
        make(code: mysql_stmt_errno(handle), sqlState: mysql_stmt_sqlstate(handle),
             message: mysql_stmt_error(handle), context: context, redacting: secret, server: server)
    }

    /// Errors raised by this wrapper (bad arguments), never carrying server text.
    static func client(_ message: String, code: UInt32 = 0, sqlState: String = "HY000",
                       context: String) -> MySQLError {
        MySQLError(code: code, sqlState: sqlState, message: message, context: context)
    }

    private static func make(code: UInt32, sqlState: UnsafePointer<CChar>?, message: UnsafePointer<CChar>?,
                             context: String, redacting secret: String?, server: MySQLServerFamily) -> MySQLError {
        var text = message.map { String(cString: $0) } ?? ""
        if text.isEmpty { text = "unknown error" }
        if let secret, !secret.isEmpty {
            text = text.replacing(secret, with: "***")
        }
        let state = sqlState.map { String(cString: $0) } ?? "HY000"
        return MySQLError(code: code, sqlState: state.isEmpty ? "HY000" : state,
                          message: text, context: context, server: server)
    }
}

/// Whose server a connection talks to: server error numbers above the shared range differ
/// between the two families.
public enum MySQLServerFamily: String, Sendable {
    case mariadb, oracle, unknown

    /// From the handshake's version string: MariaDB says so ("10.11.6-MariaDB-0+deb12u1", or
    /// "5.5.5-10.11.6-MariaDB" to old clients); Oracle's is bare ("8.0.36", "8.4.3-commercial").
    public init(version: String) {
        if version.isEmpty { self = .unknown } else if version.lowercased().contains("mariadb") { self = .mariadb } else { self = .oracle }
    }
}
