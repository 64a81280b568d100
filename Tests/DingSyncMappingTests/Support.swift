import Foundation
import XCTest
@testable import DingSyncMapping

let shanghai = TimeZone(identifier: "Asia/Shanghai")!
let utc = TimeZone(identifier: "UTC")!
let newYork = TimeZone(identifier: "America/New_York")!

/// The `process_instance` object of a fixture answer, re-encoded as its own JSON document.
func fixtureProcessInstance(_ name: String) throws -> Data {
    let url = try XCTUnwrap(Bundle.module.url(forResource: name, withExtension: "json", subdirectory: "Fixtures"))
    let answer = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
    let pi = try XCTUnwrap(answer["process_instance"])
    return try JSONSerialization.data(withJSONObject: pi)
}

func component(_ name: String?, _ value: String?, id: String? = nil, type: String? = "TextField") -> FormComponent {
    FormComponent(name: name, id: id, componentType: type, value: value)
}

func instance(_ components: [FormComponent], id: String = "inst-1",
              attributes: [String: String] = [:]) -> InstanceDetail {
    InstanceDetail(id: id, processCode: "PROC-TEST", attributes: attributes, components: components)
}

/// Maps one instance with one column and returns that column's value, failing the test on a reject.
func mapOne(_ entry: MappingEntry, _ inst: InstanceDetail, timeZone: TimeZone = shanghai,
            file: StaticString = #filePath, line: UInt = #line) -> MappedValue? {
    switch Mapper(entries: [entry], timeZone: timeZone).map(inst) {
    case .success(let row):
        XCTAssertEqual(row.instanceId, inst.id, file: file, line: line)
        return row.values.first
    case .failure(let reject):
        XCTFail("unexpected reject: \(reject)", file: file, line: line)
        return nil
    }
}

/// Maps one instance and returns the reject, failing the test if the instance mapped.
func rejectOf(_ entries: [MappingEntry], _ inst: InstanceDetail, timeZone: TimeZone = shanghai,
              file: StaticString = #filePath, line: UInt = #line) -> MappingReject? {
    switch Mapper(entries: entries, timeZone: timeZone).map(inst) {
    case .success(let row):
        XCTFail("expected a reject, got \(row.values)", file: file, line: line)
        return nil
    case .failure(let reject):
        return reject
    }
}

func dt(_ y: Int, _ mo: Int, _ d: Int, _ h: Int = 0, _ mi: Int = 0, _ s: Int = 0) -> LocalDateTime {
    LocalDateTime(year: y, month: mo, day: d, hour: h, minute: mi, second: s)
}

/// The reference job's mapping (config.md, "Reference job: 万师傅充值单").
let referenceMapping: [MappingEntry] = {
    let rows: [(String, String, ColumnType)] = [
        ("bfn_id", "{id}", .string), ("department", "{部门}", .string), ("month", "{月份}", .string),
        ("purpose_details", "{用途明细}", .string), ("corresponding_subjects", "{对应科目}", .string),
        ("recharge_account", "{充值账户}", .string), ("expenses_explanation", "{费用说明}", .string),
        ("recharge_amount", "{充值金额}", .decimal), ("payment_method", "{付款方式}", .string),
        ("other_payment_account", "{其他付款账户}", .string), ("payee_name", "{收款人姓名}", .string),
        ("payment_account", "{收款账号}", .string), ("payment_bank", "{开户银行}", .string),
        ("financial_payment_method", "{财务付款方式}", .string),
        ("actual_payment_amount", "{实际付款金额}", .decimal), ("create_time", "{create_time}", .datetime),
        ("finish_time", "{finish_time}", .datetime), ("originator_userid", "{originator_userid}", .string),
        ("originator_dept_id", "{originator_dept_id}", .string), ("status", "{status}", .string),
        ("result", "{result}", .string), ("business_id", "{business_id}", .string),
        ("originator_dept_name", "{originator_dept_name}", .string), ("biz_action", "{biz_action}", .string),
    ]
    return rows.map { MappingEntry(field: $0.0, type: $0.2, value: $0.1, key: $0.0 == "bfn_id") }
}()

func value(_ row: MappedRow, _ field: String, file: StaticString = #filePath, line: UInt = #line) -> MappedValue? {
    guard let i = referenceMapping.firstIndex(where: { $0.field == field }) else {
        XCTFail("no column \(field)", file: file, line: line)
        return nil
    }
    return row.values[i]
}
