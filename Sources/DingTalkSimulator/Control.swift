/// Moves the simulated world forward between two syncs, for the steady-state benchmark (and any
/// test that wants "some time passed"): new approvals arrive and some open ones are decided.
/// None of this goes through HTTP, so it never shows up in the call counters.
public struct SimStepReport: Sendable, Equatable {
    /// Open (not final) instances just before the step: what an up-to-date client knows as open
    /// and must re-read, because `listids` filters on creation time only.
    public var openBefore: Int
    public var added: Int
    public var closed: Int
    public var openAfter: Int
    public var total: Int

    /// One line of flat JSON, the form `dingsim --control stdin` answers in.
    public var json: String {
        "{\"open_before\":\(openBefore),\"added\":\(added),\"closed\":\(closed),\"open_after\":\(openAfter),\"total\":\(total)}"
    }
}

extension DingTalkSimulator {
    /// Instances not in a final status (NEW, RUNNING).
    public func openCount() -> Int {
        state.withLock { s in s.instances.values.reduce(0) { $0 + ($1.isFinal ? 0 : 1) } }
    }

    /// Adds `new` (their ids must be unknown so far) and closes up to `close` of the instances
    /// that were open before the step, the oldest first, as approved at `nowMs`. One lock: a
    /// client never sees half a step. Closes and additions are Stream events born at `nowMs`.
    @discardableResult
    public func step(adding new: [SimInstance], closing close: Int, nowMs: Int64) -> SimStepReport {
        defer { deliverDue() }
        return state.withLock { s in
            let open = s.sorted().filter { !$0.isFinal }
            var closed = 0
            for old in open.prefix(max(0, close)) {
                var inst = old
                inst.status = "COMPLETED"
                inst.result = "agree"
                inst.finishTimeMs = max(nowMs, inst.createTimeMs)
                s.instances[inst.id] = inst
                s.stream.noteChange(from: old, to: inst, at: nowMs, options: options)
                closed += 1
            }
            var added = 0
            for inst in new where s.instances[inst.id] == nil {
                s.instances[inst.id] = inst
                s.stream.noteChange(from: nil, to: inst, at: nowMs, options: options)
                added += 1
            }
            s.sortedCache = nil
            let openAfter = s.instances.values.reduce(0) { $0 + ($1.isFinal ? 0 : 1) }
            return SimStepReport(openBefore: open.count, added: added, closed: closed,
                                 openAfter: openAfter, total: s.instances.count)
        }
    }

    /// Counters as one line of flat JSON: requests per API (faulted ones included) and the
    /// 90018 answers, split into the per-second QPS limit and random throttling.
    public func statsJSON() -> String {
        state.withLock { s in
            let c = s.calls, f = s.faultCounts
            return "{\"token\":\(c[.token, default: 0]),\"listids\":\(c[.listids, default: 0]),"
                + "\"get\":\(c[.get, default: 0]),\"qps_limit_90018\":\(f[.qpsLimit, default: 0]),"
                + "\"throttle_90018\":\(f[.throttle, default: 0]),\"instances\":\(s.instances.count),"
                + "\"v1_token\":\(c[.v1Token, default: 0]),\"v1_query\":\(c[.v1Query, default: 0]),\"v1_get\":\(c[.v1Get, default: 0]),"
                + "\"stream_open\":\(c[.streamOpen, default: 0]),\"stream_pushes\":\(s.stream.stats.pushes)}"
        }
    }
}
