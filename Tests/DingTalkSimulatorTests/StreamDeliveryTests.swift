import Foundation
import XCTest
@testable import DingTalkSimulator

/// Events from world changes, their frames, ACKs, redelivery, loss, the filter and the push
/// quota (dingtalk-stream.md, "Frames" and "Quotas").
final class StreamDeliveryTests: XCTestCase {
    /// A simulator, one instance set, and one connected client.
    private func connected(_ configure: (inout SimulatorOptions) -> Void = { _ in }) throws
        -> (DingTalkSimulator, TestClock, StreamTestClient) {
        let (sim, clock) = try startStreamSim(configure)
        let client = try StreamTestClient(sim)
        XCTAssertTrue(sim.waitUntilConnected(1, timeout: 5))
        return (sim, clock, client)
    }

    func testAFinishIsOneEventFrameWithStringHeadersAndDataAsAString() throws {
        let (sim, clock, client) = try connected()
        clock.advance(ms: 5000)
        sim.approve("inst-000001", result: "refuse")
        let frame = try XCTUnwrap(client.next())
        XCTAssertEqual(frame["specVersion"] as? String, "1.0")
        XCTAssertEqual(frame["type"] as? String, "EVENT")
        let headers = frame.headers
        XCTAssertEqual(Set(headers.keys), ["topic", "messageId", "contentType", "time", "eventType", "eventId",
                                           "eventCorpId", "eventBornTime", "eventUnifiedAppId"])
        for (k, v) in headers { XCTAssertTrue(v is String, "header \(k) must be a string") }
        XCTAssertEqual(headers["topic"] as? String, "*")
        XCTAssertEqual(headers["eventType"] as? String, "bpms_instance_change")
        XCTAssertEqual(headers["contentType"] as? String, "application/json")
        XCTAssertEqual(headers["eventBornTime"] as? String, String(fixedNow + 5000))
        XCTAssertEqual(headers["time"] as? String, String(fixedNow + 5000))
        XCTAssertTrue(frame["data"] is String, "data is a JSON document inside a string")
        let data = try XCTUnwrap(frame.dataJSON)
        XCTAssertEqual(data["processInstanceId"] as? String, "inst-000001")
        XCTAssertEqual(data["processCode"] as? String, "PROC-SIM-WAN-RECHARGE")
        XCTAssertEqual(data["type"] as? String, "finish")
        XCTAssertEqual(data["result"] as? String, "refuse")
        XCTAssertEqual((data["createTime"] as? NSNumber)?.int64Value, fixedNow - day + 1000)
        XCTAssertEqual((data["finishTime"] as? NSNumber)?.int64Value, fixedNow + 5000)
        XCTAssertEqual(data["staffId"] as? String, "user001")
        XCTAssertNotNil(data["title"] as? String)
        XCTAssertNotNil(data["url"] as? String)
        XCTAssertEqual(sim.streamStats.pushes, 1)
        XCTAssertEqual(sim.pendingAcks, 1)

        client.answer(frame)
        XCTAssertTrue(sim.waitUntilAcked(timeout: 5))
        XCTAssertEqual(sim.streamStats.acks, 1)
        clock.advance(ms: 60_000)
        sim.deliverDue()
        XCTAssertNil(client.next(timeout: 0.3), "an acknowledged event is not pushed again")
        XCTAssertEqual(sim.pendingEvents, 0)
    }

    func testTerminateAndCancelCarryNoResult() throws {
        let (sim, _, client) = try connected()
        sim.update("inst-000000") { $0.status = "TERMINATED" }
        sim.update("inst-000001") { $0.status = "CANCELED" }
        for id in ["inst-000000", "inst-000001"] {
            let data = try XCTUnwrap(client.next()?.dataJSON)
            XCTAssertEqual(data["processInstanceId"] as? String, id)
            XCTAssertEqual(data["type"] as? String, "terminate")
            XCTAssertNil(data["result"])
            XCTAssertNotNil(data["finishTime"])
        }
    }

