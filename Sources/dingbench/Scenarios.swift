import DingSync
import Foundation

/// One line of the bench table: the figure, what it is compared against, and the target.
/// Printed as `FIGURE<TAB>...`; bench.sh lines them up. `DETAIL` lines carry the raw counts
/// a reader needs to check the arithmetic.
struct Figure {
    var name: String
    var measured: String
    var bound: String
    var ratio: Double?
    var target: String
    /// nil: no target for this figure (informational).
    var met: Bool?

    func emit() {
        let r = ratio.map { String(format: "%.2f", $0) } ?? "-"
        let verdict = met.map { $0 ? "met" : "NOT met" } ?? "-"
        out(["FIGURE", name, measured, bound, r, target, verdict].joined(separator: "\t"))
    }
}

func detail(_ text: String) {
    out("DETAIL\t\(text)")
}

/// Unbuffered, so bench.sh shows each figure as soon as it is measured.
func out(_ line: String) { FileHandle.standardOutput.write(Data((line + "\n").utf8)) }

func fmt(_ x: Double, _ digits: Int = 1) -> String { String(format: "%.\(digits)f", x) }
func mib(_ kib: Int) -> Double { Double(kib) / 1024 }

/// The settings of a bench run (brief: max_qps 200 per API, concurrency 8).
enum Rates {
    static let apiQPS = 200
    static let concurrency = 8
    /// "No QPS limit": the config's ceiling, far above what one machine can drive.
    static let unlimitedQPS = 10_000.0
    static let pageSize = 20
}

enum Scenarios {
    /// Wall time at realistic latency with the simulator enforcing the per-API limit.
    static func wall(_ env: BenchEnv, count: Int, latencyMs: Int) throws {
        try env.freshDatabase()
        let sim = try Sim(env, count: count, latencyMs: latencyMs, qps: Rates.apiQPS)
        defer { sim.stop() }
        let run = try SyncRun.run(env, sim: sim, maxQPS: Double(Rates.apiQPS), concurrency: Rates.concurrency, label: "wall")
        let stats = try sim.command("stats")
        let s = run.summary
        let pages = s.calls.listids, gets = s.fetched + s.failed
        let bound = Double(max(pages, gets)) / Double(Rates.apiQPS)
        let ratio = run.exit.wallSeconds / bound
        let throttled = stats["qps_limit_90018", default: 0] + stats["throttle_90018", default: 0]
        Figure(name: "wall time, \(count) instances, \(latencyMs) ms latency, \(Rates.apiQPS) QPS/API",
               measured: "\(fmt(run.exit.wallSeconds)) s, \(throttled) x 90018",
               bound: "max(pages \(pages), gets \(gets)) / \(Rates.apiQPS) = \(fmt(bound)) s",
               ratio: ratio, target: "<= 1.05, no 90018", met: ratio <= 1.05 && throttled == 0).emit()
        detail("wall: \(s.humanText); dingsync CPU \(fmt(run.exit.cpuSeconds, 2)) s; simulator saw token \(stats["token", default: 0]), listids \(stats["listids", default: 0]), get \(stats["get", default: 0]), 90018 \(throttled)")
    }

    /// The CPU path: no latency, no limit, so only our own code (and MariaDB) sets the pace.
    static func cpu(_ env: BenchEnv, count: Int) throws {
        try env.freshDatabase()
        let sim = try Sim(env, count: count)
        defer { sim.stop() }
        let run = try SyncRun.run(env, sim: sim, maxQPS: Rates.unlimitedQPS, concurrency: Rates.concurrency, label: "cpu")
        let rate = Double(run.summary.fetched) / run.exit.wallSeconds
        Figure(name: "instances/s, \(count) instances, no latency, no QPS limit",
               measured: "\(fmt(rate, 0)) /s", bound: "\(Rates.apiQPS) /s (the get rate limit)",
               ratio: rate / Double(Rates.apiQPS), target: "none (headroom over the limit)", met: nil).emit()
        detail("cpu: \(run.summary.humanText); wall \(fmt(run.exit.wallSeconds, 2)) s, dingsync CPU \(fmt(run.exit.cpuSeconds, 2)) s, peak RSS \(fmt(mib(run.exit.maxRSSKiB))) MiB")
    }

    /// Calls of an incremental run after a full one, against the fewest that can see every
    /// change: a get per new and per known-open instance, and the pages of the listed windows.
    static func steady(_ env: BenchEnv, count: Int, new: Int, close: Int) throws {
        try env.freshDatabase()
        let sim = try Sim(env, count: count, qps: Rates.apiQPS)
        defer { sim.stop() }
        let first = try SyncRun.run(env, sim: sim, maxQPS: Double(Rates.apiQPS), concurrency: Rates.concurrency, label: "steady-full")
        _ = try sim.command("reset")
        let step = try sim.command("step \(new) \(close)")
        let second = try SyncRun.run(env, sim: sim, maxQPS: Double(Rates.apiQPS), concurrency: Rates.concurrency, label: "steady-incr")
        let stats = try sim.command("stats")
        let s = second.summary
        let added = step["added", default: 0], open = step["open_before", default: 0]
        let pages = max(s.windows, (s.listed + Rates.pageSize - 1) / Rates.pageSize)
        let minimum = added + open + pages
        let calls = s.calls.listids + s.calls.get
        let ratio = Double(calls) / Double(max(1, minimum))
        Figure(name: "calls of a steady-state sync (\(count) known, +\(added) new, \(step["closed", default: 0]) closed)",
               measured: "\(calls) (listids \(s.calls.listids), get \(s.calls.get))",
               bound: "new \(added) + open \(open) + pages \(pages) = \(minimum)",
               ratio: ratio, target: "<= 1.05", met: ratio <= 1.05).emit()
        detail("steady full run: \(first.summary.humanText)")
        detail("steady incremental run: \(s.humanText); revisited \(s.revisited); simulator saw listids \(stats["listids", default: 0]), get \(stats["get", default: 0]); pending rejects after the full run: \(first.summary.rejected + first.summary.failed)")
    }

    /// Peak RSS must not grow with the size of the job.
    static func rss(_ env: BenchEnv, small: Int, large: Int) throws {
        var peaks: [Int] = []
        for count in [small, large] {
            try env.freshDatabase()
            let sim = try Sim(env, count: count)
            defer { sim.stop() }
            let run = try SyncRun.run(env, sim: sim, maxQPS: Rates.unlimitedQPS, concurrency: Rates.concurrency, label: "rss-\(count)")
            peaks.append(run.exit.maxRSSKiB)
            detail("rss \(count): \(run.summary.humanText); peak RSS \(run.exit.maxRSSKiB) KiB")
        }
        let ratio = Double(peaks[1]) / Double(max(1, peaks[0]))
        Figure(name: "peak RSS, \(small) instances", measured: "\(fmt(mib(peaks[0]))) MiB", bound: "-",
               ratio: nil, target: "-", met: nil).emit()
        Figure(name: "peak RSS, \(large) instances", measured: "\(fmt(mib(peaks[1]))) MiB",
               bound: "RSS at \(small) = \(fmt(mib(peaks[0]))) MiB", ratio: ratio,
               target: "<= 1.10, < 100 MiB", met: ratio <= 1.10 && mib(peaks[1]) < 100).emit()
    }
}
