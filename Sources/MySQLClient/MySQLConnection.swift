import CMySQL

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

    public init(host: String = "127.0.0.1", port: Int = 3306, socket: String? = nil,
                user: String, password: String, database: String? = nil,
                connectTimeoutSeconds: Int = 10, readTimeoutSeconds: Int = 60,
                writeTimeoutSeconds: Int = 60) {
        self.host = host
        self.port = port
        self.socket = socket
        self.user = user
        self.password = password
        self.database = database
        self.connectTimeoutSeconds = connectTimeoutSeconds
        self.readTimeoutSeconds = readTimeoutSeconds
        self.writeTimeoutSeconds = writeTimeoutSeconds
    }
}

/// Owns one `MYSQL*`. Deliberately not Sendable: a connection is used by one thread at
/// a time; hand a connection (not its statements) between threads only with external
/// synchronisation.
public final class MySQLConnection {
    let handle: UnsafeMutablePointer<MYSQL>
    /// Kept only to scrub it from error messages.
    let secret: String

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
            try Self.connect(handle, options)
            self.handle = handle
            self.secret = options.password
        } catch {
            mysql_close(handle)
            throw error
        }
        // From here on deinit closes the handle if setup fails.
        try execute("SET SESSION sql_mode = '\(Self.sessionSQLMode)'")
    }

    deinit {
        mysql_close(handle)
    }

    private static func configure(_ handle: UnsafeMutablePointer<MYSQL>, _ options: MySQLOptions) throws {
        func check(_ rc: Int32, _ what: String) throws {
            if rc != 0 {
                throw MySQLError.client("cannot set connection option \(what)", code: 5009, context: "connect")
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

    private static func connect(_ handle: UnsafeMutablePointer<MYSQL>, _ options: MySQLOptions) throws {
        guard (0...65535).contains(options.port) else {
            throw MySQLError.client("invalid port \(options.port)", code: 2005, context: "connect")
        }
        let host: String? = options.socket == nil ? options.host : "localhost"
        let ok = mysql_real_connect(handle, host, options.user, options.password, options.database,
                                    UInt32(options.port), options.socket, 0)
        if ok == nil {
            throw MySQLError.from(connection: handle, context: "connect", redacting: options.password)
        }
    }

    func error(_ context: String) -> MySQLError {
        MySQLError.from(connection: handle, context: context, redacting: secret)
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
