import Foundation
import XCTest
@testable import DingSyncMapping

/// Real answers: DingTalk's documented example, and 万师傅充值单 instances written the way
/// `processinstance/get` returns them (every value a string; JSON nested inside strings).
final class ReferenceJobTests: XCTestCase {
    func testOfficialFixtureAttributesAndComponentByNameAndId() throws {
        let inst = try InstanceDetail.decode(processInstanceJSON: fixtureProcessInstance("get-official"),
                                             id: "a171de6c-8bb7-4f5a", processCode: "PROC-OFFICIAL")
        let entries = [
            MappingEntry(field: "id", type: .string, value: "{id}", key: true),
            MappingEntry(field: "code", type: .string, value: "{process_code}"),
            MappingEntry(field: "title", type: .string, value: "{title}"),
            MappingEntry(field: "status", type: .string, value: "{status}", map: ["COMPLETED": "已完成"]),
            MappingEntry(field: "result", type: .string, value: "{result}"),
            MappingEntry(field: "dept", type: .string, value: "{originator_dept_id}/{originator_dept_name}"),
            MappingEntry(field: "days_by_name", type: .int, value: "{请假天数}"),
            MappingEntry(field: "days_by_id", type: .decimal, value: "{TextField_23QXWOU7G4JK0}"),
            MappingEntry(field: "days_form", type: .string, value: "{form:请假天数}天"),
            MappingEntry(field: "created", type: .datetime, value: "{create_time}"),
            MappingEntry(field: "finished", type: .datetime, value: "{finish_time}"),
            MappingEntry(field: "created_date", type: .date, value: "{create_time}"),
            MappingEntry(field: "main", type: .string, value: "{main_process_instance_id}"),
        ]
        let row = try Mapper(entries: entries, timeZone: shanghai).map(inst).get()
        XCTAssertEqual(row.instanceId, "a171de6c-8bb7-4f5a")
        XCTAssertEqual(row.values, [
            .string("a171de6c-8bb7-4f5a"), .string("PROC-OFFICIAL"), .string("测试用户提交的请假"),
            .string("已完成"), .string("agree"), .string("433xxx/测试2"), .int(1), .decimal("1"),
            .string("1天"), .datetime(dt(2020, 12, 21, 15, 30, 26)), .datetime(dt(2020, 12, 21, 15, 30, 27)),
            .date(dt(2020, 12, 21)), .null,
        ])
    }

    func testOfficialFixtureTimesInOtherZones() throws {
        let inst = try InstanceDetail.decode(processInstanceJSON: fixtureProcessInstance("get-official"),
                                             id: "x", processCode: "P")
        let entries = [MappingEntry(field: "c", type: .datetime, value: "{create_time}"),
                       MappingEntry(field: "d", type: .date, value: "{create_time}")]
        let inUTC = try Mapper(entries: entries, timeZone: utc).map(inst).get()
        XCTAssertEqual(inUTC.values, [.datetime(dt(2020, 12, 21, 7, 30, 26)), .date(dt(2020, 12, 21))])
        // December: New York is on EST (UTC-5), 13 hours behind Beijing.
        let inNY = try Mapper(entries: entries, timeZone: newYork).map(inst).get()
        XCTAssertEqual(inNY.values, [.datetime(dt(2020, 12, 21, 2, 30, 26)), .date(dt(2020, 12, 21))])
    }

