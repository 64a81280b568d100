/// Walks one JSON object of the config, remembering which keys were read so that
/// `finish()` can report the ones nobody asked for. Problems go to a shared list so that
/// one pass reports all of them, each with its key path.
final class ConfigProblems {
    private(set) var list: [String] = []
    /// The environment variables the config's strings name, in the order first met.
    private(set) var references: [EnvInterpolation.Reference] = []
    func add(_ path: String, _ message: String) { list.append("\(path): \(message)") }
    func note(_ r: EnvInterpolation.Reference) { if !references.contains(r) { references.append(r) } }
}

struct ConfigReader {
    let path: String
    let object: [String: JSONValue]
    let problems: ConfigProblems
    let env: [String: String]
    private var seen: Set<String> = []

    init?(_ value: JSONValue?, path: String, problems: ConfigProblems, env: [String: String]) {
        guard case .object(let o)? = value else {
            if let value { problems.add(path, "must be an object, found \(value.typeName)") }
            return nil
        }
        self.object = o
        self.path = path
        self.problems = problems
        self.env = env
    }

    func child(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    mutating func raw(_ key: String) -> JSONValue? {
        seen.insert(key)
        if case .null? = object[key] { return nil }
        return object[key]
    }

    mutating func string(_ key: String, default def: String? = nil, required: Bool = false,
                         allowEmpty: Bool = false) -> String? {
        guard let v = raw(key) else {
            if required && def == nil { problems.add(child(key), "is required") }
            return def
        }
        guard case .string(let s) = v else {
            problems.add(child(key), "must be a string, found \(v.typeName)")
            return def
        }
        switch EnvInterpolation.expand(s, env: env, noting: problems.note) {
        case .success(let expanded):
            if expanded.isEmpty && !allowEmpty {
                problems.add(child(key), "must not be empty")
                return def
            }
            return expanded
        case .failure(.missing(let name)):
            problems.add(child(key), Self.unsetHint(name, secret: Self.secretKeys.contains(key)))
        case .failure(.unterminated):
            problems.add(child(key), "has an unterminated ${ (write $${ for a literal)")
        case .failure(.badName(let name)):
            problems.add(child(key), "\"\(name)\" is not a valid environment variable name")
        }
        return def
    }

    /// Keys whose values are secrets: a missing variable there is never answered with
    /// "write a default", which would put the secret into the config file.
    static let secretKeys: Set<String> = ["app_secret", "password", "secret", "webhook"]

    static func unsetHint(_ name: String, secret: Bool) -> String {
        secret
            ? "environment variable \(name) is not set; it holds a secret, so set it in the environment, not the config (e.g. in a secrets file loaded with `set -a; . /etc/dingsync/secrets.env; set +a`)"
            : "environment variable \(name) is not set (set it, or write ${\(name):-default} for a default)"
    }

    mutating func int(_ key: String, default def: Int, in range: ClosedRange<Int>) -> Int {
        guard let v = raw(key) else { return def }
        var n: Int64?
        switch v {
        case .int(let i): n = i
        case .string(let s):
            // "${PORT}" style values arrive as strings; accept them when they are whole numbers.
            switch EnvInterpolation.expand(s, env: env, noting: problems.note) {
            case .success(let e):
                n = Int64(e)
                if n == nil, e != s {
                    // Never the expanded value: a variable named by mistake may hold a secret.
                    problems.add(child(key), "must be a whole number; \(s) does not expand to one")
                    return def
                }
            case .failure(.missing(let name)):
                // The variable is what is wrong, not the field's type.
                problems.add(child(key), Self.unsetHint(name, secret: false))
                return def
            case .failure: break
            }
        default: break
        }
        guard let n else {
            problems.add(child(key), "must be a whole number, found \(v.typeName)")
            return def
        }
        guard let i = Int(exactly: n), range.contains(i) else {
            problems.add(child(key), "must be between \(range.lowerBound) and \(range.upperBound), found \(n)")
            return def
        }
        return i
    }

    mutating func double(_ key: String, default def: Double, in range: ClosedRange<Double>) -> Double {
        guard let v = raw(key) else { return def }
        let d: Double
        switch v {
        case .int(let i): d = Double(i)
        case .double(let x): d = x
        default:
            problems.add(child(key), "must be a number, found \(v.typeName)")
            return def
        }
        guard range.contains(d) else {
            problems.add(child(key), "must be between \(range.lowerBound) and \(range.upperBound), found \(d)")
            return def
        }
        return d
    }

    mutating func bool(_ key: String, default def: Bool) -> Bool {
        guard let v = raw(key) else { return def }
        guard case .bool(let b) = v else {
            problems.add(child(key), "must be true or false, found \(v.typeName)")
            return def
        }
        return b
    }

    mutating func stringMap(_ key: String) -> [String: String]? {
        guard let v = raw(key) else { return nil }
        guard case .object(let o) = v else {
            problems.add(child(key), "must be an object of strings, found \(v.typeName)")
            return nil
        }
        var out: [String: String] = [:]
        for (k, value) in o {
            guard case .string(let s) = value else {
                problems.add("\(child(key)).\(k)", "must be a string, found \(value.typeName)")
                continue
            }
            out[k] = s
        }
        return out
    }

    mutating func stringArray(_ key: String, default def: [String], allowed: Set<String>) -> [String] {
        guard let v = raw(key) else { return def }
        guard case .array(let a) = v else {
            problems.add(child(key), "must be an array of strings, found \(v.typeName)")
            return def
        }
        var out: [String] = []
        for (i, item) in a.enumerated() {
            guard case .string(let s) = item, allowed.contains(s) else {
                problems.add("\(child(key))[\(i)]", "must be one of \(allowed.sorted().joined(separator: ", "))")
                continue
            }
            out.append(s)
        }
        return out
    }

    /// Reports every key of this object that was never read: a typo must not silently do nothing.
    func finish() {
        for key in object.keys.sorted() where !seen.contains(key) {
            problems.add(child(key), "unknown key")
        }
    }
}
