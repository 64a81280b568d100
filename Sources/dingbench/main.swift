import Foundation
import DingSync
#if canImport(Glibc)
import Glibc
#endif

/// dingbench: the parts of `make bench` a shell does badly. Each scenario starts its own
/// dingsim, runs the release dingsync against the MariaDB that bench.sh started, and prints
/// FIGURE/DETAIL lines (tab-separated) for bench.sh to tabulate.

let usage = """
usage: dingbench SCENARIO [--bin DIR] [--repo DIR] [--timeout SECONDS] [options]
  wall    [--count 3000] [--latency-ms 30]   wall time vs max(pages, gets) / 200 QPS
  cpu     [--count 5000]                     instances/s with no latency and no QPS limit
  steady  [--count 3000] [--new 20] [--close 10]   calls of an incremental sync vs the minimum
  rss     [--small 2000] [--large 20000]     peak RSS of dingsync at two job sizes
  writer  [--rows 100000] [--batch 500] [--rounds 3]   TargetWriter vs LOAD DATA, same rows and table
  economy [--per-day 50] [--budget 4000] [--cadence-min 10] [--days 31] [--history-days 150] [--api topapi|v1]
          [--watch finish,terminate[,start]] [--faults none|issue]
                                             calls and freshness of cron syncs (or of watch) over simulated weeks
  cadence                                    a month of cron, planner and budget only: spend by cadence
Needs DINGSYNC_TEST_MYSQL_SOCKET/_USER/_PASSWORD (eval "$(scripts/mariadb.sh env)").
"""

func die(_ message: String, _ code: Int32 = 1) -> Never {
    FileHandle.standardError.write(Data("dingbench: \(message)\n".utf8))
    exit(code)
}

// bench.sh stops us with SIGTERM when it is interrupted or times out: take our children along.
for sig in [SIGTERM, SIGINT] {
    signal(sig) { received in
        Child.running.forEach { kill($0, SIGKILL) }
        _exit(128 + received)
    }
}
signal(SIGPIPE, SIG_IGN)

var args = Array(CommandLine.arguments.dropFirst())
guard let scenario = args.first, !scenario.hasPrefix("-") else { die("no scenario\n\(usage)", 64) }
args.removeFirst()
var options: [String: String] = [:]
while !args.isEmpty {
    let flag = args.removeFirst()
    guard flag.hasPrefix("--"), !args.isEmpty else { die("bad option \(flag)\n\(usage)", 64) }
    options[String(flag.dropFirst(2))] = args.removeFirst()
}
@MainActor func int(_ name: String, _ fallback: Int) -> Int {
    guard let text = options.removeValue(forKey: name) else { return fallback }
    guard let n = Int(text), n >= 0 else { die("--\(name) wants a non-negative integer", 64) }
    return n
}

let cwd = FileManager.default.currentDirectoryPath
let bin = options.removeValue(forKey: "bin") ?? URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().path
let repo = options.removeValue(forKey: "repo") ?? cwd
let timeout = Double(int("timeout", 900))

let env: BenchEnv
do { env = try BenchEnv(bin: bin, repo: repo, timeout: timeout) } catch { die("\(error)") }
defer { env.removeWork() }

// Read every option before the (long) run, so a typo fails at once.
let body: () throws -> Void
switch scenario {
case "wall":
    let (count, latency) = (int("count", 3000), int("latency-ms", 30))
    body = { try Scenarios.wall(env, count: count, latencyMs: latency) }
case "cpu":
    let count = int("count", 5000)
    body = { try Scenarios.cpu(env, count: count) }
case "steady":
    let (count, new, close) = (int("count", 3000), int("new", 20), int("close", 10))
    body = { try Scenarios.steady(env, count: count, new: new, close: close) }
case "rss":
    let (small, large) = (int("small", 2000), int("large", 20000))
    body = { try Scenarios.rss(env, small: small, large: large) }
case "writer":
    let (rows, batch, rounds) = (int("rows", 100_000), max(1, int("batch", 500)), int("rounds", 3))
    body = { try WriterBench.run(env, rows: rows, batch: batch, rounds: rounds) }
case "economy":
    let (perDay, budget, cadence, days, history) = (int("per-day", 50), int("budget", 4000), max(1, int("cadence-min", 10)),
                                                    max(1, int("days", 31)), int("history-days", 150))
    let apiText = options.removeValue(forKey: "api") ?? "topapi"
    guard let api = DingTalkAPI(rawValue: apiText) else { die("--api wants topapi or v1", 64) }
    if let watch = options.removeValue(forKey: "watch") {
        let types = watch.split(separator: ",").map(String.init)
        let faults = options.removeValue(forKey: "faults") == "issue" ? WatchBench.Faults.issue : .none
        body = { try WatchBench.run(env, perDay: perDay, budget: budget, types: types, faults: faults, days: days, historyDays: history, api: api) }
    } else {
        body = { try EconomyBench.run(env, perDay: perDay, budget: budget, cadenceMin: cadence, days: days, historyDays: history, api: api) }
    }
case "cadence":
    body = { try CadenceBench.run() }
default: die("unknown scenario \(scenario)\n\(usage)", 64)
}
if !options.isEmpty { die("options not used by \(scenario): \(options.keys.sorted().joined(separator: ", "))", 64) }
do {
    try body()
} catch {
    env.removeWork()
    die("\(scenario): \(error)")
}
