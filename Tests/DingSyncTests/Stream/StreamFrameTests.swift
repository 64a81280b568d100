@testable import DingSync
@testable import HTTPClient
import Foundation
import XCTest

/// The Stream wire format as DingTalk's SDKs document it: string headers, `data` as a JSON
/// string parsed a second time, answers that echo the message id.
final class StreamFrameTests: XCTestCase {
    func testAnEventFrameCarriesTheInstanceChange() throws {
        let data = #"{"processInstanceId":"inst-1","processCode":"PROC-X","type":"finish","result":"agree","createTime":1495592305000,"finishTime":1495592272000,"title":"t"}"#
        let frame = try json(["specVersion": "1.0", "type": "EVENT",
                              "headers": ["topic": "*", "messageId": "m-1", "eventType": "bpms_instance_change", "eventId": "e-1",
                                          "eventBornTime": "1693221579964", "time": "1693221579964", "contentType": "application/json"],
                              "data": data])
        guard case .event(let messageId, let eventId, let type, let born, let change)? = StreamFrame.parse(frame) else {
            return XCTFail("not an event: \(frame)")
        }
        XCTAssertEqual(messageId, "m-1")
        XCTAssertEqual(eventId, "e-1")
        XCTAssertEqual(type, "bpms_instance_change")
        XCTAssertEqual(born, 1_693_221_579_964)
        XCTAssertEqual(change, .init(instanceId: "inst-1", processCode: "PROC-X", type: "finish", result: "agree", finishMs: 1_495_592_272_000))
    }

    func testOtherEventTypesHaveNoChangeButAreAcknowledged() throws {
        let frame = try json(["type": "EVENT", "headers": ["messageId": "m-2", "eventType": "user_add_org", "eventId": "e-2"], "data": "{}"])
        guard case .event(_, _, "user_add_org", _, nil)? = StreamFrame.parse(frame) else { return XCTFail("\(frame)") }
    }

    func testSystemFrames() throws {
        let ping = try json(["type": "SYSTEM", "headers": ["topic": "ping", "messageId": "p-1"], "data": #"{"opaque":"abc"}"#])
        XCTAssertEqual(StreamFrame.parse(ping), .ping(messageId: "p-1", data: #"{"opaque":"abc"}"#))
        let bye = try json(["type": "SYSTEM", "headers": ["topic": "disconnect", "messageId": "d-1"],
                            "data": #"{"reason":"persistent connection is timeout"}"#])
        XCTAssertEqual(StreamFrame.parse(bye), .disconnect(messageId: "d-1", reason: "persistent connection is timeout"))
        let quota = try json(["type": "SYSTEM", "headers": ["topic": "KEEPALIVE", "messageId": "q-1"],
                              "data": #"{"errCode":20001,"errMsg":"消息服务已经暂停"}"#])
        XCTAssertEqual(StreamFrame.parse(quota), .pushQuotaStopped(messageId: "q-1", message: "消息服务已经暂停"))
        XCTAssertNil(StreamFrame.parse("not json"))
    }

    func testAnswersEchoTheMessageIdAndSayLaterWhenAsked() throws {
        for (later, status) in [(false, "SUCCESS"), (true, "LATER")] {
            let answer = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(StreamFrame.ack(messageId: "m-9", later: later).utf8)) as? [String: Any])
            XCTAssertEqual(answer["code"] as? Int, 200)
            XCTAssertEqual((answer["headers"] as? [String: String])?["messageId"], "m-9")
            let data = try XCTUnwrap(JSONSerialization.jsonObject(with: Data((answer["data"] as! String).utf8)) as? [String: String])
            XCTAssertEqual(data["status"], status)
        }
        let echo = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(StreamFrame.answer(messageId: "p", data: #"{"opaque":"x"}"#).utf8)) as? [String: Any])
        XCTAssertEqual(echo["data"] as? String, #"{"opaque":"x"}"#)
    }

    func testTheFilterRuleNamesTheFormAndTheTypes() {
        XCTAssertEqual(StreamGateway.filterRule(processCode: "PROC-1", types: ["terminate", "finish"]),
                       "/v1.0/event/bpms_instance_change/processCode/PROC-1/type/{finish,terminate}")
        XCTAssertEqual(StreamGateway.filterRule(processCode: "P", types: ["start", "finish", "terminate"]),
                       "/v1.0/event/bpms_instance_change/processCode/P/type/{start,finish,terminate}")
        let ticket = StreamGateway.Ticket(endpoint: "wss://h/connect", ticket: "a+b/c=")
        XCTAssertEqual(ticket.url, "wss://h/connect?ticket=a%2Bb%2Fc%3D")
    }

    func testBackOffDoublesWithJitterUpToTheCap() {
        let o = StreamTimings()
        XCTAssertEqual(StreamConnection.backoffMs(failures: 1, options: o, random: 1), 1_000)
        XCTAssertEqual(StreamConnection.backoffMs(failures: 3, options: o, random: 1), 4_000)
        XCTAssertEqual(StreamConnection.backoffMs(failures: 3, options: o, random: 0.5), 2_000)
        XCTAssertEqual(StreamConnection.backoffMs(failures: 20, options: o, random: 1), 60_000)
    }

    // MARK: WebSocket wire format (RFC 6455)

    func testTheAcceptKeyOfTheRFCsExample() {
        XCTAssertEqual(WebSocket.acceptKey(for: "dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")
    }

    func testClientFramesAreMaskedAndParseBack() throws {
        for size in [0, 5, 125, 126, 70_000] {
            let payload = (0..<size).map { UInt8($0 % 251) }
            let frame = WebSocket.frame(opcode: 0x1, payload: payload)
            XCTAssertEqual(frame[1] & 0x80, 0x80, "client frames must be masked")
            let (fin, opcode, parsed, used) = try XCTUnwrap(WebSocket.parse(frame + [0x81]))
            XCTAssertTrue(fin)
            XCTAssertEqual(opcode, 0x1)
            XCTAssertEqual(parsed, payload)
            XCTAssertEqual(used, frame.count)
            XCTAssertNil(try WebSocket.parse(Array(frame.dropLast())), "an incomplete frame waits for more bytes")
        }
        // An unmasked server frame of 126 bytes uses the 16-bit length.
        let server: [UInt8] = [0x82, 126, 0, 126] + Array(repeating: 7, count: 126)
        XCTAssertEqual(try WebSocket.parse(server)?.2.count, 126)
    }

    func testWebSocketURLsSplitIntoOriginAndTarget() {
        XCTAssertEqual(WebSocket.split("ws://127.0.0.1:9/connect?ticket=a")?.origin, "http://127.0.0.1:9/")
        XCTAssertEqual(WebSocket.split("ws://127.0.0.1:9/connect?ticket=a")?.target, "/connect?ticket=a")
        XCTAssertEqual(WebSocket.split("wss://wss-open-connection.dingtalk.com?ticket=t")?.target, "/?ticket=t")
        XCTAssertEqual(WebSocket.split("wss://wss-open-connection.dingtalk.com?ticket=t")?.origin, "https://wss-open-connection.dingtalk.com/")
        XCTAssertNil(WebSocket.split("https://x/"))
    }

    private func json(_ object: [String: Any]) throws -> String {
        String(decoding: try JSONSerialization.data(withJSONObject: object), as: UTF8.self)
    }
}
