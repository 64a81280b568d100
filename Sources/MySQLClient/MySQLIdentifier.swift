/// Why a configured table/column/database name was refused.
public struct MySQLIdentifierError: Error, Sendable, CustomStringConvertible {
    public var name: String
    public var reason: String
    public var description: String {
        // debugDescription-style quoting shows control characters visibly.
        "invalid MySQL identifier \(String(reflecting: name)): \(reason)"
    }
}

public enum MySQLIdentifier {
    /// Validates and back-quotes an identifier from config (table/column/database names):
    /// 1–64 chars, no NUL/backtick/control characters, not ending in space; throws a message naming the bad name.
    ///
    /// Backticks are refused rather than doubled: a name that needs them is almost
    /// certainly a config mistake, and refusing keeps the quoted form trivially safe.
    public static func quote(_ name: String) throws -> String {
        func reject(_ reason: String) -> MySQLIdentifierError {
            MySQLIdentifierError(name: name, reason: reason)
        }
        let scalars = name.unicodeScalars
        if scalars.isEmpty { throw reject("it is empty") }
        if scalars.count > 64 { throw reject("it is longer than 64 characters") }
        for scalar in scalars {
            if scalar == "`" { throw reject("it contains a backtick") }
            if scalar.value == 0 { throw reject("it contains a NUL character") }
            if scalar.properties.generalCategory == .control {
                throw reject("it contains a control character")
            }
            // MySQL/MariaDB identifiers are limited to the Basic Multilingual Plane.
            if scalar.value > 0xFFFF { throw reject("it contains a character outside U+0000–U+FFFF") }
        }
        if name.hasSuffix(" ") { throw reject("it ends with a space") }
        return "`" + name + "`"
    }
}
