import CMySQL

/// TLS to the server (config.md `mysql.tls`). Paths only: the files are read by the client
/// library, and nothing of their content is ever put in a message.
public struct MySQLTLS: Sendable, Equatable {
    public enum Mode: String, Sendable, CaseIterable {
        /// Never TLS.
        case disabled
        /// TLS when the server offers it, plain otherwise.
        case preferred
        /// TLS or no connection; the certificate is not checked.
        case required
        /// TLS with a server certificate signed by `ca`.
        case verifyCA = "verify_ca"
        /// As verify_ca, and the certificate names the host connected to.
        case verifyIdentity = "verify_identity"

        var shimValue: dingsync_tls_mode {
            switch self {
            case .disabled: DINGSYNC_TLS_DISABLED
            case .preferred: DINGSYNC_TLS_PREFERRED
            case .required: DINGSYNC_TLS_REQUIRED
            case .verifyCA: DINGSYNC_TLS_VERIFY_CA
            case .verifyIdentity: DINGSYNC_TLS_VERIFY_IDENTITY
            }
        }

        /// The modes in which a connection without TLS is a failure.
        public var demandsTLS: Bool { self != .disabled && self != .preferred }
    }

    public var mode: Mode
    /// PEM file paths.
    public var ca: String?
    public var cert: String?
    public var key: String?

    public init(mode: Mode = .preferred, ca: String? = nil, cert: String? = nil, key: String? = nil) {
        self.mode = mode
        self.ca = ca
        self.cert = cert
        self.key = key
    }
}

public struct MySQLOptions: Sendable {
    public var host = "127.0.0.1"
    public var port = 3306
    /// When set, the Unix socket is used and `host`/`port` are ignored.
    public var socket: String? = nil
    public var user: String
    public var password: String
    public var database: String?
    public var connectTimeoutSeconds = 10
    public var readTimeoutSeconds = 60
    public var writeTimeoutSeconds = 60
    public var tls = MySQLTLS()

    public init(host: String = "127.0.0.1", port: Int = 3306, socket: String? = nil,
                user: String, password: String, database: String? = nil,
                connectTimeoutSeconds: Int = 10, readTimeoutSeconds: Int = 60,
                writeTimeoutSeconds: Int = 60, tls: MySQLTLS = MySQLTLS()) {
        self.host = host
        self.port = port
        self.socket = socket
        self.user = user
        self.password = password
        self.database = database
        self.connectTimeoutSeconds = connectTimeoutSeconds
        self.readTimeoutSeconds = readTimeoutSeconds
        self.writeTimeoutSeconds = writeTimeoutSeconds
        self.tls = tls
    }
}

/// Owns one `MYSQL*`. Deliberately not Sendable: a connection is used by one thread at
/// a time; hand a connection (not its statements) between threads only with external
/// synchronisation.
public final class MySQLConnection {
    let handle: UnsafeMutablePointer<MYSQL>
    /// Kept only to scrub it from error messages.
    let secret: String
    /// Read once from the handshake: the family the server's error numbers belong to.
    public private(set) var serverFamily: MySQLServerFamily = .unknown

    /// Strict so that over-long or out-of-range values fail instead of being silently
    /// truncated; a fixed list (rather than appending to the server default) keeps the
    /// behaviour identical on MySQL and MariaDB and ignores odd server configs such as
    /// ANSI_QUOTES or NO_BACKSLASH_ESCAPES.
    static let sessionSQLMode =
        "STRICT_ALL_TABLES,NO_ZERO_IN_DATE,NO_ZERO_DATE,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION"

