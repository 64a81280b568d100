import Foundation
import Synchronization

/// Time as the pipeline sees it. Injected so tests can pin "now" (windows, token expiry)
/// while the real thing sleeps for real.
public protocol SyncClock: Sendable {
    /// Epoch milliseconds.
    func nowMs() -> Int64
    func sleep(ms: Int)
}

public struct SystemClock: SyncClock {
    public init() {}
    public func nowMs() -> Int64 { Int64((Date().timeIntervalSince1970 * 1000).rounded(.down)) }
    public func sleep(ms: Int) {
        guard ms > 0 else { return }
        usleep(useconds_t(min(ms, 3_600_000)) * 1000)
    }
}

/// The executable's clock: the system's, shifted by `DINGSYNC_CLOCK_OFFSET_MS` when that is set.
/// The shift is for tests and benchmarks that drive the real executable through simulated
/// days (the simulator is shifted alike); an operator has no reason to set it.
public func clockFromEnvironment(_ env: [String: String]) -> any SyncClock {
    guard let text = env["DINGSYNC_CLOCK_OFFSET_MS"], let offset = Int64(text), offset != 0 else { return SystemClock() }
    return ShiftedClock(nowMs: SystemClock().nowMs() + offset)
}

/// A clock whose "now" is fixed at a given instant plus the real time elapsed since,
/// so tests can run "on" a chosen date while sleeps and timeouts stay real.
public struct ShiftedClock: SyncClock {
    let offsetMs: Int64
    public init(nowMs: Int64) { offsetMs = nowMs - SystemClock().nowMs() }
    public func nowMs() -> Int64 { SystemClock().nowMs() + offsetMs }
    public func sleep(ms: Int) { SystemClock().sleep(ms: ms) }
}

/// Set once a run must stop (a fatal error elsewhere): every wait returns early and no new
/// DingTalk call starts.
public final class RunCancellation: Sendable {
    private let flag = Atomic<Bool>(false)
    public init() {}
    public var isCancelled: Bool { flag.load(ordering: .acquiring) }
    public func cancel() { flag.store(true, ordering: .releasing) }
}

extension SyncClock {
    /// Sleeps in short slices so a cancelled run stops waiting within a few tens of ms.
    public func sleep(ms: Int, unless cancellation: RunCancellation) {
        var left = ms
        while left > 0, !cancellation.isCancelled {
            let slice = min(left, 50)
            sleep(ms: slice)
            left -= slice
        }
    }
}
