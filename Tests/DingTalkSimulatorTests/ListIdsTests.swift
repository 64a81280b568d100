import Foundation
import XCTest
@testable import DingTalkSimulator

final class ListIdsTests: XCTestCase {
    private func ids(_ r: RawConnection.Response?) -> [String] {
        ((r?.json?["result"] as? [String: Any])?["list"] as? [String]) ?? []
    }

    private func nextCursor(_ r: RawConnection.Response?) -> Int? {
        ((r?.json?["result"] as? [String: Any])?["next_cursor"] as? NSNumber)?.intValue
    }

    /// Reads a whole window the way a client does, returning ids and page sizes.
    private func readAll(_ client: DingClient, _ fields: [String: Any]) -> ([String], [Int]) {
        var all: [String] = [], pages: [Int] = []
        var cursor = 0
        while true {
            var f = fields
            f["cursor"] = cursor
            let r = client.listIds(f)
            XCTAssertEqual(r?.json?["errcode"] as? Int, 0)
            let page = ids(r)
            all += page
            pages.append(page.count)
            guard let next = nextCursor(r) else { return (all, pages) }
            cursor = next
            if pages.count > 2000 { XCTFail("runaway cursor loop"); return (all, pages) }
        }
    }

    func testPagesInCreationOrderAndOmitsNextCursorOnLastPage() throws {
        let sim = try startSim()
        // Shuffled times with ties: the order must be creation time, then id.
        var times = (0..<45).map { fixedNow - day + Int64($0 / 3) * 1000 }
        times.reverse()
        sim.add(plainInstances(times))
        let client = try DingClient(sim)
        client.fetchToken()

        let first = client.listIds(["start_time": fixedNow - 2 * day, "size": 20])
        let json = try XCTUnwrap(first?.json)
        XCTAssertEqual(json["errmsg"] as? String, "ok")
        XCTAssertFalse((json["request_id"] as? String ?? "").isEmpty)
        XCTAssertEqual(nextCursor(first), 20)

        let (all, pages) = readAll(client, ["start_time": fixedNow - 2 * day, "size": 20])
        XCTAssertEqual(pages, [20, 20, 5])
        let expected = sim.instances().map(\.id)
        XCTAssertEqual(all, expected)
        XCTAssertEqual(expected, sim.instances().sorted { ($0.createTimeMs, $0.id) < ($1.createTimeMs, $1.id) }.map(\.id))

        let last = client.listIds(["start_time": fixedNow - 2 * day, "size": 20, "cursor": 40])
        XCTAssertNotNil(last?.json?["result"])
        XCTAssertNil((last?.json?["result"] as? [String: Any])?["next_cursor"], "no next_cursor on the last page")
    }

    func testDefaultSizeIs20AndEndDefaultsToNow() throws {
        let sim = try startSim()
        sim.add(plainInstances((0..<25).map { fixedNow - 1000 * Int64($0) } + [fixedNow + 1], prefix: "a"))
        let client = try DingClient(sim)
        client.fetchToken()
        let r = client.listIds(["start_time": fixedNow - day])
        XCTAssertEqual(ids(r).count, 20)
        let (all, _) = readAll(client, ["start_time": fixedNow - day])
        XCTAssertEqual(all.count, 25, "the instance created after now is outside the default window")
    }

    func testWindowIsInclusiveAtBothEnds() throws {
        let sim = try startSim()
        let start = fixedNow - 10 * day, end = fixedNow - 5 * day
        sim.add(plainInstances([start - 1, start, start + 1, end - 1, end, end + 1]))
        let client = try DingClient(sim)
        client.fetchToken()
        let (all, _) = readAll(client, ["start_time": start, "end_time": end])
        XCTAssertEqual(all, ["inst-000001", "inst-000002", "inst-000003", "inst-000004"])
    }

    func testUseridListFiltersByOriginator() throws {
        let sim = try startSim()
        var a = plainInstances([fixedNow - 3000, fixedNow - 2000, fixedNow - 1000])
        a[1].originatorUserId = "someone"
        sim.add(a)
        let client = try DingClient(sim)
        client.fetchToken()
        XCTAssertEqual(ids(client.listIds(["start_time": fixedNow - day, "userid_list": "someone"])), ["inst-000001"])
        let eleven = (0..<11).map { "u\($0)" }.joined(separator: ",")
        XCTAssertEqual(errcode(client.listIds(["start_time": fixedNow - day, "userid_list": eleven])), 400002)
    }

