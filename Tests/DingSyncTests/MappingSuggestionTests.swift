@testable import DingSync
@testable import DingSyncMapping
import XCTest

/// `fields` shows a suite's children with the mapper's own flattening (FormLookup), so every
/// component it suggests is one the mapper can find: nested suites included.
final class MappingSuggestionTests: XCTestCase {
    func testNestedSuiteChildrenAreOfferedLikeTheMapperFindsThem() {
        let suite = #"""
        [{"componentName":"MoneyField","props":{"label":"付款金额","id":"MoneyField_P2"},"value":"1,000.50"},
         {"componentName":"DDBizSuite","props":{"label":"内层"},"value":"[{\"label\":\"内层字段\",\"value\":\"深\"}]"},
         {"name":"备注","value":"null"}]
        """#
        let detail = InstanceDetail(id: "i1", processCode: "PROC", attributes: [:], components: [
            FormComponent(name: "付款套件", id: "DDBizSuite_1", componentType: "DDBizSuite", value: suite),
            FormComponent(name: "事由", id: "TextField_1", componentType: "TextField", value: "采购"),
        ])
        let fields = MappingSuggestion.collect([detail])
        let deep = fields.first { $0.name == "内层字段" }
        XCTAssertEqual(deep?.values, ["深"], "the child of a suite inside a suite: \(fields.map { $0.name ?? "?" })")
        XCTAssertEqual(deep?.suite, "付款套件")
        XCTAssertEqual(fields.first { $0.name == "付款金额" }?.values, ["1,000.50"])
        XCTAssertEqual(fields.first { $0.name == "备注" }?.values, [], "\"null\" is no value")
        // What is offered maps: the mapper finds the nested child by the same label.
        let row = try? Mapper(entries: [MappingEntry(field: "deep", type: .string, value: "{内层字段}")],
                              timeZone: TimeZone(identifier: "Asia/Shanghai")!).map(detail).get()
        XCTAssertEqual(row?.values, [.string("深")])
    }
}
