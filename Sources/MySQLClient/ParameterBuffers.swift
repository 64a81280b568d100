import CMySQL

/// The C memory behind one execution's parameters: the MYSQL_BIND array, the length
/// array and a single arena holding every value's bytes. Built just before execute and
/// deallocated right after it, so repeated executions do not accumulate memory.
struct ParameterBuffers {
    let binds: UnsafeMutablePointer<MYSQL_BIND>
    private let lengths: UnsafeMutablePointer<UInt>
    private let arena: UnsafeMutableRawPointer
    private let count: Int

    init(_ params: [MySQLValue]) throws {
        // Validate (the only throwing part) before anything is allocated.
        let times = try params.map { value -> MYSQL_TIME? in try Self.time(value) }
        let timeStride = MemoryLayout<MYSQL_TIME>.stride, timeAlign = MemoryLayout<MYSQL_TIME>.alignment
        var size = 0
        for value in params {
            switch value {
            case .null: break
            case .int: size = Self.align(size, 8) + 8
            case .text(let string): size += string.utf8.count
            case .datetime, .date: size = Self.align(size, timeAlign) + timeStride
            }
        }
        count = params.count
        binds = .allocate(capacity: count)
        binds.initialize(repeating: MYSQL_BIND(), count: count)
        lengths = .allocate(capacity: count)
        lengths.initialize(repeating: 0, count: count)
        arena = .allocate(byteCount: max(size, 1), alignment: max(8, timeAlign))

        var offset = 0
        for (index, value) in params.enumerated() {
            let bind = binds + index
            switch value {
            case .null:
                bind.pointee.buffer_type = MYSQL_TYPE_NULL
            case .int(let number):
                offset = Self.align(offset, 8)
                (arena + offset).storeBytes(of: number, as: Int64.self)
                bind.pointee.buffer_type = MYSQL_TYPE_LONGLONG
                bind.pointee.buffer = arena + offset
                bind.pointee.is_unsigned = dingsync_bind_flag_make(0)
                offset += 8
            case .text(var string):
                // Explicit byte length: binary-safe, nothing is escaped or interpreted.
                let length = string.withUTF8 { bytes -> Int in
                    if let base = bytes.baseAddress {
                        (arena + offset).copyMemory(from: base, byteCount: bytes.count)
                    }
                    return bytes.count
                }
                lengths[index] = UInt(length)
                bind.pointee.buffer_type = MYSQL_TYPE_STRING
                bind.pointee.buffer = arena + offset
                bind.pointee.buffer_length = UInt(length)
                bind.pointee.length = lengths + index
                offset += length
            case .datetime, .date:
                offset = Self.align(offset, timeAlign)
                (arena + offset).initializeMemory(as: MYSQL_TIME.self, to: times[index]!)
                if case .date = value {
                    bind.pointee.buffer_type = MYSQL_TYPE_DATE
                } else {
                    bind.pointee.buffer_type = MYSQL_TYPE_DATETIME
                }
                bind.pointee.buffer = arena + offset
                bind.pointee.buffer_length = UInt(timeStride)
                offset += timeStride
            }
        }
    }

    func deallocate() {
        binds.deinitialize(count: count)
        binds.deallocate()
        lengths.deallocate()
        arena.deallocate()
    }

    private static func align(_ offset: Int, _ alignment: Int) -> Int {
        (offset + alignment - 1) / alignment * alignment
    }

    /// MYSQL_TIME for date values; rejects impossible fields here, because the binary
    /// protocol would otherwise send them with unsigned wrap-around.
    private static func time(_ value: MySQLValue) throws -> MYSQL_TIME? {
        var time = MYSQL_TIME()
        let fields: [(Int, ClosedRange<Int>, String)]
        switch value {
        case let .datetime(year, month, day, hour, minute, second):
            fields = [(year, 0...9999, "year"), (month, 1...12, "month"), (day, 1...31, "day"),
                      (hour, 0...23, "hour"), (minute, 0...59, "minute"), (second, 0...59, "second")]
            time.time_type = MYSQL_TIMESTAMP_DATETIME
        case let .date(year, month, day):
            fields = [(year, 0...9999, "year"), (month, 1...12, "month"), (day, 1...31, "day"),
                      (0, 0...0, "hour"), (0, 0...0, "minute"), (0, 0...0, "second")]
            time.time_type = MYSQL_TIMESTAMP_DATE
        default:
            return nil
        }
        for (number, range, name) in fields where !range.contains(number) {
            throw MySQLError.client("invalid \(name) \(number) in date/time parameter",
                                    sqlState: "22007", context: "bind")
        }
        time.year = UInt32(fields[0].0)
        time.month = UInt32(fields[1].0)
        time.day = UInt32(fields[2].0)
        time.hour = UInt32(fields[3].0)
        time.minute = UInt32(fields[4].0)
        time.second = UInt32(fields[5].0)
        return time
    }
}
