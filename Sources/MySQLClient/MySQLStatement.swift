import CMySQL

/// Owns one `MYSQL_STMT*`. Keeps its connection alive so the statement is always closed
/// before the connection. Not Sendable: use it on the thread that uses its connection.
public final class MySQLStatement {
    let handle: UnsafeMutablePointer<MYSQL_STMT>
    let connection: MySQLConnection
    public let parameterCount: Int

    init(connection: MySQLConnection, sql: String) throws {
        try MySQLLibrary.prepareThread()
        guard let handle = mysql_stmt_init(connection.handle) else {
            throw connection.error("prepare")
        }
        // A NUL-terminated copy always has a valid base address, even for "".
        let rc = sql.utf8CString.withUnsafeBufferPointer { chars in
            mysql_stmt_prepare(handle, chars.baseAddress!, UInt(chars.count - 1))
        }
        if rc != 0 {
            let error = MySQLError.from(statement: handle, context: "prepare", redacting: connection.secret, server: connection.serverFamily)
            mysql_stmt_close(handle)
            throw error
        }
        // Lets store_result report each column's longest value, so result buffers are
        // sized once instead of truncating long TEXT.
        _ = dingsync_mysql_stmt_attr_set_bool(handle, STMT_ATTR_UPDATE_MAX_LENGTH, 1)
        self.handle = handle
        self.connection = connection
        self.parameterCount = Int(mysql_stmt_param_count(handle))
    }

    deinit {
        mysql_stmt_close(handle)
    }

    func error(_ context: String) -> MySQLError {
        MySQLError.from(statement: handle, context: context, redacting: connection.secret, server: connection.serverFamily)
    }

    /// Executes with `params` and returns the affected-row count. Any result set is discarded.
    @discardableResult
    public func execute(_ params: [MySQLValue]) throws -> UInt64 {
        try run(params)
        let affected = mysql_stmt_affected_rows(handle)
        if mysql_stmt_field_count(handle) > 0 {
            // Drain so the statement (and connection) can be used again.
            _ = mysql_stmt_store_result(handle)
            mysql_stmt_free_result(handle)
        }
        return affected == UInt64.max ? 0 : UInt64(affected)
    }

    /// Executes with `params` and returns every row, each column read as text (NULL → nil).
    public func query(_ params: [MySQLValue]) throws -> [[String?]] {
        try run(params)
        let columns = Int(mysql_stmt_field_count(handle))
        guard columns > 0 else { return [] }
        defer { mysql_stmt_free_result(handle) }
        if mysql_stmt_store_result(handle) != 0 { throw error("fetch") }
        return try ResultReader(statement: self, columns: columns).readAll()
    }

    /// Executes with `params` and hands every row to `body` as it arrives (each column as
    /// text, NULL → nil): the result is neither stored by the client library nor built as
    /// text first, so a result of tens of thousands of rows costs one row's memory. `body`
    /// must not use the connection (the rest of the result is still on it). The row array is
    /// reused: copy what you keep.
    public func forEachRow(_ params: [MySQLValue], _ body: ([String?]) throws -> Void) throws {
        try run(params)
        let columns = Int(mysql_stmt_field_count(handle))
        guard columns > 0 else { return }
        defer { mysql_stmt_free_result(handle) }
        try ResultReader(statement: self, columns: columns).forEachRow(expecting: { _ in }, body)
    }

    private func run(_ params: [MySQLValue]) throws {
        try MySQLLibrary.prepareThread()
        guard params.count == parameterCount else {
            throw MySQLError.client("statement takes \(parameterCount) parameters, got \(params.count)",
                                    code: 2034, context: "bind")
        }
        if params.isEmpty {
            if mysql_stmt_execute(handle) != 0 { throw error("execute") }
            return
        }
        // The bound buffers are referenced by the statement until execute returns; they
        // are freed right after, and rebound on every execution.
        let buffers = try ParameterBuffers(params)
        defer { buffers.deallocate() }
        if dingsync_mysql_stmt_bind_param(handle, buffers.binds) != 0 { throw error("bind") }
        if mysql_stmt_execute(handle) != 0 { throw error("execute") }
    }
}

@available(*, unavailable)
extension MySQLStatement: Sendable {}
