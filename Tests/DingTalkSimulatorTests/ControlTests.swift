import Foundation
import XCTest
@testable import DingTalkSimulator

/// The between-syncs controls the steady-state benchmark relies on (Control.swift).
final class ControlTests: XCTestCase {
    private func instance(_ id: String, at ms: Int64, status: String) -> SimInstance {
        let final = SimInstance.finalStatuses.contains(status)
        return SimInstance(id: id, processCode: "PROC-SIM-WAN-RECHARGE", createTimeMs: ms,
                           finishTimeMs: final ? ms + 1000 : nil, status: status, result: status == "COMPLETED" ? "agree" : "")
    }

    func testStepClosesTheOldestOpenOnesAndAddsOnlyUnknownIds() throws {
        let sim = try startSim()
        sim.add([
            instance("a", at: fixedNow - 5 * day, status: "RUNNING"),
            instance("b", at: fixedNow - 4 * day, status: "COMPLETED"),
            instance("c", at: fixedNow - 3 * day, status: "NEW"),
            instance("d", at: fixedNow - 2 * day, status: "RUNNING"),
        ])
        XCTAssertEqual(sim.openCount(), 3)
        let report = sim.step(adding: [instance("e", at: fixedNow - 1000, status: "RUNNING"),
                                       instance("a", at: fixedNow - 1000, status: "NEW")],
                              closing: 2, nowMs: fixedNow)
        XCTAssertEqual(report, SimStepReport(openBefore: 3, added: 1, closed: 2, openAfter: 2, total: 5))
        XCTAssertEqual(sim.instance("a")?.status, "COMPLETED", "the oldest open one is closed first")
        XCTAssertEqual(sim.instance("a")?.createTimeMs, fixedNow - 5 * day, "a known id is not replaced")
        XCTAssertEqual(sim.instance("c")?.status, "COMPLETED")
        XCTAssertEqual(sim.instance("c")?.result, "agree")
        XCTAssertEqual(sim.instance("c")?.finishTimeMs, fixedNow)
        XCTAssertEqual(sim.instance("d")?.status, "RUNNING", "only `closing` of them are closed")
        XCTAssertEqual(sim.instance("e")?.status, "RUNNING")
        XCTAssertEqual(report.json, #"{"open_before":3,"added":1,"closed":2,"open_after":2,"total":5}"#)
    }

    func testClosedAndAddedInstancesAreWhatTheAPIServes() throws {
        let sim = try startSim()
        sim.add([instance("old", at: fixedNow - 2 * day, status: "RUNNING")])
        sim.step(adding: [instance("new", at: fixedNow - 1000, status: "NEW")], closing: 1, nowMs: fixedNow)
        let client = try DingClient(sim)
        client.fetchToken()
        let old = client.get("old")?.json?["process_instance"] as? [String: Any]
        XCTAssertEqual(old?["status"] as? String, "COMPLETED")
        XCTAssertEqual(old?["result"] as? String, "agree")
        XCTAssertNotNil(old?["finish_time"])
        let listed = client.listIds(["start_time": fixedNow - 3 * day, "end_time": fixedNow])
        let ids = (listed?.json?["result"] as? [String: Any])?["list"] as? [String]
        XCTAssertEqual(ids, ["old", "new"])
    }

    func testStatsCountRequestsAndBothKindsOf90018ButNotSteps() throws {
        let sim = try startSim { $0.faults.qpsLimitPerAPI = 1 }
        sim.add([instance("x", at: fixedNow - day, status: "RUNNING")])
        let client = try DingClient(sim)
        client.fetchToken()
        _ = client.get("x")
        let second = client.get("x")  // same fixed second: over the limit of 1
        XCTAssertEqual(second?.json?["errcode"] as? Int, 90018)
        sim.step(adding: [], closing: 1, nowMs: fixedNow)
        let stats = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(sim.statsJSON().utf8)) as? [String: Int])
        XCTAssertEqual(stats, ["token": 1, "listids": 0, "get": 2, "qps_limit_90018": 1, "throttle_90018": 0, "instances": 1,
                               "v1_token": 0, "v1_query": 0, "v1_get": 0, "stream_open": 0, "stream_pushes": 0], "v1 calls are counted apart; legacy counts keep their meaning")
        sim.resetCounters()
        XCTAssertTrue(sim.statsJSON().contains(#""get":0,"#))
    }
}
