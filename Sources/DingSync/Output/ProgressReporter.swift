import Foundation
import Logging
import Synchronization

/// Progress of a long run. On a terminal (stderr) one line is redrawn in place; otherwise (cron,
/// a log file) an info line is logged at most every `intervalSeconds`, so short runs stay quiet.
///
/// The runner calls `update(_:phase:totalWindows:)` whenever its figures move (cheap: drawing is
/// throttled here) and `finish()` once at the end, before the summary is printed.
public final class ProgressReporter: Sendable {
    public let isTerminal: Bool
    public let intervalSeconds: Double
    /// Progress is info: a logger set to warnings (`--quiet`) or above gets none, on a
    /// terminal either.
    public let enabled: Bool
    /// How often the terminal line may be redrawn: redrawing per instance would cost more
    /// than the work it reports.
    static let redrawSeconds = 0.2

    private let console: Console
    private let logger: Logger
    private let now: @Sendable () -> Double
    private let output: @Sendable (String) -> Void
    private let state: Mutex<State>

    private struct State {
        var started: Double
        var lastEmit: Double
        var drawnWidth = 0
        var finished = false
    }

    /// - Parameters:
    ///   - isTerminal: defaults to whether stderr is a terminal.
    ///   - now: monotonic seconds; injectable so tests decide when the interval has passed.
    ///   - output: where terminal redraws go (raw, no newline); defaults to stderr.
    public init(console: Console, logger: Logger, intervalSeconds: Double = 10, isTerminal: Bool? = nil,
                now: @escaping @Sendable () -> Double = { ProcessInfo.processInfo.systemUptime },
                output: (@Sendable (String) -> Void)? = nil) {
        self.console = console
        self.logger = logger
        self.intervalSeconds = intervalSeconds
        self.isTerminal = isTerminal ?? console.stderrIsTerminal
        self.enabled = logger.logLevel <= .info
        self.now = now
        self.output = output ?? { FileHandle.standardError.write(Data($0.utf8)) }
        let t = now()
        state = Mutex(State(started: t, lastEmit: t))
    }

    /// `phase`: a word for what the run is doing ("listing", "fetching", "revisiting", ...).
    /// `totalWindows`: the planned number of windows, when known (sharpens the ETA).
    /// `remaining`: the instances still to fetch, when known (the fetch phase): the ETA is
    /// then what remains at the current rate, not a guess from the listed count.
    public func update(_ s: RunSummary, phase: String, totalWindows: Int? = nil, remaining: Int? = nil) {
        guard enabled else { return }
        let t = now()
        let text: String? = state.withLock { st in
            guard !st.finished else { return nil }
            let gap = isTerminal ? Self.redrawSeconds : intervalSeconds
            guard t - st.lastEmit >= gap else { return nil }
            st.lastEmit = t
            let line = Self.line(s, phase: phase, elapsedSeconds: t - st.started, totalWindows: totalWindows, remaining: remaining)
            guard isTerminal else { return line }
            // Pad over the previous line's tail instead of relying on terminal escapes.
            let width = line.count
            let padded = "\r" + line + String(repeating: " ", count: max(0, st.drawnWidth - width))
            st.drawnWidth = width
            return padded
        }
        guard let text else { return }
        if isTerminal {
            output(console.redact(text))
        } else {
            logger.info("\(text)")
        }
    }

    /// Clears the terminal line (the summary follows on a clean line); further updates are
    /// ignored. Logs nothing: the end summary says the rest.
    public func finish() {
        let width: Int = state.withLock { st in
            defer { st.finished = true; st.drawnWidth = 0 }
            return st.finished ? 0 : st.drawnWidth
        }
        if isTerminal && width > 0 { output("\r" + String(repeating: " ", count: width) + "\r") }
    }

    // MARK: - Pure formatting

    /// One progress line, e.g.
    /// `fetching: window 3/12, listed 1200, fetched 800, written 750, skipped 30, rejected 2, 45.3/s, ETA 1m05s`.
    public static func line(_ s: RunSummary, phase: String, elapsedSeconds: Double, totalWindows: Int?, remaining: Int? = nil) -> String {
        var parts: [String] = []
        if let total = totalWindows, total > 0 { parts.append("window \(s.windows)/\(total)") }
        else if s.windows > 0 { parts.append("window \(s.windows)") }
        parts.append("listed \(s.listed)")
        parts.append("fetched \(s.fetched)")
        parts.append("written \(s.written)")
        parts.append("skipped \(s.skipped)")
        if s.rejected > 0 { parts.append("rejected \(s.rejected)") }
        if s.failed > 0 { parts.append("failed \(s.failed)") }
        let r = rate(s, elapsedSeconds: elapsedSeconds)
        parts.append(String(format: "%.1f/s", r))
        if let eta = etaSeconds(s, elapsedSeconds: elapsedSeconds, totalWindows: totalWindows, remaining: remaining) {
            parts.append("ETA \(duration(eta))")
        }
        return "\(phase): " + parts.joined(separator: ", ")
    }

    /// Instances dealt with (fetched, skipped as final, or failed) per second.
    public static func rate(_ s: RunSummary, elapsedSeconds: Double) -> Double {
        guard elapsedSeconds > 0 else { return 0 }
        return Double(handled(s)) / elapsedSeconds
    }

    /// Seconds left at the current rate. The ids still to come are those listed but not yet
    /// handled; with a known window count, windows not yet listed are assumed to hold as many
    /// ids as the listed ones did on average. Nil while there is no rate to go by.
    public static func etaSeconds(_ s: RunSummary, elapsedSeconds: Double, totalWindows: Int?, remaining: Int? = nil) -> Double? {
        let r = rate(s, elapsedSeconds: elapsedSeconds)
        guard r > 0 else { return nil }
        // Listed ids are not all fetched (skipped as final, deferred by the budget): the fetch
        // phase knows what is left, and only that.
        if let remaining { return Double(max(0, remaining)) / r }
        var expected = Double(s.listed)
        if let total = totalWindows, s.windows > 0, total > s.windows {
            expected = Double(s.listed) * Double(total) / Double(s.windows)
        }
        return max(0, expected - Double(handled(s))) / r
    }

    /// `45s`, `1m05s`, `2h03m`.
    public static func duration(_ seconds: Double) -> String {
        let t = Int(seconds.rounded())
        if t < 60 { return "\(t)s" }
        if t < 3600 { return "\(t / 60)m" + pad2(t % 60) + "s" }
        return "\(t / 3600)h" + pad2(t % 3600 / 60) + "m"
    }

    private static func handled(_ s: RunSummary) -> Int { s.fetched + s.skipped + s.failed }
    private static func pad2(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
}
