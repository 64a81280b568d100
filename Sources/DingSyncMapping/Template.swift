/// One `{…}` of a template.
public struct Placeholder: Sendable, Hashable, CustomStringConvertible {
    public enum Source: Sendable, Hashable {
        /// An instance attribute (`InstanceDetail.attributeNames`), e.g. `{status}`.
        case attribute
        /// A form component, matched by `name` (label) or `id`, or a suite child by label.
        case formComponent
    }
    public var source: Source
    /// The attribute or component name, without the `form:` prefix.
    public var name: String
    /// True when written `{form:x}`.
    public var explicitForm: Bool

    public init(source: Source, name: String, explicitForm: Bool = false) {
        self.source = source
        self.name = name
        self.explicitForm = explicitForm
    }

    /// As written in the template (braces in the name are not re-escaped: names cannot hold them).
    public var description: String { explicitForm ? "{form:\(name)}" : "{\(name)}" }
}

/// A parse failure. `description` is a complete sentence; config validation prefixes the key path.
public struct TemplateError: Error, Sendable, Equatable, CustomStringConvertible {
    public var template: String
    /// 0-based position, in characters, where the problem was found.
    public var offset: Int
    public var problem: String
    public var description: String {
        "template \(MappedValue.quoted(template)): \(problem) at character \(offset + 1)"
    }
}

/// A mapping template, parsed once.
///
/// Syntax: `{x}` is the instance attribute `x` when `x` is one of `InstanceDetail.attributeNames`,
/// otherwise the form component whose `name` (label) or `id` is `x`; `{form:x}` is always the form
/// component. Everything else is literal text, kept byte for byte. To write a literal brace, double
/// it: `{{` is `{` and `}}` is `}`. Errors: a `{` without its `}`, an empty `{}` or `{form:}`, a
/// `{` inside a placeholder, and a lone `}` (almost always a typo; write `}}`).
public struct Template: Sendable, Hashable {
    public enum Segment: Sendable, Hashable {
        case literal(String)
        case placeholder(Placeholder)
    }

    public let source: String
    /// Adjacent literal text is merged; empty literals are never produced.
    public let segments: [Segment]

    public init(parsing text: String) throws {
        source = text
        var segments: [Segment] = []
        var literal = String.UnicodeScalarView()
        let scalars = Array(text.unicodeScalars)
        var i = 0
        func fail(_ problem: String, at: Int) -> TemplateError {
            // Report character (grapheme) offsets, which is what a person counts.
            let prefix = String(String.UnicodeScalarView(scalars[0..<at]))
            return TemplateError(template: text, offset: prefix.count, problem: problem)
        }
        while i < scalars.count {
            let c = scalars[i]
            if c == "}" {
                guard i + 1 < scalars.count, scalars[i + 1] == "}" else {
                    throw fail("unmatched '}' (write '}}' for a literal brace)", at: i)
                }
                literal.append("}")
                i += 2
                continue
            }
            guard c == "{" else { literal.append(c); i += 1; continue }
            if i + 1 < scalars.count, scalars[i + 1] == "{" {
                literal.append("{")
                i += 2
                continue
            }
            let open = i
            var j = i + 1
            while j < scalars.count, scalars[j] != "}" {
                if scalars[j] == "{" {
                    throw fail("'{' inside a placeholder (write '{{' for a literal brace)", at: j)
                }
                j += 1
            }
            guard j < scalars.count else {
                throw fail("unclosed '{' (write '{{' for a literal brace)", at: open)
            }
            let body = String(String.UnicodeScalarView(scalars[(open + 1)..<j]))
            guard !body.isEmpty else { throw fail("empty placeholder '{}'", at: open) }
            let placeholder: Placeholder
            if body.hasPrefix("form:") {
                let name = String(body.dropFirst(5))
                guard !name.isEmpty else { throw fail("empty form component name in '{form:}'", at: open) }
                placeholder = Placeholder(source: .formComponent, name: name, explicitForm: true)
            } else if InstanceDetail.attributeNames.contains(body) {
                placeholder = Placeholder(source: .attribute, name: body)
            } else {
                placeholder = Placeholder(source: .formComponent, name: body)
            }
            if !literal.isEmpty {
                segments.append(.literal(String(literal)))
                literal = String.UnicodeScalarView()
            }
            segments.append(.placeholder(placeholder))
            i = j + 1
        }
        if !literal.isEmpty { segments.append(.literal(String(literal))) }
        self.segments = segments
    }

    public var placeholders: [Placeholder] {
        segments.compactMap { if case .placeholder(let p) = $0 { return p } else { return nil } }
    }

    /// The placeholder when the template is exactly one placeholder and nothing else; such a
    /// template yields NULL for a missing value instead of an empty string.
    public var soloPlaceholder: Placeholder? {
        if segments.count == 1, case .placeholder(let p) = segments[0] { return p }
        return nil
    }
}