    public init(_ options: MySQLOptions) throws {
        try MySQLLibrary.prepareThread()
        guard let handle = mysql_init(nil) else {
            throw MySQLError.client("mysql_init failed (out of memory)", code: 2008, context: "connect")
        }
        do {
            try Self.configure(handle, options)
            try Self.configureTLS(handle, options.tls)
            try Self.connect(handle, options)
            try Self.checkTLS(handle, options)
            self.handle = handle
            self.secret = options.password
        } catch {
            mysql_close(handle)
            throw error
        }
        // From here on deinit closes the handle if setup fails.
        serverFamily = MySQLServerFamily(version: serverVersion)
        try execute("SET SESSION sql_mode = '\(Self.sessionSQLMode)'")
    }

    deinit {
        mysql_close(handle)
    }

    private static func configure(_ handle: UnsafeMutablePointer<MYSQL>, _ options: MySQLOptions) throws {
        func check(_ rc: Int32, _ what: String) throws {
            if rc != 0 {
                throw MySQLError.client("cannot set connection option \(what)", context: "connect")
            }
        }
        func seconds(_ value: Int) -> UInt32 { UInt32(clamping: max(1, value)) }
        try check(dingsync_mysql_options_string(handle, MYSQL_SET_CHARSET_NAME, "utf8mb4"), "charset")
        try check(dingsync_mysql_options_uint(handle, MYSQL_OPT_CONNECT_TIMEOUT,
                                              seconds(options.connectTimeoutSeconds)), "connect timeout")
        try check(dingsync_mysql_options_uint(handle, MYSQL_OPT_READ_TIMEOUT,
                                              seconds(options.readTimeoutSeconds)), "read timeout")
        try check(dingsync_mysql_options_uint(handle, MYSQL_OPT_WRITE_TIMEOUT,
                                              seconds(options.writeTimeoutSeconds)), "write timeout")
        // MYSQL_OPT_RECONNECT is not set: auto-reconnect (which would drop session state and
        // open transactions behind our back) is off by default in both client libraries, and
        // Oracle's 8.0.34+ warns on every use of the option.
        // Takes `unsigned int *`.
        try check(dingsync_mysql_options_uint(handle, MYSQL_OPT_LOCAL_INFILE, 0), "local infile")
        // Explicit protocol: otherwise host "localhost" silently means the default socket.
        let protocolType = options.socket == nil ? MYSQL_PROTOCOL_TCP : MYSQL_PROTOCOL_SOCKET
        try check(dingsync_mysql_options_uint(handle, MYSQL_OPT_PROTOCOL, protocolType.rawValue), "protocol")
    }

    private static func configureTLS(_ handle: UnsafeMutablePointer<MYSQL>, _ tls: MySQLTLS) throws {
        func check(_ rc: Int32, _ what: String) throws {
            if rc != 0 {
                throw MySQLError.client("the client library refused the TLS option \(what)", code: 0, context: "connect")
            }
        }
        try check(dingsync_mysql_set_tls_mode(handle, tls.mode.shimValue), "mode \(tls.mode.rawValue)")
        // With TLS disabled the files are not handed over: Connector/C would turn TLS on for them.
        guard tls.mode != .disabled else { return }
        if let ca = tls.ca { try check(dingsync_mysql_set_tls_ca(handle, ca), "ca") }
        if let cert = tls.cert { try check(dingsync_mysql_set_tls_cert(handle, cert), "cert") }
        if let key = tls.key { try check(dingsync_mysql_set_tls_key(handle, key), "key") }
    }

    /// Oracle's library refuses a plain connection itself in the demanding modes; MariaDB
    /// Connector/C 3.x does so only with host verification (see shim.h), so the session is
    /// checked here as well, for both: a required mode never ends up on a plain connection.
    private static func checkTLS(_ handle: UnsafeMutablePointer<MYSQL>, _ options: MySQLOptions) throws {
        guard options.tls.mode.demandsTLS, options.socket == nil else { return }
        if dingsync_mysql_tls_cipher(handle) == nil {
            throw MySQLError.client("the server did not use TLS although the TLS mode is \(options.tls.mode.rawValue)",
                                    code: UInt32(clamping: MySQLErrorKind.code("CR_SSL_CONNECTION_ERROR") ?? 0),
                                    context: "connect")
        }
    }