    func testTheConsoleFilterKeepsOtherTypesAndFormsBackUncounted() throws {
        let (sim, _, client) = try connected()
        sim.add(plainInstances([fixedNow], processCode: "PROC-OTHER", prefix: "other"))  // start: not subscribed
        sim.approve("other-000000")  // another form
        sim.update("inst-000000") { $0.title = "renamed" }  // no status change: no event at all
        XCTAssertNil(client.next(timeout: 0.3))
        XCTAssertEqual(sim.streamStats.events, 0)
        XCTAssertEqual(sim.streamStats.pushes, 0)

        let (wide, _, wideClient) = try connected {
            $0.stream.filter = StreamFilter(processCodes: ["PROC-SIM-WAN-RECHARGE", "PROC-OTHER"], types: [.start, .finish])
        }
        wide.add(plainInstances([fixedNow], processCode: "PROC-OTHER", prefix: "other"))
        XCTAssertEqual(wideClient.next()?.dataJSON?["type"] as? String, "start")
        XCTAssertEqual(wide.pushEvent(instanceId: "inst-000000", type: .terminate), nil, "terminate is not in this rule")
        XCTAssertNotNil(wide.pushEvent(instanceId: "other-000000", type: .finish))
        XCTAssertEqual(wideClient.next()?.dataJSON?["processInstanceId"] as? String, "other-000000")
    }

    func testStepClosesAreFinishEventsBornAtTheStepTime() throws {
        let (sim, clock, client) = try connected()
        sim.step(adding: [], closing: 2, nowMs: fixedNow + 777)
        XCTAssertNil(client.next(timeout: 0.3), "an event born after the sim clock's now waits for it")
        clock.advance(ms: 1000)
        sim.deliverDue()
        let frames = [try XCTUnwrap(client.next()), try XCTUnwrap(client.next())]
        XCTAssertEqual(frames.compactMap { $0.headers["time"] as? String }, [String(fixedNow + 1000), String(fixedNow + 1000)])
        XCTAssertEqual(frames.compactMap { $0.dataJSON?["processInstanceId"] as? String }, ["inst-000000", "inst-000001"])
        XCTAssertEqual(frames.compactMap { $0.headers["eventBornTime"] as? String }, [String(fixedNow + 777), String(fixedNow + 777)])
        XCTAssertEqual(Set(frames.compactMap { $0.headers["eventId"] as? String }).count, 2)
    }

    func testUnansweredEventsComeBackWithTheSameEventIdAfter20SimSeconds() throws {
        let (sim, clock, client) = try connected()
        sim.approve("inst-000000")
        let first = try XCTUnwrap(client.next())
        clock.advance(ms: 19_999)
        sim.deliverDue()
        XCTAssertNil(client.next(timeout: 0.3), "not before its time")
        clock.advance(ms: 1)
        sim.deliverDue()
        let again = try XCTUnwrap(client.next())
        XCTAssertEqual(again.headers["eventId"] as? String, first.headers["eventId"] as? String)
        XCTAssertNotEqual(again.headers["messageId"] as? String, first.headers["messageId"] as? String)
        XCTAssertEqual(again["data"] as? String, first["data"] as? String)
        XCTAssertEqual(sim.streamStats.redeliveries, 1)
        XCTAssertEqual(sim.streamStats.pushes, 1, "a redelivery is not another push")
    }

    func testLaterAndNon200AnswersAskForRedelivery() throws {
        let (sim, clock, client) = try connected()
        sim.approve("inst-000000")
        client.answer(try XCTUnwrap(client.next()), status: "LATER")
        XCTAssertTrue(sim.waitUntilAcked(timeout: 5), "LATER is an answer")
        clock.advance(ms: 20_000)
        sim.deliverDue()
        client.answer(try XCTUnwrap(client.next()), code: 500)
        XCTAssertTrue(sim.waitUntilAcked(timeout: 5))
        clock.advance(ms: 20_000)
        sim.deliverDue()
        client.answer(try XCTUnwrap(client.next()))
        XCTAssertTrue(sim.waitUntilAcked(timeout: 5))
        let s = sim.streamStats
        XCTAssertEqual([s.laters, s.acks, s.redeliveries, s.malformedAnswers], [2, 1, 2, 0])
        XCTAssertEqual(sim.pendingEvents, 0)
    }

    func testAnAnswerForNoFrameIsCountedMalformed() throws {
        let (sim, _, client) = try connected()
        client.answer(["headers": ["messageId": "nobody-sent-this"]])
        client.sendText("not json")
        let deadline = Date().addingTimeInterval(5)
        while sim.streamStats.malformedAnswers < 2, Date() < deadline { usleep(5000) }
        XCTAssertEqual(sim.streamStats.malformedAnswers, 2)
    }

