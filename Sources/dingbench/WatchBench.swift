import DingSync
import DingTalkSimulator
import Foundation
import Logging

/// `dingbench economy --watch`: the same world, budget and measurement as the polling rows,
/// with `dingsync watch` instead of cron. The simulator turns the world's changes into
/// `bpms_instance_change` events through its console filter; the benchmark plays the Stream
/// connection on the simulated clock (the WebSocket itself is covered by the test suite):
/// each event is recorded as the watch records it (EventRecorder: owed a get, deduplicated by
/// eventId), a pass runs 2 s after the first of a batch, and a regular pass every 10 minutes.
/// Faults: pushes lost in transit, duplicated, a 6-hour outage each week (pushes during it are
/// lost: no replay) and a new connection every ~20 hours.
enum WatchBench {
    struct Faults {
        var lossRate = 0.0, duplicateRate = 0.0
        var outageHoursPerWeek = 0
        var reconnectEveryHours = 0
        static let none = Faults()
        static let issue = Faults(lossRate: 0.10, duplicateRate: 0.05, outageHoursPerWeek: 6, reconnectEveryHours: 20)
    }

    static func run(_ env: BenchEnv, perDay: Int, budget: Int, types: [String], faults: Faults, days: Int, historyDays: Int,
                    api: DingTalkAPI) throws {
        let started = Date()
        let minute = EconomyWorkload.minute, day = EconomyWorkload.day, hour = EconomyWorkload.hour
        let monthStart: Int64 = 1_798_732_800_000  // 2027-01-01 00:00 Beijing, as the polling rows
        let measureFrom = monthStart, measureTo = measureFrom + Int64(days) * day
        let primeFrom = monthStart - 7 * day
        let historyFrom = primeFrom - Int64(historyDays) * day
        var world = EconomyWorkload(perDay: perDay, fromMs: historyFrom, toMs: measureTo, seed: 2027)
        let clock = VirtualClock(historyFrom)

        try env.freshDatabase()
        var options = SimulatorOptions()
        options.now = { clock.nowMs() }
        options.stream.tickerIntervalMs = 0
        options.stream.filter = StreamFilter(processCodes: nil, types: Set(types.compactMap(StreamEventType.init(rawValue:))))
        let sim = DingTalkSimulator(options: options)
        try sim.start()
        defer { sim.stop() }

        var next = world.apply(to: sim, from: 0, until: primeFrom - minute)
        clock.set(primeFrom - minute)
        let warm = try EconomyBench.sync(try EconomyBench.config(env, sim: sim, budget: 10_000_000, api: api), sim: sim, clock: clock)
        guard warm.0 == .ok || warm.0 == .rejects else { throw BenchError("warm-up sync failed: \(warm.1?.message ?? "")") }
        let db = try env.connect(database: BenchEnv.database)
        try db.execute("DELETE FROM `dingsync_ledger`")
        var logIndex = sim.streamEvents(from: 0).count  // history's events were pushed before the watch

        let context = EconomyBench.runContext(try EconomyBench.config(env, sim: sim, budget: budget, api: api, events: types), clock: clock)
        let recorder = EventRecorder(config: context.config, logger: context.logger)
        var rng = SplitMix64(seed: 1_818)
        func roll(_ p: Double) -> Bool { p > 0 && SplitMix64.unit(rng.next()) < p }

        // The connection: up from the priming week on, down for 6 hours at a seeded hour of
        // every week, and a new connection every ~20 hours.
        var outages: [(Int64, Int64)] = []
        if faults.outageHoursPerWeek > 0 {
            var w = primeFrom
            while w < measureTo {
                let start = w + Int64(SplitMix64.unit(rng.next()) * Double(7 * day - Int64(faults.outageHoursPerWeek) * hour))
                outages.append((start, start + Int64(faults.outageHoursPerWeek) * hour))
                w += 7 * day
            }
        }
        func inOutage(_ t: Int64) -> Bool { outages.contains { t >= $0.0 && t < $0.1 } }
        var up = false
        var opens = 0, measuredOpens = 0
        func connect(_ t: Int64) {
            recorder.up(t)
            recorder.ledger("stream_open", nowMs: t)
            opens += 1
            if t >= measureFrom { measuredOpens += 1 }
            up = true
        }
        var nextReconnect = faults.reconnectEveryHours > 0 ? primeFrom + Int64(faults.reconnectEveryHours) * hour : Int64.max
        clock.set(primeFrom)
        connect(primeFrom)

        var firstSeen: [String: Int64] = [:], finalSeen: [String: Int64] = [:]
        var measured = (token: 0, listids: 0, get: 0)
        var pushes = 0, lostNoClient = 0, dropped = 0, duplicated = 0, passes = 0, failures = 0
        var nextRegular = primeFrom
        var passDue: Int64?
        var t = primeFrom
        while t < measureTo {
            next = world.apply(to: sim, from: next, until: t)
            clock.set(t)
            // The connection's state at t.
            if up, inOutage(t) {
                recorder.down(lastAliveMs: outages.first { t >= $0.0 && t < $0.1 }!.0, nowMs: t)
                up = false
            } else if !up, !inOutage(t) {
                connect(t)
            } else if up, t >= nextReconnect {
                recorder.down(lastAliveMs: t, nowMs: t)
                connect(t + 2_000)
                nextReconnect = t + Int64(Double(faults.reconnectEveryHours) * Double(hour) * (0.9 + 0.2 * SplitMix64.unit(rng.next())))
            }
            if up { recorder.alive(t) }
            for e in sim.streamEvents(from: logIndex) {
                logIndex += 1
                guard up, !inOutage(e.bornTimeMs) else { lostNoClient += 1; continue }
                if e.bornTimeMs >= measureFrom { pushes += 1 }
                if roll(faults.lossRate) { dropped += 1; continue }
                let change = StreamFrame.InstanceChange(instanceId: e.instanceId, processCode: e.processCode, type: e.type.rawValue,
                                                        result: e.result, finishMs: e.finishTimeMs)
                _ = recorder.event(e.eventId, change, nowMs: e.bornTimeMs + 100)
                if roll(faults.duplicateRate) {
                    duplicated += 1
                    _ = recorder.event(e.eventId, change, nowMs: e.bornTimeMs + 1_000)
                }
                passDue = min(passDue ?? .max, e.bornTimeMs + 2_000)
            }
            if t >= nextRegular || (passDue.map { t >= $0 } ?? false) {
                if t >= nextRegular { nextRegular += 10 * minute }
                passDue = nil
                let before = counts(sim)
                let (status, error) = SyncRunner(context: context, request: SyncRequest(mode: .sync)).run()
                passes += 1
                if status != .ok && status != .rejects {
                    failures += 1
                    if failures <= 3 { FileHandle.standardError.write(Data("dingbench: pass at \(t) exited \(status.rawValue): \(error?.message ?? "")\n".utf8)) }
                }
                let after = counts(sim)
                if t >= measureFrom {
                    measured.token += after.token - before.token
                    measured.listids += after.listids - before.listids
                    measured.get += after.get - before.get
                }
                for r in try db.prepare("SELECT `instance_id`, `is_final` FROM `dingsync_instances` WHERE `job` = 'wan-recharge' AND `fetched_at_ms` >= ?").query([.int(t)]) {
                    guard let id = r[0] ?? nil else { continue }
                    if firstSeen[id] == nil { firstSeen[id] = clock.nowMs() }
                    if r[1] == "1", finalSeen[id] == nil { finalSeen[id] = clock.nowMs() }
                }
            }
            // On to the next thing that happens: a world change, a due pass, the next regular one.
            var step = nextRegular
            if let due = passDue { step = min(step, due) }
            if let at = world.nextEventMs(from: next) { step = min(step, max(t + 1_000, at)) }
            t = max(step, t + 1_000)
        }

        var f = EconomyBench.Figures(label: "dingsync watch\(api == .v1 ? " (api v1)" : ""), \(types.joined(separator: "+")), budget \(budget)")
        let scale = 30.0 / Double(days)
        f.listids30 = Int((Double(measured.listids) * scale).rounded())
        f.get30 = Int((Double(measured.get) * scale).rounded())
        let opens30 = Int((Double(measuredOpens) * scale).rounded())
        f.calls30 = f.listids30 + f.get30 + opens30
        f.tokensPer2h = Double(measured.token) / (Double(days) * 12)
        let finalAtEnd = Set(try db.query("SELECT `instance_id` FROM `dingsync_instances` WHERE `job` = 'wan-recharge' AND `is_final` = 1").compactMap { $0.first ?? nil })
        var arrival: [Double] = [], close: [Double] = []
        var unsettledOld = 0
        for (id, life) in world.lifetimes {
            if life.created >= measureFrom, life.created < measureTo { arrival.append(Double((firstSeen[id] ?? measureTo) - life.created)) }
            if let closed = life.closed, closed >= measureFrom, closed < measureTo { close.append(Double((finalSeen[id] ?? measureTo) - closed)) }
            if let closed = life.closed, closed < measureTo - 2 * day {
                f.settledBase += 1
                if !finalAtEnd.contains(id) { f.unsettled += 1; unsettledOld += 1 }
            }
        }
        (f.arrivalP50, f.arrivalP95) = (EconomyBench.percentile(arrival, 0.5) / 3.6e6, EconomyBench.percentile(arrival, 0.95) / 3.6e6)
        (f.closeP50, f.closeP95) = (EconomyBench.percentile(close, 0.5) / 3.6e6, EconomyBench.percentile(close, 0.95) / 3.6e6)
        let missed = try db.query("SELECT COALESCE(SUM(`missed`), 0) FROM `dingsync_event_days` WHERE `day` >= '2027-01-01'").first?.first ?? nil
        let faultText = faults.lossRate > 0 || faults.outageHoursPerWeek > 0
            ? String(format: "faults: %.0f %% lost, %.0f %% duplicated, %d h outage a week, reconnect every ~%d h", faults.lossRate * 100, faults.duplicateRate * 100, faults.outageHoursPerWeek, faults.reconnectEveryHours)
            : "events healthy"
        print("DETAIL\tworkload\t\(perDay) approvals/day, watch (regular pass every 10 min), budget \(budget), \(days) measured days after \(historyDays) days of history; \(faultText)")
        print(String(format: "FIGURE\t%@\tcalls/30d %d (listids %d, get %d, stream_open %d)\ttokens/2h %.2f\tarrival p50 %.2f h p95 %.2f h\tclose p50 %.2f h p95 %.2f h\tunsettled %d of %d (%.2f %%)",
                     f.label, f.calls30, f.listids30, f.get30, opens30, f.tokensPer2h, f.arrivalP50, f.arrivalP95, f.closeP50, f.closeP95,
                     f.unsettled, f.settledBase, f.settledBase > 0 ? 100 * Double(f.unsettled) / Double(f.settledBase) : 0))
        print(String(format: "FIGURE\tpushes\t%d per 30 days (of the organisation's 3,000)\tlost while down %d\tlost in transit %d\tduplicated %d\tmissed (found by polling) %@\tpasses %d",
                     Int((Double(pushes) * scale).rounded()), lostNoClient, dropped, duplicated, missed ?? "0", passes))
        if failures > 0 { print("DETAIL\tfailed passes\t\(failures)") }
        print(String(format: "DETAIL\twall time\t%.0f s for %d simulated days of watch", Date().timeIntervalSince(started), days + 7))
    }

    private static func counts(_ sim: DingTalkSimulator) -> (token: Int, listids: Int, get: Int) {
        (sim.calls(.token) + sim.calls(.v1Token), sim.calls(.listids) + sim.calls(.v1Query), sim.calls(.get) + sim.calls(.v1Get))
    }
}

extension EconomyWorkload {
    /// When the next event from `index` on happens (nil: none left).
    func nextEventMs(from index: Int) -> Int64? { index < events.count ? events[index].at : nil }
}
