import Foundation
import XCTest
@testable import DingTalkSimulator

/// `connections/open`, tickets and the WebSocket handshake and framing (dingtalk-stream.md,
/// "Opening a connection"; RFC 6455).
final class StreamGatewayTests: XCTestCase {
    func testOpenAnswersALoopbackEndpointAndATicketAndIsCounted() throws {
        let (sim, _) = try startStreamSim()
        let r = try openGateway(sim)
        XCTAssertEqual(r.status, 200)
        XCTAssertEqual(r.json?["endpoint"] as? String, "ws://127.0.0.1:\(sim.port)/connect")
        let ticket = try XCTUnwrap(r.json?["ticket"] as? String)
        XCTAssertGreaterThanOrEqual(ticket.count, 16)
        XCTAssertNotEqual(try openGateway(sim).json?["ticket"] as? String, ticket, "a new ticket per call")
        XCTAssertEqual(sim.streamStats.connectionsOpened, 2)
        XCTAssertEqual(sim.calls(.streamOpen), 2)
        XCTAssertTrue(sim.statsJSON().contains(#""stream_open":2"#), sim.statsJSON())
    }

    func testBadCredentialsAre401AuthFailed() throws {
        let (sim, _) = try startStreamSim()
        for r in [try openGateway(sim, secret: "wrong"), try openGateway(sim, clientId: "other")] {
            XCTAssertEqual(r.status, 401)
            XCTAssertEqual(r.json?["code"] as? String, "authFailed")
            XCTAssertEqual(r.json?["message"] as? String, "鉴权失败")
            XCTAssertNotNil(r.json?["requestid"] as? String)
            XCTAssertNil(r.json?["ticket"])
        }
        XCTAssertEqual(sim.streamStats.ticketsIssued, 0)
        XCTAssertEqual(sim.streamStats.connectionsOpened, 2, "refused opens are metered calls too")
    }

    func testStreamNotEnabledIs400InBothReportedForms() throws {
        let (json, _) = try startStreamSim { $0.stream.enabled = false }
        let r = try openGateway(json)
        XCTAssertEqual(r.status, 400)
        XCTAssertEqual(r.json?["code"] as? String, "systemError")
        let (bare, _) = try startStreamSim { $0.stream.enabled = false; $0.stream.disabledAnswer = .bare400 }
        let b = try openGateway(bare)
        XCTAssertEqual(b.status, 400)
        XCTAssertTrue(b.body.isEmpty)
        XCTAssertEqual(try openGateway(bare, secret: "wrong").status, 401, "credentials are checked first")
    }

    func testMissingAcceptIsStillAnsweredInJSONButRecorded() throws {
        let (sim, _) = try startStreamSim()
        let r = try openGateway(sim, headers: [])
        XCTAssertNotNil(r.json?["ticket"])
        XCTAssertEqual(sim.streamStats.opensWithoutAccept, 1)
        _ = try openGateway(sim)
        XCTAssertEqual(sim.streamStats.opensWithoutAccept, 1)
    }

    func testHandshakeAnswersTheRFCAcceptKey() throws {
        let (sim, _) = try startStreamSim()
        let client = try StreamTestClient(sim)
        // The worked example of RFC 6455 section 1.3.
        XCTAssertEqual(client.handshake.headers["sec-websocket-accept"], "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")
        XCTAssertEqual(client.handshake.headers["upgrade"]?.lowercased(), "websocket")
        XCTAssertEqual(client.handshake.headers["connection"]?.lowercased(), "upgrade")
        XCTAssertTrue(sim.waitUntilConnected(1, timeout: 5))
        XCTAssertEqual(sim.streamStats.socketsAccepted, 1)
    }

    func testATicketOpensOneConnectionOnly() throws {
        let (sim, _) = try startStreamSim()
        let ticket = try XCTUnwrap(openTicket(sim))
        XCTAssertEqual(try StreamTestClient(port: sim.port, ticket: ticket).handshake.status, 101)
        XCTAssertEqual(try StreamTestClient(port: sim.port, ticket: ticket).handshake.status, 403, "used")
        XCTAssertEqual(try StreamTestClient(port: sim.port, ticket: "never-issued").handshake.status, 401)
        XCTAssertEqual(try StreamTestClient(port: sim.port, ticket: "").handshake.status, 401)
        XCTAssertEqual(sim.streamStats.ticketsRejected, 3)
        XCTAssertEqual(sim.streamStats.socketsAccepted, 1)
    }

    func testATicketExpiresAfter90SimSeconds() throws {
        let (sim, clock) = try startStreamSim()
        let fresh = try XCTUnwrap(openTicket(sim))
        let stale = try XCTUnwrap(openTicket(sim))
        clock.advance(ms: 89_999)
        XCTAssertEqual(try StreamTestClient(port: sim.port, ticket: fresh).handshake.status, 101)
        clock.advance(ms: 1)
        XCTAssertEqual(try StreamTestClient(port: sim.port, ticket: stale).handshake.status, 403)
    }

    func testAPlainGetOrAWrongVersionIsNotUpgraded() throws {
        let (sim, _) = try startStreamSim()
        let plain = try StreamTestClient(port: sim.port, ticket: try XCTUnwrap(openTicket(sim)), extraHeaders: [])
        XCTAssertEqual(plain.handshake.status, 400)
        let v8 = try StreamTestClient(port: sim.port, ticket: try XCTUnwrap(openTicket(sim)), extraHeaders: [
            "Upgrade: websocket", "Connection: keep-alive, Upgrade", "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
            "Sec-WebSocket-Version: 8",
        ])
        XCTAssertEqual(v8.handshake.status, 426)
        XCTAssertEqual(v8.handshake.headers["sec-websocket-version"], "13")
        XCTAssertEqual(sim.streamStats.socketsAccepted, 0)
    }

    func testClientPingsArePongedWithTheSamePayload() throws {
        let (sim, _) = try startStreamSim()
        let client = try StreamTestClient(sim)
        client.send(opcode: 0x9, Array("are you there".utf8))
        let pong = try XCTUnwrap(client.readFrame())
        XCTAssertEqual(pong.opcode, 0xA)
        XCTAssertEqual(pong.text, "are you there")
        XCTAssertEqual(sim.streamStats.pongsSent, 1)
    }

    func testFragmentedAnswerIsReassembledAndControlFramesMayInterleave() throws {
        let (sim, _) = try startStreamSim()
        let client = try StreamTestClient(sim)
        XCTAssertTrue(sim.waitUntilConnected(1, timeout: 5))
        sim.approve("inst-000000")
        let event = try XCTUnwrap(client.next())
        let id = try XCTUnwrap(event.headers["messageId"] as? String)
        let answer = Array(#"{"code":200,"headers":{"messageId":"\#(id)"},"message":"OK","data":"{\"status\":\"SUCCESS\"}"}"#.utf8)
        client.send(opcode: 0x1, Array(answer[..<10]), fin: false)
        client.send(opcode: 0x9, [1, 2, 3])
        client.send(opcode: 0x0, Array(answer[10...]))
        XCTAssertEqual(client.readFrame()?.opcode, 0xA, "the ping in the middle is answered")
        XCTAssertTrue(sim.waitUntilAcked(timeout: 5))
        XCTAssertEqual(sim.streamStats.acks, 1)
    }

    func testUnmaskedClientFrameFailsTheConnectionWith1002() throws {
        let (sim, _) = try startStreamSim()
        let client = try StreamTestClient(sim)
        client.send(opcode: 0x1, Array("{}".utf8), masked: false)
        let close = try XCTUnwrap(client.readFrame())
        XCTAssertEqual(close.opcode, 0x8)
        XCTAssertEqual(close.payload, [0x03, 0xEA])
        XCTAssertNil(client.readFrame(), "then the TCP connection ends")
        XCTAssertTrue(sim.waitUntilConnected(0, timeout: 5))
    }

    func testCloseIsEchoedAndTheConnectionLeaves() throws {
        let (sim, _) = try startStreamSim()
        let client = try StreamTestClient(sim)
        XCTAssertTrue(sim.waitUntilConnected(1, timeout: 5))
        client.send(opcode: 0x8, [0x03, 0xE8])
        let close = try XCTUnwrap(client.readFrame())
        XCTAssertEqual(close.opcode, 0x8)
        XCTAssertEqual(close.payload, [0x03, 0xE8])
        XCTAssertTrue(sim.waitUntilConnected(0, timeout: 5))
        XCTAssertEqual(sim.streamStats.connected, 0)
    }
}