    func testEventsWhileNobodyIsConnectedAreLostForGood() throws {
        let (sim, clock) = try startStreamSim()
        sim.approve("inst-000000")
        XCTAssertEqual(sim.streamStats.lost, 1)
        let client = try StreamTestClient(sim)
        XCTAssertTrue(sim.waitUntilConnected(1, timeout: 5))
        clock.advance(ms: 60_000)
        sim.deliverDue()
        XCTAssertNil(client.next(timeout: 0.3), "there is no replay")
        XCTAssertEqual(sim.streamStats.pushes, 0)
    }

    func testAConnectionWithoutAnEventSubscriptionHearsNoEvents() throws {
        let (sim, _) = try startStreamSim()
        let client = try StreamTestClient(sim, subscriptions: #"[{"type":"CALLBACK","topic":"/v1.0/im/bot/messages/get"}]"#)
        XCTAssertTrue(sim.waitUntilConnected(1, timeout: 5))
        sim.approve("inst-000000")
        XCTAssertNil(client.next(timeout: 0.3))
        XCTAssertEqual(sim.streamStats.lost, 1)
    }

    func testEachEventGoesToOneOfSeveralConnections() throws {
        let (sim, _) = try startStreamSim()
        sim.add(plainInstances((0..<20).map { fixedNow - 1000 + Int64($0) }, prefix: "many"))
        let clients = [try StreamTestClient(sim), try StreamTestClient(sim)]
        XCTAssertTrue(sim.waitUntilConnected(2, timeout: 5))
        for n in 0..<20 { sim.approve("many-" + String(n).leftPadded(6)) }
        var got = [0, 0]
        var ids: [String] = []
        for (n, c) in clients.enumerated() {
            while let f = c.next(timeout: 0.3) {
                got[n] += 1
                ids.append(try XCTUnwrap(f.headers["eventId"] as? String))
            }
        }
        XCTAssertEqual(got.reduce(0, +), 20)
        XCTAssertEqual(Set(ids).count, 20, "no event reached both")
        XCTAssertTrue(got.allSatisfy { $0 > 0 }, "random choice spreads them: \(got)")
    }

    func testPushQuotaStopsWithOne20001FrameUntilRaised() throws {
        let (sim, _, client) = try connected { $0.stream.pushQuota = 1 }
        sim.approve("inst-000000")
        XCTAssertEqual(client.next()?["type"] as? String, "EVENT")
        sim.approve("inst-000001")
        let stop = try XCTUnwrap(client.next())
        XCTAssertEqual(stop["type"] as? String, "SYSTEM")
        XCTAssertEqual((stop.dataJSON?["errCode"] as? NSNumber)?.intValue, 20001)
        XCTAssertEqual(stop.dataJSON?["errMsg"] as? String, "消息服务已经暂停")
        sim.update("inst-000002") { $0.status = "TERMINATED" }
        XCTAssertNil(client.next(timeout: 0.3), "nothing more, not even another 20001 frame")
        XCTAssertEqual(sim.streamStats.quotaSuppressed, 2)
        XCTAssertEqual(sim.streamStats.quotaFramesSent, 1)
        XCTAssertEqual(sim.pushQuotaLeft, 0)

        sim.setPushQuota(10)
        sim.add(plainInstances([fixedNow], prefix: "later"))
        sim.approve("later-000000")
        XCTAssertEqual(client.next()?.dataJSON?["processInstanceId"] as? String, "later-000000")
        XCTAssertEqual(sim.streamStats.pushes, 2)
        XCTAssertEqual(sim.pushQuotaLeft, 9)
    }

    func testWaitUntilAckedReturnsOnceAClientThreadAnsweredEverything() throws {
        let (sim, clock, client) = try connected()
        sim.add(plainInstances((0..<10).map { fixedNow + Int64($0) }, prefix: "b"))
        let answering = Thread {
            while let f = client.next(timeout: 2) { client.answer(f) }
        }
        answering.start()
        clock.advance(ms: 3_600_000)
        sim.step(adding: [], closing: 13, nowMs: clock.now)
        XCTAssertTrue(sim.waitUntilAcked(timeout: 10))
        XCTAssertEqual(sim.streamStats.acks, 13)
        XCTAssertEqual(sim.pendingEvents, 0)
        XCTAssertFalse(sim.statsJSON().contains(#""stream_pushes":0"#))
    }
}