    static let completedJSON = #"""
    {
      "title": "王芳提交的万师傅充值单",
      "create_time": "2026-06-03 09:15:42",
      "finish_time": "2026-06-03 18:02:10",
      "originator_userid": "manager7421",
      "originator_dept_id": -1,
      "originator_dept_name": "万师傅事业部",
      "status": "COMPLETED",
      "result": "agree",
      "business_id": "202606030915000412345",
      "biz_action": "NONE",
      "attached_process_instance_ids": [],
      "cc_userids": ["fin001"],
      "form_component_values": [
        {"component_type": "DepartmentField", "name": "部门", "id": "DepartmentField_1K9Q2", "value": "华东运营中心", "ext_value": "[{\"id\":\"43210\",\"name\":\"华东运营中心\"}]"},
        {"component_type": "DDDateField", "name": "月份", "id": "DDDateField_1LX3", "value": "2026-06"},
        {"component_type": "TextField", "name": "用途明细", "id": "TextField_A1", "value": "6月师傅端推广充值"},
        {"component_type": "TextField", "name": "对应科目", "id": "TextField_A2", "value": "销售费用-推广费"},
        {"component_type": "TextField", "name": "充值账户", "id": "TextField_A3", "value": "wanshifu_hd_01"},
        {"component_type": "TextareaField", "name": "费用说明", "id": "TextareaField_A4", "value": " 第一行\n第二行 \"引号\" \\ 反斜杠 😀 "},
        {"component_type": "MoneyField", "name": "充值金额", "id": "MoneyField_A5", "value": "35662.88", "ext_value": "{\"upper\":\"叁万伍仟陆佰陆拾贰元捌角捌分\",\"unit\":\"元\"}"},
        {"component_type": "DDSelectField", "name": "付款方式", "id": "DDSelectField_A6", "value": "对公转账", "ext_value": "{\"label\":\"对公转账\",\"key\":\"option_0\"}"},
        {"component_type": "TextField", "name": "其他付款账户", "id": "TextField_A7", "value": "null"},
        {"component_type": "TextField", "name": "收款人姓名", "id": "TextField_A8", "value": "北京万师傅科技有限公司"},
        {"component_type": "TextField", "name": "收款账号", "id": "TextField_A9", "value": "1100 2233 4455 6677"},
        {"component_type": "TextField", "name": "开户银行", "id": "TextField_A10", "value": "招商银行北京分行"},
        {"component_type": "DDSelectField", "name": "财务付款方式", "id": "DDSelectField_A11", "value": "网银", "ext_value": "{\"label\":\"网银\",\"key\":\"option_1\"}"},
        {"component_type": "MoneyField", "name": "实际付款金额", "id": "MoneyField_A12", "value": "35,662.80"}
      ]
    }
    """#

    func testCompletedReferenceInstance() throws {
        let inst = try InstanceDetail.decode(processInstanceJSON: Data(Self.completedJSON.utf8),
                                             id: "inst-completed", processCode: "PROC-9E080FCB")
        let row = try Mapper(entries: referenceMapping, timeZone: shanghai).map(inst).get()
        XCTAssertEqual(row.values.count, referenceMapping.count)
        XCTAssertEqual(value(row, "bfn_id"), .string("inst-completed"))
        XCTAssertEqual(value(row, "department"), .string("华东运营中心"))
        XCTAssertEqual(value(row, "month"), .string("2026-06"))
        XCTAssertEqual(value(row, "purpose_details"), .string("6月师傅端推广充值"))
        XCTAssertEqual(value(row, "corresponding_subjects"), .string("销售费用-推广费"))
        XCTAssertEqual(value(row, "recharge_account"), .string("wanshifu_hd_01"))
        // Byte for byte: the leading/trailing spaces, newline, quotes, backslash and emoji survive.
        XCTAssertEqual(value(row, "expenses_explanation"), .string(" 第一行\n第二行 \"引号\" \\ 反斜杠 😀 "))
        XCTAssertEqual(value(row, "recharge_amount"), .decimal("35662.88"))
        XCTAssertEqual(value(row, "payment_method"), .string("对公转账"))
        XCTAssertEqual(value(row, "other_payment_account"), .null)
        XCTAssertEqual(value(row, "payee_name"), .string("北京万师傅科技有限公司"))
        XCTAssertEqual(value(row, "payment_account"), .string("1100 2233 4455 6677"))
        XCTAssertEqual(value(row, "payment_bank"), .string("招商银行北京分行"))
        XCTAssertEqual(value(row, "financial_payment_method"), .string("网银"))
        XCTAssertEqual(value(row, "actual_payment_amount"), .decimal("35662.80"))
        XCTAssertEqual(value(row, "create_time"), .datetime(dt(2026, 6, 3, 9, 15, 42)))
        XCTAssertEqual(value(row, "finish_time"), .datetime(dt(2026, 6, 3, 18, 2, 10)))
        XCTAssertEqual(value(row, "originator_userid"), .string("manager7421"))
        XCTAssertEqual(value(row, "originator_dept_id"), .string("-1"))
        XCTAssertEqual(value(row, "status"), .string("COMPLETED"))
        XCTAssertEqual(value(row, "result"), .string("agree"))
        XCTAssertEqual(value(row, "business_id"), .string("202606030915000412345"))
        XCTAssertEqual(value(row, "originator_dept_name"), .string("万师傅事业部"))
        XCTAssertEqual(value(row, "biz_action"), .string("NONE"))
        XCTAssertEqual(value(row, "expenses_explanation")?.jsonFragment,
                       #"" 第一行\n第二行 \"引号\" \\ 反斜杠 😀 ""#)
    }

    func testRunningReferenceInstanceHasNulls() throws {
        let json = #"""
        {"title": "李雷提交的万师傅充值单", "create_time": 1780452942000, "originator_userid": "u1",
         "originator_dept_id": "58001", "originator_dept_name": "华南运营中心", "status": "RUNNING",
         "result": "", "business_id": "202606041200000777", "biz_action": "MODIFY",
         "main_process_instance_id": "",
         "form_component_values": [
           {"component_type": "DepartmentField", "name": "部门", "id": "DepartmentField_1K9Q2", "value": "华南运营中心"},
           {"component_type": "DDDateField", "name": "月份", "id": "DDDateField_1LX3", "value": "2026-07"},
           {"component_type": "MoneyField", "name": "充值金额", "id": "MoneyField_A5", "value": "1,200"},
           {"component_type": "DDSelectField", "name": "付款方式", "id": "DDSelectField_A6", "value": "其他"},
           {"component_type": "TextField", "name": "其他付款账户", "id": "TextField_A7", "value": "支付宝 ali@example.com"},
           {"component_type": "MoneyField", "name": "实际付款金额", "id": "MoneyField_A12", "value": ""},
           {"component_type": "TextNote", "value": "请按月提交"}
         ]}
        """#
        let inst = try InstanceDetail.decode(processInstanceJSON: Data(json.utf8), id: "inst-running", processCode: "P")
        let row = try Mapper(entries: referenceMapping, timeZone: shanghai).map(inst).get()
        XCTAssertEqual(value(row, "department"), .string("华南运营中心"))
        XCTAssertEqual(value(row, "month"), .string("2026-07"))
        XCTAssertEqual(value(row, "recharge_amount"), .decimal("1200"))
        XCTAssertEqual(value(row, "payment_method"), .string("其他"))
        XCTAssertEqual(value(row, "other_payment_account"), .string("支付宝 ali@example.com"))
        XCTAssertEqual(value(row, "actual_payment_amount"), .null)   // ""
        XCTAssertEqual(value(row, "purpose_details"), .null)         // key missing
        XCTAssertEqual(value(row, "finish_time"), .null)             // absent until finished
        XCTAssertEqual(value(row, "result"), .null)                  // "" while running
        XCTAssertEqual(value(row, "biz_action"), .string("MODIFY"))
        // create_time sent as an epoch-ms number: 2026-06-03 02:15:42 UTC = 10:15:42 Beijing.
        XCTAssertEqual(value(row, "create_time"), .datetime(dt(2026, 6, 3, 10, 15, 42)))
    }

    func testBadAmountRejectsNamingInstanceColumnAndValue() throws {
        let json = #"""
        {"create_time": "2026-06-05 10:00:00", "status": "COMPLETED",
         "form_component_values": [
           {"component_type": "MoneyField", "name": "充值金额", "id": "MoneyField_A5", "value": "约3000元"}
         ]}
        """#
        let inst = try InstanceDetail.decode(processInstanceJSON: Data(json.utf8), id: "inst-bad", processCode: "P")
        let reject = try XCTUnwrap(rejectOf(referenceMapping, inst))
        XCTAssertEqual(reject.instanceId, "inst-bad")
        XCTAssertEqual(reject.column, "recharge_amount")
        XCTAssertEqual(reject.rawValue, "约3000元")
        XCTAssertTrue(reject.reason.contains("not a decimal"), reject.reason)
        XCTAssertTrue(reject.description.contains("inst-bad") && reject.description.contains("recharge_amount"))
    }
}