    func testParameterLimits() throws {
        let sim = try startSim()
        sim.add(plainInstances([fixedNow - 1000]))
        let client = try DingClient(sim)
        client.fetchToken()
        XCTAssertEqual(errcode(client.listIds(["start_time": fixedNow - day, "size": 21])), 400002)
        XCTAssertEqual(errcode(client.listIds(["start_time": fixedNow - day, "size": 20])), 0)

        let end = fixedNow - day
        XCTAssertEqual(errcode(client.listIds(["start_time": end - 120 * day, "end_time": end])), 0, "exactly 120 days is fine")
        let tooLong = client.listIds(["start_time": end - 120 * day - 1, "end_time": end])
        XCTAssertEqual(errcode(tooLong), 400003)
        XCTAssertEqual(tooLong?.json?["errmsg"] as? String, "时间戳无效")

        XCTAssertEqual(errcode(client.listIds(["start_time": fixedNow - 365 * day, "end_time": fixedNow - 300 * day])), 0)
        XCTAssertEqual(errcode(client.listIds(["start_time": fixedNow - 365 * day - 1, "end_time": fixedNow - 300 * day])), 400003)
        XCTAssertEqual(errcode(client.listIds(["start_time": fixedNow - day, "end_time": fixedNow - 2 * day])), 400003)

        let unknown = client.listIds(["start_time": fixedNow - day, "process_code": "PROC-NOPE"])
        XCTAssertEqual(errcode(unknown), 400002)
        XCTAssertTrue((unknown?.json?["errmsg"] as? String ?? "").contains("PROC-NOPE"))
        XCTAssertEqual(errcode(client.listIds(["process_code": "PROC-SIM-WAN-RECHARGE"])), 400002, "start_time is required")
        XCTAssertEqual(errcode(client.conn.request("POST", "/topapi/processinstance/listids?access_token=\(client.token)", body: "{not json")), 400002)
    }

    func testAnotherProcessCodeIsKnownOnceItHasInstancesAndIsSeparate() throws {
        let sim = try startSim()
        sim.add(plainInstances([fixedNow - 2000]) + plainInstances([fixedNow - 1000], processCode: "PROC-OTHER", prefix: "o"))
        let client = try DingClient(sim)
        client.fetchToken()
        XCTAssertEqual(ids(client.listIds(["start_time": fixedNow - day, "process_code": "PROC-OTHER"])), ["o-000000"])
        XCTAssertEqual(ids(client.listIds(["start_time": fixedNow - day])), ["inst-000000"])
    }

    func testStringNumbersAndFormBodiesAreAccepted() throws {
        let sim = try startSim()
        sim.add(plainInstances([fixedNow - 1000]))
        let client = try DingClient(sim)
        client.fetchToken()
        XCTAssertEqual(ids(client.listIds(["start_time": String(fixedNow - day), "size": "5"])), ["inst-000000"])
        let form = "process_code=PROC-SIM-WAN-RECHARGE&start_time=\(fixedNow - day)&size=5"
        let body = Array(form.utf8)
        client.conn.sendRaw("POST /topapi/processinstance/listids?access_token=\(client.token) HTTP/1.1\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: \(body.count)\r\n\r\n\(form)")
        XCTAssertEqual(ids(client.conn.readResponse()), ["inst-000000"])
    }

    func testAtMost10000IdsAreReadableThroughOneWindow() throws {
        let sim = try startSim()
        sim.add(plainInstances((0..<10_050).map { fixedNow - 50 * day + Int64($0) * 1000 }))
        let client = try DingClient(sim)
        client.fetchToken()
        let (all, pages) = readAll(client, ["start_time": fixedNow - 60 * day, "size": 15])
        XCTAssertEqual(all.count, 10_000)
        XCTAssertEqual(Set(all).count, 10_000)
        XCTAssertEqual(all.last, "inst-009999")
        XCTAssertEqual(pages.last, 10, "the page reaching index 10,000 is cut there")
        XCTAssertEqual(pages.count, 667)

        let past = client.listIds(["start_time": fixedNow - 60 * day, "size": 20, "cursor": 10_000])
        XCTAssertEqual(ids(past), [])
        XCTAssertNil(nextCursor(past))
        // A narrower window reaches the rest.
        let (rest, _) = readAll(client, ["start_time": fixedNow - 50 * day + 9_990_000, "size": 20])
        XCTAssertEqual(rest.count, 60)
    }
}
