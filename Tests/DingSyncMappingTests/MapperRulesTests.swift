import Foundation
import XCTest
@testable import DingSyncMapping

final class MapperRulesTests: XCTestCase {
    let str = { (t: String) in MappingEntry(field: "col", type: .string, value: t) }

    // MARK: NULL rules

    func testSoloPlaceholderNullForms() {
        XCTAssertEqual(mapOne(str("{a}"), instance([])), .null)                      // missing key
        XCTAssertEqual(mapOne(str("{a}"), instance([component("a", nil)])), .null)   // value missing
        XCTAssertEqual(mapOne(str("{a}"), instance([component("a", "")])), .null)
        XCTAssertEqual(mapOne(str("{a}"), instance([component("a", "null")])), .null)
        // Only lowercase "null" is NULL; anything else is text, kept as is.
        XCTAssertEqual(mapOne(str("{a}"), instance([component("a", "NULL")])), .string("NULL"))
        XCTAssertEqual(mapOne(str("{a}"), instance([component("a", "Null")])), .string("Null"))
        XCTAssertEqual(mapOne(str("{a}"), instance([component("a", " ")])), .string(" "))
        XCTAssertEqual(mapOne(str("{status}"), instance([], attributes: ["status": "null"])), .null)
        XCTAssertEqual(mapOne(str("{finish_time}"), instance([])), .null)
    }

    func testLongerTemplateKeepsLiteralsAndDropsAbsentPlaceholders() {
        let inst = instance([component("部门", "研发"), component("月份", "null")])
        XCTAssertEqual(mapOne(str("{部门}-{月份}"), inst), .string("研发-"))
        XCTAssertEqual(mapOne(str("{缺失}-{月份}"), inst), .string("-"))
        XCTAssertEqual(mapOne(str("[{部门}]"), inst), .string("[研发]"))
        XCTAssertEqual(mapOne(str("{部门}{部门}"), inst), .string("研发研发"))
        // Two placeholders and no literal text, both absent: nothing at all, which is NULL.
        XCTAssertEqual(mapOne(str("{缺失}{月份}"), inst), .null)
        // Literal-only and empty templates.
        XCTAssertEqual(mapOne(str("固定值"), inst), .string("固定值"))
        XCTAssertEqual(mapOne(str(""), inst), .null)
        XCTAssertEqual(mapOne(str("{{字面}}"), inst), .string("{字面}"))
    }

    func testFormPrefixAlwaysMeansComponent() {
        let inst = instance([component("status", "表单里的状态"), component("title", "表单标题")],
                            attributes: ["status": "COMPLETED"])
        XCTAssertEqual(mapOne(str("{status}"), inst), .string("COMPLETED"))
        XCTAssertEqual(mapOne(str("{form:status}"), inst), .string("表单里的状态"))
        XCTAssertEqual(mapOne(str("{form:title}/{status}"), inst), .string("表单标题/COMPLETED"))
        XCTAssertEqual(mapOne(str("{form:id}"), inst), .null)  // no component named "id"
    }

    // MARK: matching

    func testNameBeatsIdAndFirstOccurrenceWins() {
        let inst = instance([
            component("x", "by-id", id: "金额"),
            component("金额", "by-name-1", id: "Money_1"),
            component("金额", "by-name-2", id: "Money_2"),
            component(nil, "no-name", id: "Only_Id"),
            component("dup-id-a", "first", id: "D"),
            component("dup-id-b", "second", id: "D"),
        ])
        XCTAssertEqual(mapOne(str("{金额}"), inst), .string("by-name-1"))
        XCTAssertEqual(mapOne(str("{Money_2}"), inst), .string("by-name-2"))
        XCTAssertEqual(mapOne(str("{Only_Id}"), inst), .string("no-name"))
        XCTAssertEqual(mapOne(str("{D}"), inst), .string("first"))
        // A name match whose value is empty still wins: the label is the authority.
        let empty = instance([component("k", "null"), component("z", "from-id", id: "k")])
        XCTAssertEqual(mapOne(str("{k}"), empty), .null)
    }

    // MARK: suites

