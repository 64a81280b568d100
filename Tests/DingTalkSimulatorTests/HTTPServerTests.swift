import Foundation
import XCTest
@testable import DingTalkSimulator

final class HTTPServerTests: XCTestCase {
    func testKeepAliveServesManyRequestsOnOneConnection() throws {
        let sim = try startSim()
        let conn = try RawConnection(port: sim.port)
        var tokens: Set<String> = []
        for _ in 0..<5 {
            let r = try XCTUnwrap(conn.request("GET", "/gettoken?appkey=sim-app-key&appsecret=sim-app-secret"))
            XCTAssertEqual(r.status, 200)
            XCTAssertEqual(r.headers["connection"], "keep-alive")
            tokens.insert(try XCTUnwrap(r.json?["access_token"] as? String))
        }
        XCTAssertEqual(tokens.count, 1, "same token while valid")
        XCTAssertEqual(sim.calls(.token), 5)
    }

    func testConnectionCloseIsHonoured() throws {
        let sim = try startSim()
        let conn = try RawConnection(port: sim.port)
        let r = try XCTUnwrap(conn.request("GET", "/gettoken?appkey=sim-app-key&appsecret=sim-app-secret",
                                           headers: ["Connection: close"]))
        XCTAssertEqual(r.headers["connection"], "close")
        XCTAssertNotNil(r.json?["access_token"])
        XCTAssertTrue(conn.isClosedByPeer())
    }

    func testHTTP10GetsOneAnswerPerConnection() throws {
        let sim = try startSim()
        let conn = try RawConnection(port: sim.port)
        conn.sendRaw("GET /gettoken?appkey=sim-app-key&appsecret=sim-app-secret HTTP/1.0\r\n\r\n")
        XCTAssertEqual(conn.readResponse()?.status, 200)
        XCTAssertTrue(conn.isClosedByPeer())
    }

    func testPipelinedRequestsAreAnsweredInOrder() throws {
        let sim = try startSim()
        let conn = try RawConnection(port: sim.port)
        let good = "GET /gettoken?appkey=sim-app-key&appsecret=sim-app-secret HTTP/1.1\r\n\r\n"
        let bad = "GET /gettoken?appkey=sim-app-key&appsecret=nope HTTP/1.1\r\n\r\n"
        conn.sendRaw(good + bad + good)
        XCTAssertEqual(errcode(conn.readResponse()), 0)
        XCTAssertEqual(errcode(conn.readResponse()), 40089)
        XCTAssertEqual(errcode(conn.readResponse()), 0)
    }

    func testQueryIsPercentDecodedWithPlusAsSpace() throws {
        let sim = try startSim { $0.appKey = "key/1"; $0.appSecret = "s e+c=r&t 密" }
        let conn = try RawConnection(port: sim.port)
        let r = conn.request("GET", "/gettoken?appkey=key%2F1&appsecret=s+e%2Bc%3Dr%26t%20%E5%AF%86")
        XCTAssertEqual(errcode(r), 0)
        XCTAssertEqual(HTTPServer.parseQuery("a=1&b=x+y%20z&c&d=%zz&a=2"),
                       ["a": "2", "b": "x y z", "c": "", "d": "%zz"])
        XCTAssertEqual(HTTPServer.percentDecode("/p+q%41", plusIsSpace: false), "/p+qA")
    }

    func testChunkedBodyIsRefusedWith411() throws {
        let sim = try startSim()
        let conn = try RawConnection(port: sim.port)
        conn.sendRaw("POST /topapi/processinstance/get HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n")
        XCTAssertEqual(conn.readResponse()?.status, 411)
        XCTAssertTrue(conn.isClosedByPeer())
    }

    func testMalformedRequestLineGets400() throws {
        let sim = try startSim()
        let conn = try RawConnection(port: sim.port)
        conn.sendRaw("NONSENSE\r\n\r\n")
        XCTAssertEqual(conn.readResponse()?.status, 400)
    }

    func testExpectContinueGetsInterimAnswer() throws {
        let sim = try startSim()
        let conn = try RawConnection(port: sim.port)
        let body = #"{"process_instance_id":"x"}"#
        conn.sendRaw("POST /topapi/processinstance/get?access_token=bad HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: \(body.utf8.count)\r\n\r\n")
        XCTAssertEqual(conn.readResponse()?.status, 100)
        conn.sendRaw(body)
        let r = conn.readResponse()
        XCTAssertEqual(r?.status, 200)
        XCTAssertNotNil(errcode(r))
    }

    func testUnknownPathIs404() throws {
        let sim = try startSim()
        let conn = try RawConnection(port: sim.port)
        XCTAssertEqual(conn.request("GET", "/nope")?.status, 404)
        XCTAssertEqual(sim.calls(.other), 1)
    }

    func testStopClosesOpenConnectionsAndFreesPort() throws {
        let sim = try startSim()
        let conn = try RawConnection(port: sim.port)
        XCTAssertEqual(conn.request("GET", "/gettoken?appkey=sim-app-key&appsecret=sim-app-secret")?.status, 200)
        let port = sim.port
        sim.stop()
        XCTAssertTrue(conn.isClosedByPeer(), "an idle keep-alive connection is closed by stop()")
        XCTAssertThrowsError(try RawConnection(port: port), "nothing listens after stop()")
        sim.stop() // idempotent
    }

    func testStartingAndStoppingManyServersLeaksNoDescriptorsOrThreads() throws {
        func openFDs() -> Int { (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").count) ?? -1 }
        func threads() -> Int { (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task").count) ?? -1 }
        // Warm up once so lazily created runtime descriptors/threads are not counted as leaks.
        do { let s = DingTalkSimulator(); try s.start(); _ = try RawConnection(port: s.port); s.stop() }
        let fdsBefore = openFDs(), threadsBefore = threads()
        for _ in 0..<30 {
            let sim = DingTalkSimulator()
            try sim.start()
            let a = try RawConnection(port: sim.port)
            let b = try RawConnection(port: sim.port)
            XCTAssertEqual(a.request("GET", "/gettoken?appkey=sim-app-key&appsecret=sim-app-secret")?.status, 200)
            XCTAssertEqual(b.request("GET", "/x")?.status, 404)
            sim.stop()
            XCTAssertTrue(a.isClosedByPeer())
        }
        XCTAssertLessThanOrEqual(openFDs(), fdsBefore)
        // Thread exit is asynchronous after join-by-group; allow the few that are still unwinding.
        XCTAssertLessThan(threads(), threadsBefore + 8)
    }

    func testWritingToAClosedClientDoesNotKillTheProcess() throws {
        let sim = try startSim { $0.latencyMs = 50 }
        for _ in 0..<5 {
            let conn = try RawConnection(port: sim.port)
            conn.sendRaw("GET /gettoken?appkey=sim-app-key&appsecret=sim-app-secret HTTP/1.1\r\n\r\n")
            // The client goes away while the server is still "thinking"; its write must fail quietly.
        }
        let conn = try RawConnection(port: sim.port)
        XCTAssertEqual(conn.request("GET", "/gettoken?appkey=sim-app-key&appsecret=sim-app-secret")?.status, 200)
    }
}
