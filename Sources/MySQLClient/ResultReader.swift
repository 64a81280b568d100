import CMySQL

/// Reads a stored prepared-statement result with every column converted to text.
/// Buffers are sized from STMT_ATTR_UPDATE_MAX_LENGTH; anything still longer than its
/// buffer is re-read whole with mysql_stmt_fetch_column, so long TEXT never truncates.
struct ResultReader {
    let statement: MySQLStatement
    let columns: Int

    func readAll() throws -> [[String?]] {
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

        var rows: [[String?]] = []
        rows.reserveCapacity(Int(mysql_stmt_num_rows(handle)))
        while true {
            let rc = mysql_stmt_fetch(handle)
            if rc == dingsync_mysql_no_data() { break }
            if rc != 0 && rc != dingsync_mysql_data_truncated() { throw statement.error("fetch") }
            var row: [String?] = []
            row.reserveCapacity(columns)
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
            rows.append(row)
        }
        return rows
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
