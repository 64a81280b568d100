import Foundation
import Prometheus
#if canImport(Glibc)
import Glibc
#endif

/// `--metrics-file`: the run's figures in Prometheus text exposition format, for
/// node_exporter's textfile collector.
///
/// Every figure describes the last run only (a file is replaced, not accumulated), so all are
/// gauges, even the `_total` ones: a counter that drops at each run would make `rate()` and
/// `increase()` invent resets. The text comes from swift-prometheus (escaping, formatting and
/// name rules are its job); what is ours is the atomic replacement of the file.
public enum MetricsFile {
    /// The file's text, rendered by swift-prometheus's registry (one gauge family per figure,
    /// every sample labelled with the job). `nowMs` is the run's end (`last_run_timestamp`).
    public static func render(_ s: RunSummary, exitCode: Int32, nowMs: Int64) -> String {
        let registry = PrometheusCollectorRegistry()
        add(s, exitCode: exitCode, nowMs: nowMs, to: registry)
        return text(registry)
    }

    /// One gauge family per figure, every sample labelled with the job (several jobs share a
    /// family under `watch`).
    static func gauge(_ registry: PrometheusCollectorRegistry, _ job: String, _ name: String, _ help: String,
                      _ samples: [((String, String)?, Double)]) {
        for (extra, value) in samples {
            // The whole name goes in metricName: a descriptor joins only its non-empty parts.
            let descriptor = MetricNameDescriptor(metricName: name, unitName: "", helpText: help)
            registry.makeGauge(descriptor: descriptor, labels: [("job", job)] + (extra.map { [$0] } ?? [])).set(value)
        }
    }

    static func text(_ registry: PrometheusCollectorRegistry) -> String {
        var buffer: [UInt8] = []
        registry.emit(into: &buffer)
        return String(decoding: buffer, as: UTF8.self)
    }

    static func add(_ s: RunSummary, exitCode: Int32, nowMs: Int64, to registry: PrometheusCollectorRegistry) {
        func gauge(_ name: String, _ help: String, _ samples: [((String, String)?, Double)]) {
            Self.gauge(registry, s.job, name, help, samples)
        }
        gauge("dingsync_last_run_timestamp_seconds", "When the last run ended (Unix time).", [(nil, seconds(nowMs))])
        gauge("dingsync_run_exit_code", "Exit code of the last run (0 ok, 65 rejects, other non-zero failed).",
              [(nil, Double(exitCode))])
        gauge("dingsync_instances_total", "Approval instances in the last run, by pipeline stage.",
              [("listed", s.listed), ("fetched", s.fetched), ("written", s.written), ("skipped", s.skipped),
               ("rejected", s.rejected), ("failed", s.failed)].map { (("stage", $0.0), Double($0.1)) })
        gauge("dingsync_api_calls_total", "DingTalk API calls made in the last run, by API.",
              ([("token", s.calls.token), ("listids", s.calls.listids), ("get", s.calls.get)]
                + [(V1Codec.queryAPI, s.calls.v1Query), (V1Codec.getAPI, s.calls.v1Get)].filter { $0.1 > 0 })
                .map { (("api", $0.0), Double($0.1)) })
        gauge("dingsync_retries_total", "DingTalk calls retried in the last run.", [(nil, Double(s.calls.retries))])
        gauge("dingsync_run_duration_seconds", "Wall-clock duration of the last run.", [(nil, seconds(s.elapsedMs))])
        if let w = s.watermarkMs {
            // Absent when the run did not read or move the watermark (backfill, dry run, early failure).
            gauge("dingsync_watermark_timestamp_seconds", "The job's watermark after the last run (Unix time).", [(nil, seconds(w))])
        }
        gauge("dingsync_month_calls", "Metered DingTalk calls of the job this Beijing month, after the last run.",
              [(nil, Double(s.monthCalls))])
        gauge("dingsync_month_call_budget", "The job's monthly call budget (dingtalk.monthly_call_budget).", [(nil, Double(s.budget))])
    }

    /// Writes the text to a temporary file in the same directory (the collector reads only
    /// `*.prom`, so the temporary name does not end in it), flushes it, then renames it over
    /// `path`: a scrape sees the old file or the new one, never half of one.
    public static func write(_ text: String, to path: String) throws(DingSyncError) {
        let url = URL(fileURLWithPath: path)
        let dir = url.deletingLastPathComponent().path
        let tmp = dir + "/." + url.lastPathComponent + ".tmp-\(getpid())"
        let fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw failure("create \(tmp)", errno) }
        var ok = true
        var err: Int32 = 0
        let bytes = Array(text.utf8)
        var offset = 0
        while ok && offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            if n < 0 { if errno == EINTR { continue }; ok = false; err = errno } else { offset += n }
        }
        if ok && fsync(fd) != 0 { ok = false; err = errno }
        if close(fd) != 0 && ok { ok = false; err = errno }
        if ok && rename(tmp, path) != 0 { ok = false; err = errno }
        if !ok {
            unlink(tmp)
            throw failure("write \(path)", err)
        }
    }

    public static func write(_ s: RunSummary, exitCode: Int32, nowMs: Int64, to path: String) throws(DingSyncError) {
        try write(render(s, exitCode: exitCode, nowMs: nowMs), to: path)
    }

    static func seconds(_ ms: Int64) -> Double { Double(ms) / 1000 }

    private static func failure(_ what: String, _ code: Int32) -> DingSyncError {
        DingSyncError(.bug, "metrics file: could not \(what): \(String(cString: strerror(code)))")
    }
}