    func testSuiteChildrenAddressableByLabel() {
        // The shape DingTalk sends: the suite's value is a JSON array of its components.
        let suiteValue = #"""
        [{"componentName":"DDSelectField","props":{"label":"付款类型","id":"DDSelectField_P1","bizAlias":"payType"},"value":"对公"},
         {"componentName":"MoneyField","props":{"label":"付款金额","id":"MoneyField_P2"},"value":"1,000.50"},
         {"label":"收款方","value":"某某公司","id":"TextField_P3"},
         {"name":"备注","value":"null"},
         {"componentName":"DDBizSuite","props":{"label":"内层"},"value":"[{\"label\":\"内层字段\",\"value\":\"深\"}]"},
         {"props":{"label":"分组"},"children":[{"props":{"label":"子项"},"value":7}]}]
        """#
        let inst = instance([
            component("付款套件", suiteValue, id: "DDBizSuite_1", type: "DDBizSuite"),
            component("事由", "采购"),
        ])
        let entries = [
            MappingEntry(field: "t", type: .string, value: "{付款类型}"),
            MappingEntry(field: "a", type: .decimal, value: "{付款金额}"),
            MappingEntry(field: "p", type: .string, value: "{收款方}"),
            MappingEntry(field: "pid", type: .string, value: "{TextField_P3}"),
            MappingEntry(field: "idp", type: .decimal, value: "{MoneyField_P2}"),
            MappingEntry(field: "n", type: .string, value: "{备注}"),
            MappingEntry(field: "deep", type: .string, value: "{内层字段}"),
            MappingEntry(field: "child", type: .int, value: "{子项}"),
            MappingEntry(field: "top", type: .string, value: "{事由}"),
            MappingEntry(field: "raw", type: .json, value: "{付款套件}"),
        ]
        let row = try? Mapper(entries: entries, timeZone: shanghai).map(inst).get()
        XCTAssertEqual(row?.values, [
            .string("对公"), .decimal("1000.50"), .string("某某公司"), .string("某某公司"),
            .decimal("1000.50"), .null, .string("深"), .int(7), .string("采购"), .json(suiteValue),
        ])
    }

    func testTopLevelNameBeatsSuiteLabelWhichBeatsTopLevelId() {
        let suite = component("套件", #"[{"label":"金额","value":"suite"},{"label":"其他","value":"suite-other"}]"#,
                              type: "DDBizSuite")
        let inst = instance([suite, component("金额", "top"), component("x", "by-id", id: "其他")])
        XCTAssertEqual(mapOne(str("{金额}"), inst), .string("top"))
        XCTAssertEqual(mapOne(str("{其他}"), inst), .string("suite-other"))
    }

    func testUnreadableSuiteIsIgnored() {
        let inst = instance([component("套件", "not json", type: "DDBizSuite"), component("b", "ok")])
        XCTAssertEqual(mapOne(str("{a}|{b}"), inst), .string("|ok"))
        let objectShape = instance([component("套件", #"{"children":[{"label":"a","value":"v"}]}"#, type: "DDBizSuite")])
        XCTAssertEqual(mapOne(str("{a}"), objectShape), .string("v"))
    }

    // MARK: tables

    func testEmptyTableFieldIsNull() {
        let schema = #"[{"label":"品名","key":"TextField_1"},{"label":"数量","key":"NumberField_2"}]"#
        let rows = #"[{"rowValue":[{"label":"品名","value":"螺丝","key":"TextField_1"}],"rowNumber":"TableField_1"}]"#
        let col = MappingEntry(field: "detail", type: .json, value: "{明细}")
        XCTAssertEqual(mapOne(col, instance([component("明细", schema, type: "TableField")])), .null)
        XCTAssertEqual(mapOne(col, instance([component("明细", "[]", type: "TableField")])), .null)
        XCTAssertEqual(mapOne(col, instance([component("明细", rows, type: "TableField")])), .json(rows))
        // The rule is about TableFields: the same text in a text field is just text.
        XCTAssertEqual(mapOne(str("{明细}"), instance([component("明细", "[]")])), .string("[]"))
        // In a longer template an empty table contributes nothing.
        XCTAssertEqual(mapOne(str("明细:{明细}"), instance([component("明细", schema, type: "TableField")])),
                       .string("明细:"))
    }

    // MARK: map / default / required

    func testMapThenDefaultThenRequiredThenConversion() {
        let statusMap = ["COMPLETED": "已完成", "RUNNING": "审批中", "TERMINATED": ""]
        let col = MappingEntry(field: "s", type: .string, value: "{status}", defaultValue: "未知", map: statusMap)
        XCTAssertEqual(mapOne(col, instance([], attributes: ["status": "COMPLETED"])), .string("已完成"))
        XCTAssertEqual(mapOne(col, instance([], attributes: ["status": "CANCELED"])), .string("CANCELED"))
        XCTAssertEqual(mapOne(col, instance([], attributes: [:])), .string("未知"))      // default, not mapped
        XCTAssertEqual(mapOne(col, instance([], attributes: ["status": "TERMINATED"])), .string("未知"))

        // NULL is never looked up in the map, even under the key "null".
        let nullKey = MappingEntry(field: "s", type: .string, value: "{a}", map: ["null": "空", "": "空"])
        XCTAssertEqual(mapOne(nullKey, instance([component("a", "null")])), .null)

        // The default is converted like any value, and `required` only rejects what is still NULL.
        let amount = MappingEntry(field: "amt", type: .decimal, value: "{金额}", required: true, defaultValue: "0.00")
        XCTAssertEqual(mapOne(amount, instance([])), .decimal("0.00"))
        let badDefault = MappingEntry(field: "amt", type: .int, value: "{金额}", defaultValue: "n/a")
        let r1 = rejectOf([badDefault], instance([], id: "i-9"))
        XCTAssertEqual(r1?.column, "amt")
        XCTAssertEqual(r1?.rawValue, "n/a")

        let required = MappingEntry(field: "dept", type: .string, value: "{部门}", required: true)
        let r2 = rejectOf([str("{a}"), required], instance([component("部门", "null")], id: "i-10"))
        XCTAssertEqual(r2?.instanceId, "i-10")
        XCTAssertEqual(r2?.column, "dept")
        XCTAssertNil(r2?.rawValue)
        XCTAssertEqual(r2?.reason, "required value is missing")

        // map runs before conversion: a label can be translated into a number.
        let level = MappingEntry(field: "lvl", type: .int, value: "{级别}", map: ["高": "3", "低": "1"])
        XCTAssertEqual(mapOne(level, instance([component("级别", "高")])), .int(3))
        XCTAssertEqual(rejectOf([level], instance([component("级别", "中")]))?.rawValue, "中")
    }

    func testFirstRejectStopsTheRow() {
        let entries = [
            MappingEntry(field: "a", type: .int, value: "{a}"),
            MappingEntry(field: "b", type: .int, value: "{b}"),
        ]
        let r = rejectOf(entries, instance([component("a", "x"), component("b", "y")], id: "i-2"))
        XCTAssertEqual(r?.column, "a")
        XCTAssertEqual(r?.instanceId, "i-2")
    }

    func testInvalidTemplateRejectsEveryInstanceAndIsReported() {
        let entries = [MappingEntry(field: "ok", type: .string, value: "{a}"),
                       MappingEntry(field: "broken", type: .string, value: "{a")]
        let r = rejectOf(entries, instance([component("a", "v")], id: "i-3"))
        XCTAssertEqual(r?.column, "broken")
        XCTAssertTrue(r?.reason.contains("unclosed '{'") ?? false, r?.reason ?? "")
        let errors = Mapper.templateErrors(in: entries)
        XCTAssertEqual(errors.count, 1)
        XCTAssertTrue(errors[0].hasPrefix("column broken: template \"{a\""), errors[0])
    }

    func testTextIsKeptByteForByte() {
        let tricky = "  \"引号\" 'single' \\n\\ 反斜杠\t\r\n😀👨‍👩‍👧 e\u{301} \u{0}end  "
        XCTAssertEqual(mapOne(str("{a}"), instance([component("a", tricky)])), .string(tricky))
        XCTAssertEqual(mapOne(str("<{a}>"), instance([component("a", tricky)])), .string("<\(tricky)>"))
        XCTAssertEqual(mapOne(MappingEntry(field: "t", type: .string, value: "{title}"),
                              instance([], attributes: ["title": tricky])), .string(tricky))
    }

    func testRowsAreAlignedWithEntries() throws {
        let entries = [
            MappingEntry(field: "id", type: .string, value: "{id}", key: true),
            MappingEntry(field: "n", type: .int, value: "{数量}"),
            MappingEntry(field: "d", type: .date, value: "{日期}"),
            MappingEntry(field: "j", type: .json, value: "{多选}"),
        ]
        let inst = instance([component("数量", "1,200", type: "NumberField"),
                             component("日期", "2024-02-29", type: "DDDateField"),
                             component("多选", #"["A","B"]"#, type: "DDMultiSelectField")], id: "row-1")
        let row = try Mapper(entries: entries, timeZone: utc).map(inst).get()
        XCTAssertEqual(row, MappedRow(instanceId: "row-1",
                                      values: [.string("row-1"), .int(1200), .date(dt(2024, 2, 29)), .json(#"["A","B"]"#)]))
    }
}
