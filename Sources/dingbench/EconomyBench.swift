import DingSync
import DingTalkSimulator
import Foundation
import Logging
import MySQLClient
import Synchronization

/// Simulated time for the whole benchmark: the simulator and dingsync read it; a sleep (rate
/// limiting, back-off) moves it on instead of waiting, so a month runs in minutes.
final class VirtualClock: SyncClock {
    private let now: Mutex<Int64>
    init(_ ms: Int64) { now = Mutex(ms) }
    func nowMs() -> Int64 { now.withLock { $0 } }
    func sleep(ms: Int) { now.withLock { $0 += Int64(max(0, ms)) } }
    func set(_ ms: Int64) { now.withLock { $0 = max($0, ms) } }
}

/// `dingbench economy`: runs the real sync pipeline (the library, in process) every
/// `cadence` simulated minutes against the simulator and MariaDB, after months of history,
/// and reports what it spent and how fresh the table was — beside the same figures for the
/// previous release's policy (list and re-get every open instance on every run).
enum EconomyBench {
    struct Figures {
        var label: String
        var calls30 = 0, listids30 = 0, get30 = 0
        var tokensPer2h = 0.0
        var arrivalP50 = 0.0, arrivalP95 = 0.0, closeP50 = 0.0, closeP95 = 0.0
        var unsettled = 0, settledBase = 0
    }

    static func run(_ env: BenchEnv, perDay: Int, budget: Int, cadenceMin: Int, days: Int, historyDays: Int, api: DingTalkAPI = .topapi) throws {
        let started = Date()
        let minute = EconomyWorkload.minute, day = EconomyWorkload.day
        // The measured days are a whole Beijing calendar month (January 2027: 31 days) by
        // default, the unit the budget is defined on; the week before it is run too (not
        // measured), so the month starts in the steady state.
        let monthStart: Int64 = 1_798_732_800_000  // 2027-01-01 00:00 Beijing
        let measureFrom = monthStart, measureTo = measureFrom + Int64(days) * day
        let primeFrom = monthStart - 7 * day
        let historyFrom = primeFrom - Int64(historyDays) * day
        var world = EconomyWorkload(perDay: perDay, fromMs: historyFrom, toMs: measureTo, seed: 2027)
        let clock = VirtualClock(historyFrom)

        try env.freshDatabase()
        var options = SimulatorOptions()
        options.now = { clock.nowMs() }
        let sim = DingTalkSimulator(options: options)
        try sim.start()
        defer { sim.stop() }

        // Months of history, synced once with an ample budget: the job as it stands after
        // running for months. Its catch-up calls are then forgotten by the ledger, so the
        // priming week runs under the budget like any other.
        var next = world.apply(to: sim, from: 0, until: primeFrom - minute)
        clock.set(primeFrom - minute)
        let warm = try sync(try config(env, sim: sim, budget: 10_000_000, api: api), sim: sim, clock: clock)
        guard warm.0 == .ok || warm.0 == .rejects else { throw BenchError("warm-up sync failed: \(warm.1?.message ?? "")") }
        let db = try env.connect(database: BenchEnv.database)
        try db.execute("DELETE FROM `dingsync_ledger`")

        var firstSeen: [String: Int64] = [:], finalSeen: [String: Int64] = [:]
        var t = primeFrom
        var measuredCalls = (token: 0, listids: 0, get: 0)
        var failures = 0
        let cadence = Int64(cadenceMin) * minute
        // Read once: writing and parsing it again for each of a month of runs every minute
        // cost the benchmark more CPU than the runs' own planning.
        let config = try config(env, sim: sim, budget: budget, api: api)
        while t < measureTo {
            next = world.apply(to: sim, from: next, until: t)
            clock.set(t)
            // Both families count: v1's listing pages as listids, its detail calls as get.
            func counts() -> (token: Int, listids: Int, get: Int) {
                (sim.calls(.token) + sim.calls(.v1Token), sim.calls(.listids) + sim.calls(.v1Query), sim.calls(.get) + sim.calls(.v1Get))
            }
            let before = counts()
            let (status, error) = try sync(config, sim: sim, clock: clock)
            // A month whose budget is spent ends a due listing with 75 (cli.md): the pacing
            // working as promised, not a failure of the run.
            if status != .ok && status != .rejects && error?.cause != .budget {
                failures += 1
                if failures <= 3 { FileHandle.standardError.write(Data("dingbench: sync at \(t) exited \(status.rawValue): \(error?.message ?? "")\n".utf8)) }
            }
            let after = counts()
            if t >= measureFrom {
                measuredCalls.token += after.token - before.token
                measuredCalls.listids += after.listids - before.listids
                measuredCalls.get += after.get - before.get
            }
            for r in try db.prepare("SELECT `instance_id`, `is_final` FROM `dingsync_instances` WHERE `job` = 'wan-recharge' AND `fetched_at_ms` >= ?").query([.int(t)]) {
                guard let id = r[0] ?? nil else { continue }
                if firstSeen[id] == nil { firstSeen[id] = clock.nowMs() }
                if r[1] == "1", finalSeen[id] == nil { finalSeen[id] = clock.nowMs() }
            }
            t += cadence
        }

        var f = Figures(label: "dingsync\(api == .v1 ? " (api v1)" : ""), budget \(budget)")
        let scale = 30.0 / Double(days)
        f.listids30 = Int((Double(measuredCalls.listids) * scale).rounded())
        f.get30 = Int((Double(measuredCalls.get) * scale).rounded())
        f.calls30 = f.listids30 + f.get30
        f.tokensPer2h = Double(measuredCalls.token) / (Double(days) * 12)
        let finalAtEnd = Set(try db.query("SELECT `instance_id` FROM `dingsync_instances` WHERE `job` = 'wan-recharge' AND `is_final` = 1").compactMap { $0.first ?? nil })
        var arrival: [Double] = [], close: [Double] = []
        for (id, life) in world.lifetimes {
            if life.created >= measureFrom, life.created < measureTo {
                arrival.append(Double((firstSeen[id] ?? measureTo) - life.created))
            }
            if let closed = life.closed, closed >= measureFrom, closed < measureTo {
                close.append(Double((finalSeen[id] ?? measureTo) - closed))
            }
            if let closed = life.closed, closed < measureTo - 2 * day {
                f.settledBase += 1
                if !finalAtEnd.contains(id) { f.unsettled += 1 }
            }
        }
        (f.arrivalP50, f.arrivalP95) = (percentile(arrival, 0.5) / 3.6e6, percentile(arrival, 0.95) / 3.6e6)
        (f.closeP50, f.closeP95) = (percentile(close, 0.5) / 3.6e6, percentile(close, 0.95) / 3.6e6)

        let legacy = legacyFigures(world: world, from: measureFrom, to: measureTo, cadence: cadence, days: days)
        print("DETAIL\tworkload\t\(perDay) approvals/day, cron every \(cadenceMin) min, budget \(budget), \(days) measured days after \(historyDays) days of history")
        for x in [legacy, f] {
            print(String(format: "FIGURE\t%@\tcalls/30d %d (listids %d, get %d)\ttokens/2h %.2f\tarrival p50 %.1f h p95 %.1f h\tclose p50 %.1f h p95 %.1f h\tunsettled %d of %d (%.2f %%)",
                         x.label, x.calls30, x.listids30, x.get30, x.tokensPer2h, x.arrivalP50, x.arrivalP95, x.closeP50, x.closeP95,
                         x.unsettled, x.settledBase, x.settledBase > 0 ? 100 * Double(x.unsettled) / Double(x.settledBase) : 0))
        }
        if failures > 0 { print("DETAIL\tfailed runs\t\(failures)") }
        print(String(format: "DETAIL\twall time\t%.0f s for %d simulated days of cron", Date().timeIntervalSince(started), days + 7))
    }

