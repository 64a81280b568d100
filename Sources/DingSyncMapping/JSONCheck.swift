/// A strict RFC 8259 validator. `json` columns keep DingTalk's text exactly, so all we need is a
/// yes/no; this avoids building a Foundation object graph per value (and Foundation's leniency).
enum JSONCheck {
    /// Nesting beyond this is rejected rather than risking the stack on hostile input.
    static let maxDepth = 512

    /// Nil when `text` is one valid JSON value (surrounded by optional whitespace); else why not.
    static func problem(in text: String) -> String? {
        var text = text
        return text.withUTF8 { b -> String? in
            var p = Parser(b: b)
            p.skipSpace()
            guard p.value(depth: 0) else { return p.error ?? "invalid JSON at byte \(p.i)" }
            p.skipSpace()
            return p.i == b.count ? nil : "unexpected text after the JSON value at byte \(p.i)"
        }
    }

    private struct Parser {
        let b: UnsafeBufferPointer<UInt8>
        var i = 0
        var error: String?

        init(b: UnsafeBufferPointer<UInt8>) { self.b = b }

        mutating func fail(_ why: String) -> Bool {
            if error == nil { error = "\(why) at byte \(i)" }
            return false
        }

        var peek: UInt8? { i < b.count ? b[i] : nil }

        mutating func skipSpace() {
            while i < b.count, b[i] == 0x20 || b[i] == 0x09 || b[i] == 0x0A || b[i] == 0x0D { i += 1 }
        }

        mutating func value(depth: Int) -> Bool {
            guard depth < JSONCheck.maxDepth else { return fail("nesting too deep") }
            guard let c = peek else { return fail("unexpected end of JSON") }
            switch c {
            case 0x7B: return object(depth: depth)
            case 0x5B: return array(depth: depth)
            case 0x22: return string()
            case 0x74: return literal("true")
            case 0x66: return literal("false")
            case 0x6E: return literal("null")
            case 0x2D, 0x30...0x39: return number()
            default: return fail("unexpected character")
            }
        }

        mutating func literal(_ word: StaticString) -> Bool {
            let n = word.utf8CodeUnitCount
            guard i + n <= b.count else { return fail("unexpected end of JSON") }
            for k in 0..<n where b[i + k] != word.utf8Start[k] { return fail("invalid literal") }
            i += n
            return true
        }

        mutating func object(depth: Int) -> Bool {
            i += 1
            skipSpace()
            if peek == 0x7D { i += 1; return true }
            while true {
                guard peek == 0x22 else { return fail("expected a string key") }
                guard string() else { return false }
                skipSpace()
                guard peek == 0x3A else { return fail("expected ':'") }
                i += 1
                skipSpace()
                guard value(depth: depth + 1) else { return false }
                skipSpace()
                switch peek {
                case 0x2C: i += 1; skipSpace()
                case 0x7D: i += 1; return true
                default: return fail("expected ',' or '}'")
                }
            }
        }

        mutating func array(depth: Int) -> Bool {
            i += 1
            skipSpace()
            if peek == 0x5D { i += 1; return true }
            while true {
                guard value(depth: depth + 1) else { return false }
                skipSpace()
                switch peek {
                case 0x2C: i += 1; skipSpace()
                case 0x5D: i += 1; return true
                default: return fail("expected ',' or ']'")
                }
            }
        }

        mutating func string() -> Bool {
            i += 1
            while i < b.count {
                let c = b[i]
                switch c {
                case 0x22: i += 1; return true
                case 0x5C:
                    guard i + 1 < b.count else { return fail("unterminated string") }
                    switch b[i + 1] {
                    case 0x22, 0x5C, 0x2F, 0x62, 0x66, 0x6E, 0x72, 0x74: i += 2
                    case 0x75:
                        guard i + 6 <= b.count, (2..<6).allSatisfy({ isHex(b[i + $0]) })
                        else { return fail("bad \\u escape") }
                        i += 6
                    default: return fail("bad escape")
                    }
                case 0..<0x20: return fail("control character in string")
                default: i += 1  // the String is valid UTF-8 already
                }
            }
            return fail("unterminated string")
        }

        mutating func number() -> Bool {
            if peek == 0x2D { i += 1 }
            guard let first = peek, TimeText.isDigit(first) else { return fail("bad number") }
            i += 1
            if first != 0x30 { digits() }
            if peek == 0x2E {
                i += 1
                guard let c = peek, TimeText.isDigit(c) else { return fail("bad number") }
                digits()
            }
            if peek == 0x65 || peek == 0x45 {
                i += 1
                if peek == 0x2B || peek == 0x2D { i += 1 }
                guard let c = peek, TimeText.isDigit(c) else { return fail("bad number") }
                digits()
            }
            return true
        }

        mutating func digits() { while let c = peek, TimeText.isDigit(c) { i += 1 } }

        func isHex(_ c: UInt8) -> Bool {
            TimeText.isDigit(c) || (0x41...0x46).contains(c) || (0x61...0x66).contains(c)
        }
    }
}
