@testable import DingSync
import Foundation
import Synchronization
import XCTest

/// The progress line's text, and when it is drawn or logged. Time is an injected counter, so
/// "ten seconds later" is a value set by the test, not a wait.
final class ProgressTests: XCTestCase {
    static func figures(windows: Int = 3, listed: Int = 400, fetched: Int = 150, written: Int = 140,
                        skipped: Int = 50, rejected: Int = 0, failed: Int = 0) -> RunSummary {
        var s = RunSummary()
        s.windows = windows
        s.listed = listed
        s.fetched = fetched
        s.written = written
        s.skipped = skipped
        s.rejected = rejected
        s.failed = failed
        return s
    }

    func testLineFormat() {
        // 200 handled in 40 s = 5/s; 12 windows, 3 listed with 400 ids → 1600 expected, 1400 left → 280 s.
        XCTAssertEqual(ProgressReporter.line(Self.figures(), phase: "fetching", elapsedSeconds: 40, totalWindows: 12),
                       "fetching: window 3/12, listed 400, fetched 150, written 140, skipped 50, 5.0/s, ETA 4m40s")
        // Without a window count, only the listed ids count: 200 left → 40 s.
        XCTAssertEqual(ProgressReporter.line(Self.figures(rejected: 2, failed: 1), phase: "fetching", elapsedSeconds: 40, totalWindows: nil),
                       "fetching: window 3, listed 400, fetched 150, written 140, skipped 50, rejected 2, failed 1, 5.0/s, ETA 40s")
        // Nothing handled yet: no rate, so no ETA.
        XCTAssertEqual(ProgressReporter.line(Self.figures(windows: 1, listed: 20, fetched: 0, written: 0, skipped: 0),
                                             phase: "listing", elapsedSeconds: 0, totalWindows: 4),
                       "listing: window 1/4, listed 20, fetched 0, written 0, skipped 0, 0.0/s")
    }

    func testEtaNeverNegativeAndDurations() {
        let done = Self.figures(windows: 4, listed: 100, fetched: 100, written: 100, skipped: 0)
        XCTAssertEqual(ProgressReporter.etaSeconds(done, elapsedSeconds: 10, totalWindows: 4), 0)
        XCTAssertEqual(ProgressReporter.etaSeconds(done, elapsedSeconds: 10, totalWindows: 2), 0)
        XCTAssertNil(ProgressReporter.etaSeconds(Self.figures(fetched: 0, skipped: 0), elapsedSeconds: 10, totalWindows: nil))
        XCTAssertEqual(ProgressReporter.duration(0), "0s")
        XCTAssertEqual(ProgressReporter.duration(59.4), "59s")
        XCTAssertEqual(ProgressReporter.duration(65), "1m05s")
        XCTAssertEqual(ProgressReporter.duration(3599), "59m59s")
        XCTAssertEqual(ProgressReporter.duration(7380), "2h03m")
    }

    func testNonTerminalLogsAtMostOncePerInterval() {
        let clock = FakeSeconds()
        let log = LogCapture()
        let p = ProgressReporter(console: Console(), logger: log.logger, intervalSeconds: 10, isTerminal: false,
                                 now: clock.read)
        p.update(Self.figures(), phase: "fetching")
        clock.set(9.9)
        p.update(Self.figures(), phase: "fetching")
        XCTAssertEqual(log.lines, [], "a short run logs no progress")
        clock.set(10)
        p.update(Self.figures(), phase: "fetching")
        clock.set(15)
        p.update(Self.figures(), phase: "fetching")
        XCTAssertEqual(log.lines.count, 1)
        XCTAssertTrue(log.lines[0].hasPrefix("info fetching: window 3, listed 400"), log.lines[0])
        clock.set(20)
        p.update(Self.figures(fetched: 160), phase: "fetching")
        XCTAssertEqual(log.lines.count, 2)
        XCTAssertTrue(log.lines[1].contains("fetched 160"), log.lines[1])
        p.finish()
        clock.set(40)
        p.update(Self.figures(), phase: "fetching")
        XCTAssertEqual(log.lines.count, 2, "nothing after finish")
    }

    func testTerminalRedrawsOneLineAndClearsIt() {
        let clock = FakeSeconds()
        let out = OutputCapture()
        let log = LogCapture()
        let p = ProgressReporter(console: Console(), logger: log.logger, isTerminal: true, now: clock.read, output: out.write)
        clock.set(1)
        p.update(Self.figures(), phase: "fetching", totalWindows: 12)
        clock.set(1.1)
        p.update(Self.figures(fetched: 151), phase: "fetching", totalWindows: 12)  // within the redraw gap
        clock.set(2)
        p.update(Self.figures(windows: 4, listed: 420), phase: "listing")
        p.finish()
        p.finish()
        let chunks = out.chunks
        XCTAssertEqual(chunks.count, 3, "\(chunks)")
        let first = "fetching: window 3/12, listed 400, fetched 150, written 140, skipped 50, 200.0/s, ETA 7s"
        XCTAssertEqual(chunks[0], "\r" + first)
        let second = "listing: window 4, listed 420, fetched 150, written 140, skipped 50, 100.0/s, ETA 2s"
        XCTAssertEqual(chunks[1], "\r" + second + String(repeating: " ", count: first.count - second.count),
                       "a shorter line blanks the rest of the previous one")
        XCTAssertEqual(chunks[2], "\r" + String(repeating: " ", count: second.count) + "\r")
        XCTAssertTrue(chunks.allSatisfy { !$0.contains("\n") }, "the line is redrawn, never scrolled")
        XCTAssertEqual(log.lines, [], "a terminal gets the line, not log records")
    }

    func testQuietGetsNoProgress() {
        let clock = FakeSeconds()
        let out = OutputCapture()
        var logger = LogCapture().logger
        logger.logLevel = .warning
        let p = ProgressReporter(console: Console(), logger: logger, isTerminal: true, now: clock.read, output: out.write)
        clock.set(100)
        p.update(Self.figures(), phase: "fetching")
        p.finish()
        XCTAssertEqual(out.chunks, [])
    }

    func testTerminalLineIsRedacted() {
        let console = Console()
        console.addSecrets(["phase-secret"])
        let out = OutputCapture()
        let clock = FakeSeconds()
        let p = ProgressReporter(console: console, logger: LogCapture().logger, isTerminal: true, now: clock.read, output: out.write)
        clock.set(1)
        p.update(Self.figures(), phase: "phase-secret")
        XCTAssertEqual(out.chunks.count, 1)
        XCTAssertFalse(out.chunks[0].contains("phase-secret"))
        XCTAssertTrue(out.chunks[0].hasPrefix("\r***: window 3"), out.chunks[0])
    }
}

final class FakeSeconds: Sendable {
    private let value = Mutex(0.0)
    func set(_ v: Double) { value.withLock { $0 = v } }
    var read: @Sendable () -> Double { { [self] in value.withLock { $0 } } }
}

final class OutputCapture: Sendable {
    private let store = Mutex<[String]>([])
    var chunks: [String] { store.withLock { $0 } }
    var write: @Sendable (String) -> Void { { [self] s in store.withLock { $0.append(s) } } }
}
