/// `${NAME}` and `${NAME:-default}` in config strings, replaced from the environment.
/// `$${` stands for a literal `${`, so a value that really contains it can still be written.
enum EnvInterpolation {
    enum Failure: Error, Equatable {
        case missing(String)
        case unterminated
        case badName(String)
    }

    /// A `${NAME}` (no default) or `${NAME:-default}` met while expanding.
    struct Reference: Equatable {
        var name: String
        var hasDefault: Bool
    }

    /// `noting` hears every variable the text names, so `check` lists exactly what loading reads.
    static func expand(_ text: String, env: [String: String], noting: ((Reference) -> Void)? = nil) -> Result<String, Failure> {
        guard text.contains("${") else { return .success(text) }
        var out = ""
        var rest = Substring(text)
        while let dollar = rest.range(of: "${") {
            out += rest[..<dollar.lowerBound]
            // `$${` → literal `${`
            if dollar.lowerBound > rest.startIndex, rest[rest.index(before: dollar.lowerBound)] == "$" {
                out.removeLast()
                out += "${"
                rest = rest[dollar.upperBound...]
                continue
            }
            guard let close = rest[dollar.upperBound...].firstIndex(of: "}") else { return .failure(.unterminated) }
            let body = rest[dollar.upperBound..<close]
            let name: Substring
            let fallback: Substring?
            if let sep = body.range(of: ":-") {
                name = body[..<sep.lowerBound]
                fallback = body[sep.upperBound...]
            } else {
                name = body
                fallback = nil
            }
            guard isValidName(name) else { return .failure(.badName(String(name))) }
            noting?(Reference(name: String(name), hasDefault: fallback != nil))
            if let value = env[String(name)] {
                out += value
            } else if let fallback {
                out += fallback
            } else {
                return .failure(.missing(String(name)))
            }
            rest = rest[rest.index(after: close)...]
        }
        out += rest
        return .success(out)
    }

    private static func isValidName(_ s: Substring) -> Bool {
        guard let first = s.unicodeScalars.first, first == "_" || (first.isASCII && first.properties.isAlphabetic) else { return false }
        return s.unicodeScalars.allSatisfy { $0 == "_" || ($0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0))) }
    }
}
