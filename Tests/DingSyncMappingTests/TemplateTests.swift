import XCTest
@testable import DingSyncMapping

final class TemplateTests: XCTestCase {
    func testSegmentsAndPlaceholderKinds() throws {
        let t = try Template(parsing: "{部门}-{月份}")
        XCTAssertEqual(t.segments, [
            .placeholder(Placeholder(source: .formComponent, name: "部门")), .literal("-"),
            .placeholder(Placeholder(source: .formComponent, name: "月份")),
        ])
        XCTAssertNil(t.soloPlaceholder)
        let attr = try Template(parsing: "{create_time}")
        XCTAssertEqual(attr.soloPlaceholder, Placeholder(source: .attribute, name: "create_time"))
        for name in InstanceDetail.attributeNames {
            XCTAssertEqual(try Template(parsing: "{\(name)}").placeholders.first?.source, .attribute, name)
        }
        let form = try Template(parsing: "{form:status}")
        XCTAssertEqual(form.placeholders, [Placeholder(source: .formComponent, name: "status", explicitForm: true)])
        XCTAssertEqual(form.placeholders.first?.description, "{form:status}")
        XCTAssertEqual(try Template(parsing: "{Status}").placeholders.first?.source, .formComponent)
        XCTAssertEqual(try Template(parsing: "{TextField_23QXWOU7G4JK0}").placeholders.map(\.name),
                       ["TextField_23QXWOU7G4JK0"])
        // Names are taken as written: spaces and colons other than the form: prefix are kept.
        XCTAssertEqual(try Template(parsing: "{ 金额 }").placeholders.map(\.name), [" 金额 "])
        XCTAssertEqual(try Template(parsing: "{a:b}").placeholders.map(\.name), ["a:b"])
    }

    func testBraceEscapesAndLiterals() throws {
        XCTAssertEqual(try Template(parsing: "{{x}}").segments, [.literal("{x}")])
        XCTAssertEqual(try Template(parsing: "a{{{b}}}c").segments, [
            .literal("a{"), .placeholder(Placeholder(source: .formComponent, name: "b")), .literal("}c"),
        ])
        XCTAssertEqual(try Template(parsing: "纯文本 😀").segments, [.literal("纯文本 😀")])
        XCTAssertEqual(try Template(parsing: "").segments, [])
        XCTAssertEqual(try Template(parsing: "{a}{b}").placeholders.map(\.name), ["a", "b"])
    }

    func testErrors() {
        func problem(_ text: String) -> TemplateError? {
            do { _ = try Template(parsing: text); return nil } catch { return error as? TemplateError }
        }
        XCTAssertEqual(problem("{部门")?.problem, "unclosed '{' (write '{{' for a literal brace)")
        XCTAssertEqual(problem("ab{部门")?.offset, 2)
        XCTAssertEqual(problem("{}")?.problem, "empty placeholder '{}'")
        XCTAssertEqual(problem("x{form:}")?.problem, "empty form component name in '{form:}'")
        XCTAssertEqual(problem("{a{b}}")?.problem, "'{' inside a placeholder (write '{{' for a literal brace)")
        XCTAssertEqual(problem("a}b")?.problem, "unmatched '}' (write '}}' for a literal brace)")
        XCTAssertEqual(problem("😀}")?.offset, 1)
        XCTAssertEqual(problem("{a}}")?.offset, 3)
        XCTAssertEqual(problem("{部门")?.description,
                       "template \"{部门\": unclosed '{' (write '{{' for a literal brace) at character 1")
        XCTAssertNil(problem("{a}"))
    }
}