    private static func connect(_ handle: UnsafeMutablePointer<MYSQL>, _ options: MySQLOptions) throws {
        guard (0...65535).contains(options.port) else {
            throw MySQLError.client("invalid port \(options.port)", context: "connect")
        }
        let host: String? = options.socket == nil ? options.host : "localhost"
        let ok = mysql_real_connect(handle, host, options.user, options.password, options.database,
                                    UInt32(options.port), options.socket, 0)
        if ok == nil {
            throw MySQLError.from(connection: handle, context: "connect", redacting: options.password)
        }
    }

    func error(_ context: String) -> MySQLError {
        MySQLError.from(connection: handle, context: context, redacting: secret, server: serverFamily)
    }

    /// Runs one statement over the text protocol and discards any result set.
    public func execute(_ sql: String) throws {
        try runText(sql, context: "execute")
        if let result = mysql_store_result(handle) {
            mysql_free_result(result)
        } else if mysql_field_count(handle) != 0 {
            throw error("execute")
        }
    }

    /// Runs one statement over the text protocol and returns its rows as text (NULL → nil).
    public func query(_ sql: String) throws -> [[String?]] {
        try runText(sql, context: "query")
        guard let result = mysql_store_result(handle) else {
            if mysql_field_count(handle) == 0 { return [] }
            throw error("query")
        }
        defer { mysql_free_result(result) }
        let columns = Int(mysql_num_fields(result))
        var rows: [[String?]] = []
        rows.reserveCapacity(Int(mysql_num_rows(result)))
        while let row = mysql_fetch_row(result) {
            guard let lengths = mysql_fetch_lengths(result) else { throw error("fetch") }
            var values: [String?] = []
            values.reserveCapacity(columns)
            for column in 0..<columns {
                if let cell = row[column] {
                    let bytes = UnsafeRawBufferPointer(start: cell, count: Int(lengths[column]))
                    values.append(String(decoding: bytes, as: UTF8.self))
                } else {
                    values.append(nil)
                }
            }
            rows.append(values)
        }
        return rows
    }

    private func runText(_ sql: String, context: String) throws {
        try MySQLLibrary.prepareThread()
        // A NUL-terminated copy always has a valid base address, even for "".
        let rc = sql.utf8CString.withUnsafeBufferPointer { chars in
            mysql_real_query(handle, chars.baseAddress!, UInt(chars.count - 1))
        }
        if rc != 0 { throw error(context) }
    }

    public func prepare(_ sql: String) throws -> MySQLStatement {
        try MySQLStatement(connection: self, sql: sql)
    }

    public func begin() throws { try execute("START TRANSACTION") }
    public func commit() throws { try execute("COMMIT") }
    public func rollback() throws { try execute("ROLLBACK") }

    /// Round-trips to the server; never reconnects (MYSQL_OPT_RECONNECT is off by default).
    public var isAlive: Bool {
        guard (try? MySQLLibrary.prepareThread()) != nil else { return false }
        return mysql_ping(handle) == 0
    }

    /// The TLS cipher of this session, or nil for a plain (or Unix socket) connection.
    public var tlsCipher: String? {
        dingsync_mysql_tls_cipher(handle).map { String(cString: $0) }.flatMap { $0.isEmpty ? nil : $0 }
    }

    public var serverVersion: String {
        mysql_get_server_info(handle).map { String(cString: $0) } ?? ""
    }

    /// The server's id for this session (what `KILL <id>` takes).
    public var connectionID: UInt64 {
        UInt64(mysql_thread_id(handle))
    }

    /// Rows changed by the last `execute(_:)` over the text protocol.
    public var affectedRows: UInt64 {
        let value = mysql_affected_rows(handle)
        return value == UInt64.max ? 0 : UInt64(value)
    }
}

// Explicitly not Sendable: the C handle must not be used from two threads at once.
@available(*, unavailable)
extension MySQLConnection: Sendable {}