    /// The job's config as the benchmark's syncs run it (with `events`, as watch's passes do).
    static func config(_ env: BenchEnv, sim: DingTalkSimulator, budget: Int, api: DingTalkAPI, events: [String]? = nil) throws -> JobConfig {
        let path = try env.writeConfig(baseURL: sim.baseURL, maxQPS: 1_000, concurrency: 4, budget: budget, api: api, events: events)
        var vars = env.syncEnvironment(startDaysAgo: 0)
        vars["DINGSYNC_START"] = "2026-07-01"
        return try ConfigLoader.load(path: path, env: vars)
    }

    /// One `sync`, in process, with the benchmark's clock.
    static func sync(_ config: JobConfig, sim: DingTalkSimulator, clock: VirtualClock) throws -> (ExitStatus, DingSyncError?) {
        SyncRunner(context: runContext(config, clock: clock), request: SyncRequest(mode: .sync)).run()
    }

    /// A run's context with the benchmark's clock; its log is silent unless DINGBENCH_LOG=1.
    static func runContext(_ config: JobConfig, clock: VirtualClock) -> RunContext {
        // DINGBENCH_LOG=1 shows every run's log (the planner's decisions at debug level).
        let verbose = ProcessInfo.processInfo.environment["DINGBENCH_LOG"] == "1"
        var logger = Logger(label: "dingbench") { label -> any LogHandler in
            if verbose { return StreamLogHandler.standardError(label: label) }
            return SwiftLogNoOpLogHandler()
        }
        logger.logLevel = verbose ? Logger.Level.debug : Logger.Level.critical
        return RunContext(config: config, clock: clock, console: Console(), logger: logger)
    }

    /// The previous release: every run lists (one page for a 10-minute window), fetches every
    /// open instance it knows, and asks for a token; rows and closes appear at the next run.
    static func legacyFigures(world: EconomyWorkload, from: Int64, to: Int64, cadence: Int64, days: Int) -> Figures {
        var f = Figures(label: "previous release (every run re-gets every open instance)")
        var runs = 0, gets = 0, lists = 0
        var arrival: [Double] = [], close: [Double] = []
        let lives = Array(world.lifetimes.values)
        var t = from
        while t < to {
            runs += 1
            let fresh = lives.filter { $0.created < t && $0.created >= t - cadence }.count
            lists += max(1, (fresh + 19) / 20)
            // Open as of the previous run: known to the table and not final.
            gets += lives.filter { $0.created < t - cadence && ($0.closed ?? .max) > t - cadence }.count
            t += cadence
        }
        for l in lives {
            if l.created >= from, l.created < to { arrival.append(Double(cadence - (l.created - from) % cadence)) }
            if let c = l.closed, c >= from, c < to { close.append(Double(cadence - (c - from) % cadence)) }
        }
        let scale = 30.0 / Double(days)
        f.listids30 = Int(Double(lists) * scale)
        f.get30 = Int(Double(gets) * scale)
        f.calls30 = f.listids30 + f.get30
        f.tokensPer2h = Double(runs) / (Double(days) * 12)
        (f.arrivalP50, f.arrivalP95) = (percentile(arrival, 0.5) / 3.6e6, percentile(arrival, 0.95) / 3.6e6)
        (f.closeP50, f.closeP95) = (percentile(close, 0.5) / 3.6e6, percentile(close, 0.95) / 3.6e6)
        return f
    }

    static func percentile(_ xs: [Double], _ p: Double) -> Double {
        guard !xs.isEmpty else { return .nan }
        let s = xs.sorted()
        return s[min(s.count - 1, Int(p * Double(s.count)))]
    }
}
