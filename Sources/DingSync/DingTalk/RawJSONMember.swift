import Foundation

/// Finds the raw text of one top-level member of a JSON object that is already known to be
/// valid (it parsed). Storing DingTalk's `process_instance` exactly as it arrived is both
/// truer to "as fetched" and far cheaper than re-serialising the parsed object, which on
/// Linux Foundation sorts keys through ICU collation and dominated the CPU path.
enum RawJSONMember {
    static func value(of key: String, in data: Data) -> Data? {
        let bytes = [UInt8](data)
        let wanted = Array(key.utf8)
        var i = 0
        var depth = 0
        var expectingKey = false
        while i < bytes.count {
            let c = bytes[i]
            switch c {
            case UInt8(ascii: "\""):
                let start = i + 1
                i = endOfString(bytes, from: start)
                if depth == 1 && expectingKey {
                    let isWanted = Array(bytes[start..<i]) == wanted
                    expectingKey = false
                    if isWanted, let range = valueRange(bytes, afterKeyEnd: i + 1) {
                        return Data(bytes[range])
                    }
                }
            case UInt8(ascii: "{"):
                depth += 1
                expectingKey = depth == 1
            case UInt8(ascii: "["):
                depth += 1
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                depth -= 1
            case UInt8(ascii: ","):
                if depth == 1 { expectingKey = true }
            default:
                break
            }
            i += 1
        }
        return nil
    }

    /// Index of the closing quote of a string whose content starts at `from`.
    private static func endOfString(_ b: [UInt8], from: Int) -> Int {
        var i = from
        while i < b.count {
            if b[i] == UInt8(ascii: "\\") { i += 2; continue }
            if b[i] == UInt8(ascii: "\"") { return i }
            i += 1
        }
        return b.count
    }

    /// The range of the value after `"key"` (skips the colon and white space).
    private static func valueRange(_ b: [UInt8], afterKeyEnd: Int) -> Range<Int>? {
        var i = afterKeyEnd
        while i < b.count, b[i] != UInt8(ascii: ":") { i += 1 }
        i += 1
        while i < b.count, [0x20, 0x09, 0x0A, 0x0D].contains(b[i]) { i += 1 }
        guard i < b.count else { return nil }
        let start = i
        var depth = 0
        while i < b.count {
            switch b[i] {
            case UInt8(ascii: "\""):
                i = endOfString(b, from: i + 1)
                if depth == 0 { return start..<(i + 1) }
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                depth += 1
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                if depth == 0 { return start..<i }  // a scalar ended by its container
                depth -= 1
                if depth == 0 { return start..<(i + 1) }
            case UInt8(ascii: ","):
                if depth == 0 { return start..<i }
            default:
                break
            }
            i += 1
        }
        return nil
    }
}
