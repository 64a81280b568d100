import Foundation
import XCTest
@testable import DingTalkSimulator

final class GeneratorTests: XCTestCase {
    private let from = fixedNow - 40 * day

    private func make(seed: UInt64, count: Int = 300) -> [SimInstance] {
        var g = ReferenceFormGenerator(seed: seed, processCode: "PROC-X")
        return g.make(count: count, fromMs: from, toMs: fixedNow)
    }

    private func value(_ i: SimInstance, _ label: String) -> String? {
        i.components.first { $0.name == label }?.value
    }

    func testSameSeedSameInstancesOtherSeedOtherInstances() {
        XCTAssertEqual(make(seed: 42), make(seed: 42))
        XCTAssertNotEqual(make(seed: 42).map(\.id), make(seed: 43).map(\.id))
        var g1 = ReferenceFormGenerator(seed: 5), g2 = ReferenceFormGenerator(seed: 5)
        let a = g1.make(count: 10, fromMs: from, toMs: fixedNow) + g1.make(count: 10, fromMs: from, toMs: fixedNow)
        let b = g2.make(count: 10, fromMs: from, toMs: fixedNow) + g2.make(count: 10, fromMs: from, toMs: fixedNow)
        XCTAssertEqual(a, b, "successive batches are deterministic too")
        XCTAssertEqual(Set(a.map(\.id)).count, 20, "a generator never repeats an id")
    }

    func testInstancesLookLikeDingTalkOnes() throws {
        let all = make(seed: 42)
        let uuid = try NSRegularExpression(pattern: "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
        for i in all {
            XCTAssertEqual(uuid.numberOfMatches(in: i.id, range: NSRange(i.id.startIndex..., in: i.id)), 1, i.id)
            XCTAssertEqual(i.processCode, "PROC-X")
            XCTAssertTrue((from...fixedNow).contains(i.createTimeMs))
            XCTAssertEqual(i.finishTimeMs != nil, i.isFinal, "finish time only on final instances")
            if let f = i.finishTimeMs { XCTAssertGreaterThanOrEqual(f, i.createTimeMs) }
            XCTAssertEqual(i.status == "COMPLETED", !i.result.isEmpty, "only completed ones carry a result")
            XCTAssertTrue(i.title.hasSuffix("万师傅充值单"))
            XCTAssertEqual(i.businessId.count, 17)
            XCTAssertEqual(i.bizAction, "NONE")
        }
        XCTAssertEqual(Set(all.map(\.id)).count, all.count)
        let statuses = Set(all.map { "\($0.status)/\($0.result)" })
        XCTAssertEqual(statuses, ["NEW/", "RUNNING/", "COMPLETED/agree", "COMPLETED/refuse", "TERMINATED/", "CANCELED/"])
    }

    func testEveryInstanceCarriesTheReferenceForm() {
        let all = make(seed: 42)
        let expected = ReferenceFormGenerator.fields
        for i in all {
            let named = i.components.filter { $0.name != nil }
            XCTAssertEqual(named.map { $0.name! }, expected.map(\.name))
            XCTAssertEqual(named.map(\.componentType), expected.map(\.type))
            XCTAssertEqual(i.components.filter { $0.name == nil }.map(\.componentType), ["TextNote"], "one unnamed note")
            for c in named { XCTAssertEqual(c.id, ReferenceFormGenerator.componentId(label: c.name!, type: c.componentType)) }
            XCTAssertNotNil(value(i, "月份")?.range(of: #"^\d{4}-\d{2}$"#, options: .regularExpression))
            XCTAssertNotNil(value(i, "收款账号")?.range(of: #"^\d{16,19}$"#, options: .regularExpression))
            let select = i.components.first { $0.name == "对应科目" }!
            let ext = try? JSONSerialization.jsonObject(with: Data(select.extValue!.utf8)) as? [String: String]
            XCTAssertEqual(ext?["label"], select.value)
            XCTAssertTrue(ext?["key"]?.hasPrefix("option_") ?? false)
            let money = i.components.first { $0.name == "充值金额" }!
            XCTAssertNotNil(try? JSONSerialization.jsonObject(with: Data(money.extValue!.utf8)) as? [String: String])
        }
        XCTAssertEqual(ReferenceFormGenerator.componentId(label: "充值金额", type: "MoneyField").count, "MoneyField_".count + 6)
    }

    func testTablesAreRowsOrTheEmptyTemplateSchema() throws {
        var rows = 0, schemas = 0
        for i in make(seed: 42) {
            let table = try XCTUnwrap(i.components.first { $0.componentType == "TableField" })
            let parsed = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(table.value!.utf8)) as? [[String: Any]])
            if parsed.first?["rowValue"] != nil { rows += 1 } else { schemas += 1; XCTAssertNotNil(parsed.first?["label"]) }
        }
        XCTAssertGreaterThan(rows, 100)
        XCTAssertGreaterThan(schemas, 5)
    }

    func testEveryAwkwardCaseOccursRegularly() {
        let all = make(seed: 42)
        let texts = all.flatMap { $0.components.compactMap(\.value) }
        func count(_ p: (String) -> Bool) -> Int { texts.filter(p).count }
        let cases: [(String, Int)] = [
            ("4-byte emoji", count { $0.contains("😀") }),
            ("flag", count { $0.contains("🇨🇳") }),
            ("single quote", count { $0.contains("'") }),
            ("double quote", count { $0.contains("\"") && !$0.hasPrefix("[") }),
            ("backslash", count { $0.contains("\\") }),
            ("SQL fragment", count { $0.contains("'); DROP TABLE x; --") }),
            ("literal null", count { $0 == "null" }),
            ("empty string", count { $0.isEmpty }),
            ("comma amount", count { $0 == "1,200.50" }),
            ("1200", count { $0 == "1200" }),
            ("35662.88", count { $0 == "35662.88" }),
            ("0.10", count { $0 == "0.10" }),
            ("long text", count { $0.count >= 1000 && $0.count <= 3000 && !$0.hasPrefix("[") }),
            ("newline", count { $0.contains("\n") }),
            ("rare CJK", count { $0.contains("𠀀") }),
            ("missing value", all.filter { $0.components.contains { $0.value == nil } }.count),
            ("root dept", all.filter { $0.originatorDeptId == "-1" }.count),
        ]
        for (name, n) in cases { XCTAssertGreaterThanOrEqual(n, 5, "\(name) occurs only \(n) times in 300") }
        let sameMs = Dictionary(grouping: all, by: \.createTimeMs).values.filter { $0.count > 1 }.count
        XCTAssertGreaterThanOrEqual(sameMs, 5, "several instances created in the same millisecond")
    }

    func testChineseUpperCaseAmounts() {
        XCTAssertEqual(ReferenceFormGenerator.upper("1,200.50"), "壹仟贰佰元伍角")
        XCTAssertEqual(ReferenceFormGenerator.upper("1200"), "壹仟贰佰元整")
        XCTAssertEqual(ReferenceFormGenerator.upper("35662.88"), "叁万伍仟陆佰陆拾贰元捌角捌分")
        XCTAssertEqual(ReferenceFormGenerator.upper("0.10"), "壹角")
        XCTAssertEqual(ReferenceFormGenerator.upper("1005.05"), "壹仟零伍元零伍分")
        XCTAssertEqual(ReferenceFormGenerator.upper("0"), "零元整")
    }
}
