import CMySQL

/// Reads a prepared statement's result with every column converted to text. A stored result
/// sizes the buffers from STMT_ATTR_UPDATE_MAX_LENGTH; an unstored one (rows read as they
/// arrive) starts at 64 bytes a column. Anything still longer than its buffer is re-read whole
/// with mysql_stmt_fetch_column, so long TEXT never truncates.
struct ResultReader {
    let statement: MySQLStatement
    let columns: Int

    func readAll() throws -> [[String?]] {
        var rows: [[String?]] = []
        try forEachRow(expecting: { rows.reserveCapacity($0) }) { rows.append($0) }
        return rows
    }

    /// Hands each row to `body` as it is read, in one array reused from row to row: a caller
    /// that keeps only what it needs of a large result never holds all of it as text.
    /// `expecting` is told the row count first (for reserving; 0 for an unstored result).
    func forEachRow(expecting: (Int) -> Void, _ body: ([String?]) throws -> Void) throws {
        let handle = statement.handle
        var capacities = [Int](repeating: 64, count: columns)
        if let meta = mysql_stmt_result_metadata(handle) {
            defer { mysql_free_result(meta) }
            if let fields = mysql_fetch_fields(meta) {
                for column in 0..<columns {
                    capacities[column] = max(64, Int(fields[column].max_length))
                }
            }
        }
        let binds = UnsafeMutablePointer<MYSQL_BIND>.allocate(capacity: columns)
        binds.initialize(repeating: MYSQL_BIND(), count: columns)
        let lengths = UnsafeMutablePointer<UInt>.allocate(capacity: columns)
        lengths.initialize(repeating: 0, count: columns)
        // dingsync_bind_flag, not my_bool: Oracle's headers declare these fields `bool` (see shim.h).
        let nulls = UnsafeMutablePointer<dingsync_bind_flag>.allocate(capacity: columns)
        nulls.initialize(repeating: dingsync_bind_flag_make(0), count: columns)
        let errors = UnsafeMutablePointer<dingsync_bind_flag>.allocate(capacity: columns)
        errors.initialize(repeating: dingsync_bind_flag_make(0), count: columns)
        let buffers = capacities.map { UnsafeMutableRawPointer.allocate(byteCount: $0, alignment: 8) }
        defer {
            buffers.forEach { $0.deallocate() }
            errors.deallocate()
            nulls.deallocate()
            lengths.deallocate()
            binds.deinitialize(count: columns)
            binds.deallocate()
        }
        for column in 0..<columns {
            binds[column].buffer_type = MYSQL_TYPE_STRING
            binds[column].buffer = buffers[column]
            binds[column].buffer_length = UInt(capacities[column])
            binds[column].length = lengths + column
            binds[column].is_null = nulls + column
            binds[column].error = errors + column
        }
        if dingsync_mysql_stmt_bind_result(handle, binds) != 0 { throw statement.error("fetch") }

        expecting(Int(mysql_stmt_num_rows(handle)))
        var row: [String?] = []
        row.reserveCapacity(columns)
        while true {
            let rc = mysql_stmt_fetch(handle)
            if rc == dingsync_mysql_no_data() { break }
            if rc != 0 && rc != dingsync_mysql_data_truncated() { throw statement.error("fetch") }
            row.removeAll(keepingCapacity: true)
            for column in 0..<columns {
                if dingsync_bind_flag_is_set(nulls[column]) != 0 {
                    row.append(nil)
                } else if Int(lengths[column]) <= capacities[column] {
                    let bytes = UnsafeRawBufferPointer(start: buffers[column], count: Int(lengths[column]))
                    row.append(String(decoding: bytes, as: UTF8.self))
                } else {
                    row.append(try refetch(column: column, length: Int(lengths[column])))
                }
            }
            do {
                try body(row)
            } catch {
                // An unstored result's other rows are still on the connection: read them
                // (into the buffers still bound) so it can take the next statement.
                while case let rc = mysql_stmt_fetch(handle), rc == 0 || rc == dingsync_mysql_data_truncated() {}
                throw error
            }
        }
    }

    private func refetch(column: Int, length: Int) throws -> String {
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: length, alignment: 8)
        defer { buffer.deallocate() }
        var actual: UInt = 0
        var isNull = dingsync_bind_flag_make(0)
        var truncated = dingsync_bind_flag_make(0)
        return try withUnsafeMutablePointer(to: &actual) { actualPointer in
            try withUnsafeMutablePointer(to: &isNull) { nullPointer in
                try withUnsafeMutablePointer(to: &truncated) { errorPointer in
                    var bind = MYSQL_BIND()
                    bind.buffer_type = MYSQL_TYPE_STRING
                    bind.buffer = buffer
                    bind.buffer_length = UInt(length)
                    bind.length = actualPointer
                    bind.is_null = nullPointer
                    bind.error = errorPointer
                    if mysql_stmt_fetch_column(statement.handle, &bind, UInt32(column), 0) != 0 {
                        throw statement.error("fetch")
                    }
                    let count = min(Int(actualPointer.pointee), length)
                    return String(decoding: UnsafeRawBufferPointer(start: buffer, count: count), as: UTF8.self)
                }
            }
        }
    }
}
