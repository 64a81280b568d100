import Foundation

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

/// A clock whose "now" is fixed at a given instant plus the real time elapsed since,
/// so tests can run "on" a chosen date while sleeps and timeouts stay real.
public struct ShiftedClock: SyncClock {
    let offsetMs: Int64
    public init(nowMs: Int64) { offsetMs = nowMs - SystemClock().nowMs() }
    public func nowMs() -> Int64 { SystemClock().nowMs() + offsetMs }
    public func sleep(ms: Int) { SystemClock().sleep(ms: ms) }
}
