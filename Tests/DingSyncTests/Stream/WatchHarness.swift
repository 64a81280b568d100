@testable import DingSync
import DingTalkSimulator
import Foundation
import Synchronization
import XCTest

/// The fixture's simulated time, read at every call: a test that moves it (for the
/// simulator's redelivery, say) moves the watch's clock with it. Sleeps are real.
struct FixtureClock: SyncClock {
    let offset: TestClockOffset
    func nowMs() -> Int64 { wallClockMs() + offset.ms }
    func sleep(ms: Int) { SystemClock().sleep(ms: ms) }
}

/// `dingsync watch` in process, on a thread of its own, over the fixture's simulator and
/// database, with timings short enough for a test (pings every 300 ms, a pass 200 ms after a
/// push). `stop()` cancels it as SIGTERM would.
final class WatchHarness: @unchecked Sendable {
    let captured = CommandEnvironmentTests.Captured()
    private let done = DispatchSemaphore(value: 0)
    private let service = Mutex<WatchService?>(nil)
    private let code = Mutex<Int32?>(nil)

    static var testOptions: WatchService.Options {
        var o = WatchService.Options()
        o.stream.pingIntervalMs = 300
        o.stream.pongDeadlineMs = 400
        o.stream.backoffBaseMs = 50
        o.stream.backoffMaxMs = 200
        o.stream.readSliceMs = 20
        o.passDelayMs = 200
        o.busyRetryMs = 300
        return o
    }

    init(_ job: JobFixture, configs: [URL]? = nil, options: WatchService.Options = WatchHarness.testOptions) {
        let env = CommandEnvironment(variables: job.env, console: captured.console, clock: FixtureClock(offset: job.offset))
        let paths = (configs ?? [job.configURL]).map(\.path)
        let thread = Thread { [self] in
            let c = WatchCommandBody.run(env, GlobalSettings(), configPaths: paths, options: options) { s in
                self.service.withLock { $0 = s }
            }
            code.withLock { $0 = c }
            done.signal()
        }
        thread.start()
    }

    var passes: Int { service.withLock { $0?.passes } ?? 0 }

    /// Cancels (as SIGTERM does) and returns the exit code, or nil when it did not stop in time.
    func stop(timeout: TimeInterval = 10) -> Int32? {
        service.withLock { $0?.cancellation.cancel() }
        return finish(timeout: timeout)
    }

    /// Waits for the service to end by itself.
    func finish(timeout: TimeInterval = 10) -> Int32? {
        guard done.wait(timeout: .now() + timeout) == .success else { return nil }
        return code.withLock { $0 }
    }
}

/// Polls `condition` every 20 ms for at most `timeout` real seconds.
@discardableResult
func eventually(timeout: TimeInterval = 20, _ condition: () throws -> Bool) rethrows -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline {
        if try condition() { return true }
        usleep(20_000)
    }
    return try condition()
}

extension JobFixture {
    /// A fixture whose job follows its form by Stream push.
    static func streaming(instances: [SimInstance], types: [String] = ["finish", "terminate"],
                          simulatorOptions: SimulatorOptions = .init()) throws -> JobFixture {
        try JobFixture(instances: instances, simulatorOptions: simulatorOptions) { config in
            config["events"] = ["stream": true, "types": types]
            config["watch"] = ["interval_minutes": 10]
        }
    }

    /// Closes `count` of the simulator's open instances (approved, with the finance fields an
    /// approver fills in) and returns them.
    func closeOpen(_ count: Int) -> [SimInstance] {
        let open = simulator.instances().filter { $0.status == "RUNNING" }.prefix(count)
        for o in open { simulator.update(o.id) { $0.close(atMs: nowMs()) } }
        return Array(open)
    }

    func differencesNow() -> [String] { (try? differences(connect())) ?? ["no connection"] }
}
