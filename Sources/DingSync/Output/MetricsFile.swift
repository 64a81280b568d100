import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// `--metrics-file`: the run's figures in Prometheus text exposition format, for
/// node_exporter's textfile collector.
///
/// Every figure describes the last run only (a file is replaced, not accumulated), so all are
/// gauges, even the `_total` ones: a counter that drops at each run would make `rate()` and
/// `increase()` invent resets.
public enum MetricsFile {
    /// The file's text. `nowMs` is the run's end (the `last_run_timestamp`).
    public static func render(_ s: RunSummary, exitCode: Int32, nowMs: Int64) -> String {
        let job = "job=\"\(escapeLabel(s.job))\""
        var out = ""
        func metric(_ name: String, _ help: String, _ samples: [(String?, String)]) {
            out += "# HELP \(name) \(help)\n# TYPE \(name) gauge\n"
            for (extra, value) in samples {
                out += "\(name){\(job)\(extra.map { ",\($0)" } ?? "")} \(value)\n"
            }
        }
        metric("dingsync_last_run_timestamp_seconds", "When the last run ended (Unix time).",
               [(nil, seconds(nowMs))])
        metric("dingsync_run_exit_code", "Exit code of the last run (0 ok, 65 rejects, other non-zero failed).",
               [(nil, "\(exitCode)")])
        metric("dingsync_instances_total", "Approval instances in the last run, by pipeline stage.",
               [("listed", s.listed), ("fetched", s.fetched), ("written", s.written), ("skipped", s.skipped),
                ("rejected", s.rejected), ("failed", s.failed)].map { ("stage=\"\($0.0)\"", "\($0.1)") })
        metric("dingsync_api_calls_total", "DingTalk API calls made in the last run, by API.",
               ([("token", s.calls.token), ("listids", s.calls.listids), ("get", s.calls.get)]
                + [(V1Codec.queryAPI, s.calls.v1Query), (V1Codec.getAPI, s.calls.v1Get)].filter { $0.1 > 0 })
                .map { ("api=\"\($0.0)\"", "\($0.1)") })
        metric("dingsync_retries_total", "DingTalk calls retried in the last run.", [(nil, "\(s.calls.retries)")])
        metric("dingsync_run_duration_seconds", "Wall-clock duration of the last run.", [(nil, seconds(s.elapsedMs))])
        if let w = s.watermarkMs {
            // Absent when the run did not read or move the watermark (backfill, dry run, early failure).
            metric("dingsync_watermark_timestamp_seconds", "The job's watermark after the last run (Unix time).",
                   [(nil, seconds(w))])
        }
        return out
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

    /// Label values escape backslash, double quote and newline (exposition format).
    static func escapeLabel(_ v: String) -> String {
        v.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "\n", with: "\\n")
    }

    /// Milliseconds as seconds with exactly three decimals, no float rounding noise.
    static func seconds(_ ms: Int64) -> String {
        let sign = ms < 0 ? "-" : ""
        let a = ms.magnitude
        let frac = String(a % 1000)
        return "\(sign)\(a / 1000).\(String(repeating: "0", count: 3 - frac.count))\(frac)"
    }

    private static func failure(_ what: String, _ code: Int32) -> DingSyncError {
        DingSyncError(.bug, "metrics file: could not \(what): \(String(cString: strerror(code)))")
    }
}
