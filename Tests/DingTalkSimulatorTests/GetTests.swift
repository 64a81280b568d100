import Foundation
import XCTest
@testable import DingTalkSimulator

final class GetTests: XCTestCase {
    /// DingTalk's documented example answer, kept in the mapping tests' fixtures.
    private func officialFixture() throws -> [String: Any] {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("DingSyncMappingTests/Fixtures/get-official.json")
        return try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
    }

    private func completed() -> SimInstance {
        SimInstance(id: "b6a42e32-1867-499c-94f2-0001", processCode: "PROC-SIM-WAN-RECHARGE",
                    createTimeMs: 1_608_535_826_000, finishTimeMs: 1_608_535_827_000,
                    title: "测试用户提交的请假", originatorUserId: "user456", originatorDeptId: "433",
                    originatorDeptName: "测试2", status: "COMPLETED", result: "agree", businessId: "20201",
                    components: [
                        SimComponent(name: "请假天数", id: "TextField_23QXWOU7G4JK0", componentType: "TextField", value: "1"),
                        SimComponent(name: nil, id: "TextNote_1", componentType: "TextNote", value: "说明"),
                        SimComponent(name: "金额", id: "MoneyField_1", componentType: "MoneyField", value: nil,
                                     extValue: #"{"upper":"壹元整","unit":"元"}"#),
                    ])
    }

    private func kinds(_ obj: [String: Any]) -> [String: String] {
        obj.mapValues { v in v is String ? "string" : v is [Any] ? "array" : v is [String: Any] ? "object" : "number" }
    }

    func testShapeMatchesTheOfficialExample() throws {
        let fixture = try officialFixture()
        let sim = try startSim(clock: nil)
        sim.add([completed()])
        let client = try DingClient(sim)
        client.fetchToken()
        let answer = try XCTUnwrap(client.get("b6a42e32-1867-499c-94f2-0001")?.json)

        XCTAssertEqual(Set(answer.keys), Set(fixture.keys))
        XCTAssertEqual(answer["errcode"] as? Int, 0)
        let ours = try XCTUnwrap(answer["process_instance"] as? [String: Any])
        let theirs = try XCTUnwrap(fixture["process_instance"] as? [String: Any])
        XCTAssertEqual(Set(ours.keys), Set(theirs.keys))
        XCTAssertEqual(kinds(ours), kinds(theirs), "every field has the official JSON type")

        // Same field values where the instance carries the fixture's data.
        for key in ["create_time", "finish_time", "title", "originator_userid", "originator_dept_name", "result",
                    "business_id", "biz_action", "status"] {
            XCTAssertEqual(ours[key] as? String, theirs[key] as? String, key)
        }
        XCTAssertEqual(ours["originator_dept_id"] as? String, "433")

        let task = try XCTUnwrap((ours["tasks"] as? [[String: Any]])?.first)
        let officialTask = try XCTUnwrap((theirs["tasks"] as? [[String: Any]])?.first)
        XCTAssertEqual(Set(task.keys), Set(officialTask.keys))
        let records = try XCTUnwrap(ours["operation_records"] as? [[String: Any]])
        let officialRecord = try XCTUnwrap((theirs["operation_records"] as? [[String: Any]])?.first)
        XCTAssertEqual(Set(records[0].keys), Set(officialRecord.keys))
        XCTAssertEqual(records[0]["operation_type"] as? String, "START_PROCESS_INSTANCE")

        let comps = try XCTUnwrap(ours["form_component_values"] as? [[String: Any]])
        let officialComp = try XCTUnwrap((theirs["form_component_values"] as? [[String: Any]])?.first)
        XCTAssertEqual(Set(comps[0].keys), Set(officialComp.keys))
        XCTAssertEqual(comps[0]["value"] as? String, "1")
        XCTAssertEqual(Set(comps[1].keys), ["id", "component_type", "value"], "no name key when the component has none")
        XCTAssertEqual(Set(comps[2].keys), ["id", "component_type", "name", "ext_value"], "no value key when nil")
    }

    func testOpenInstanceHasNoFinishTimeAndModifiedInstancesPointAtEachOther() throws {
        let sim = try startSim()
        var open = completed()
        open.status = "RUNNING"; open.result = ""; open.finishTimeMs = nil
        sim.add([open])
        let fresh = sim.modify(originalId: open.id, at: fixedNow - 1000, biz: "MODIFY") { $0.title = "改过的" }
        XCTAssertEqual(sim.instance(open.id)?.attachedIds, [fresh.id])

        let client = try DingClient(sim)
        client.fetchToken()
        let o = try XCTUnwrap(client.get(open.id)?.json?["process_instance"] as? [String: Any])
        XCTAssertNil(o["finish_time"])
        XCTAssertEqual(o["result"] as? String, "")
        XCTAssertEqual(o["attached_process_instance_ids"] as? [String], [fresh.id])
        XCTAssertNil(o["main_process_instance_id"])

        let n = try XCTUnwrap(client.get(fresh.id)?.json?["process_instance"] as? [String: Any])
        XCTAssertEqual(n["biz_action"] as? String, "MODIFY")
        XCTAssertEqual(n["main_process_instance_id"] as? String, open.id)
        XCTAssertEqual(n["title"] as? String, "改过的")
        XCTAssertEqual(n["create_time"] as? String, BeijingTime.format(fixedNow - 1000))
        XCTAssertEqual(BeijingTime.format(fixedNow), "2026-05-28 08:26:40")

        sim.update(fresh.id) { $0.status = "COMPLETED"; $0.result = "agree"; $0.finishTimeMs = fixedNow }
        let done = try XCTUnwrap(client.get(fresh.id)?.json?["process_instance"] as? [String: Any])
        XCTAssertEqual(done["finish_time"] as? String, "2026-05-28 08:26:40")
        XCTAssertEqual(done["status"] as? String, "COMPLETED")
    }

    func testUnknownOrRemovedIdIsAnErrorForThatInstance() throws {
        let sim = try startSim()
        sim.add(plainInstances([fixedNow - 1000]))
        let client = try DingClient(sim)
        client.fetchToken()
        XCTAssertEqual(errcode(client.get("inst-000000")), 0)
        sim.remove("inst-000000")
        let r = try XCTUnwrap(client.get("inst-000000")?.json)
        XCTAssertEqual(r["errcode"] as? Int, 400002)
        XCTAssertEqual(r["errmsg"] as? String, "实例不存在")
        XCTAssertNotNil(r["request_id"])
        XCTAssertEqual(errcode(client.conn.request("POST", "/topapi/processinstance/get?access_token=\(client.token)", body: "{}")), 400002)
    }

    /// Every generated instance, awkward data included, comes back as valid JSON whose
    /// components equal what the simulator holds, with non-ASCII as raw UTF-8.
    func testGeneratedInstancesRoundTripExactly() throws {
        let sim = try startSim()
        var gen = ReferenceFormGenerator(seed: 7)
        sim.add(gen.make(count: 120, fromMs: fixedNow - 30 * day, toMs: fixedNow))
        let client = try DingClient(sim)
        client.fetchToken()
        for inst in sim.instances() {
            let r = try XCTUnwrap(client.get(inst.id))
            XCTAssertFalse(r.text.contains("\\u"), "non-ASCII and emoji stay UTF-8")
            let pi = try XCTUnwrap(r.json?["process_instance"] as? [String: Any], "valid JSON for \(inst.id)")
            let comps = try XCTUnwrap(pi["form_component_values"] as? [[String: Any]])
            let decoded = comps.map {
                SimComponent(name: $0["name"] as? String, id: $0["id"] as? String ?? "", componentType: $0["component_type"] as? String ?? "",
                             value: $0["value"] as? String, extValue: $0["ext_value"] as? String)
            }
            XCTAssertEqual(decoded, inst.components)
            XCTAssertEqual(pi["status"] as? String, inst.status)
            XCTAssertEqual(pi["finish_time"] != nil, inst.isFinal)
            XCTAssertEqual(pi["originator_dept_id"] as? String, inst.originatorDeptId)
            XCTAssertEqual(pi["title"] as? String, inst.title)
        }
        XCTAssertEqual(sim.calls(.get), 120)
    }
}
