import Foundation
import Prometheus
import Synchronization

/// `watch --metrics-file`: per job the last pass's figures (as `sync --metrics-file` writes
/// them), and the Stream connection: connected or not, connections opened and events received
/// since the service started. Rewritten atomically after every pass and connection change.
final class WatchMetrics: Sendable {
    struct Stream {
        var connected = false
        var connections = 0
        var events = 0, duplicates = 0, foreign = 0, later = 0
    }

    private let path: String
    private let jobs: [String]
    private let state = Mutex<(passes: [String: (RunSummary, Int32, Int64)], stream: Stream)>(([:], Stream()))

    init(path: String, jobs: [String]) {
        self.path = path
        self.jobs = jobs
    }

    func pass(_ s: RunSummary, exitCode: Int32, nowMs: Int64) {
        state.withLock { $0.passes[s.job] = (s, exitCode, nowMs) }
    }

    func stream(_ change: (inout Stream) -> Void) { state.withLock { change(&$0.stream) } }

    func render() -> String {
        let (passes, stream) = state.withLock { ($0.passes, $0.stream) }
        let registry = PrometheusCollectorRegistry()
        for job in jobs.sorted() {
            if let (s, code, at) = passes[job] { MetricsFile.add(s, exitCode: code, nowMs: at, to: registry) }
            MetricsFile.gauge(registry, job, "dingsync_stream_connected", "1 while watch holds a healthy DingTalk Stream connection.",
                              [(nil, stream.connected ? 1 : 0)])
            MetricsFile.gauge(registry, job, "dingsync_stream_connections_total", "Stream connections opened since watch started.",
                              [(nil, Double(stream.connections))])
            MetricsFile.gauge(registry, job, "dingsync_stream_events_total", "Stream events since watch started, by outcome.",
                              [("outcome", "recorded", stream.events), ("outcome", "duplicate", stream.duplicates),
                               ("outcome", "later", stream.later), ("outcome", "other_form", stream.foreign)]
                                .map { (($0.0, $0.1), Double($0.2)) })
        }
        return MetricsFile.text(registry)
    }

    /// A failure to write is a warning: metrics never stop the service.
    func write(logger: (String) -> Void) {
        do { try MetricsFile.write(render(), to: path) } catch { logger(error.message) }
    }
}
