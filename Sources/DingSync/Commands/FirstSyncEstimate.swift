/// What `check` says a first sync will cost before it runs: the instances created since
/// `sync.start`, counted with a few listing calls (topapi's cursor behaves like an offset, so a
/// doubling and a bisection find a window's last page in about 2·log2(n/20) calls instead of
/// n/20), then the list pages and gets a sync makes for them, against the month's budget.
struct FirstSyncEstimate {
    var instances = 0
    var pages = 0
    var countCalls = 0
    /// A window held more than DingTalk's 10,000-id cursor cap: `instances` is a lower bound.
    var atLeast = false

    var cost: Int { pages + instances }

    static func count(_ client: DingTalkClient, fromMs: Int64, toMs: Int64) throws(DingTalkError) -> FirstSyncEstimate {
        var e = FirstSyncEstimate()
        for w in WindowPlanner.windows(fromMs: fromMs, toMs: toMs, windowDays: 120) {
            func page(_ cursor: Int) throws(DingTalkError) -> Int {
                e.countCalls += 1
                return try client.listIds(startMs: w.fromMs, endMs: w.toMs - 1, cursor: cursor).ids.count
            }
            let size = 20
            var (lo, loCount) = (0, try page(0))
            var hi = 2 * size
            // Doubling until a page past the end, then bisection down to one page.
            while loCount == size {
                guard hi < Lister.idCap else { e.atLeast = true; break }
                let n = try page(hi)
                if n == 0 { break }
                (lo, loCount) = (hi, n)
                hi *= 2
            }
            while !e.atLeast, loCount == size, hi - lo > size {
                let mid = lo + (hi - lo) / 2 / size * size
                let n = try page(mid)
                if n > 0 { (lo, loCount) = (mid, n) } else { hi = mid }
            }
            let n = lo + loCount
            e.instances += n
            e.pages += max(1, (n + size - 1) / size)
        }
        return e
    }

    /// The line `check` prints, and which way the first sync goes at this budget.
    func text(budget: CallBudget, days: Double) -> String {
        let perMonth = days > 0 ? Int(Double(instances) / days * 30) : 0
        let rest = Int(Double(perMonth) * Double(budget.month.endMs - budget.nowMs) / Double(RevisitPolicy.month))
        let head = "about \(atLeast ? "at least " : "")\(cost) call(s): \(pages) list page(s) and \(instances) get(s) for the instances since sync.start (counted with \(countCalls) listing call(s))"
        if cost + rest <= budget.remaining {
            return head + "; fits this month's budget (\(budget.remaining) left) beside the steady state's need"
        }
        return head + "; more than this month's budget leaves (\(budget.remaining) left, the steady state needs about \(rest) more): "
            + "the first sync fetches what fits, keeps the rest of the month's need, and says when the history is in. "
            + "To go faster: raise dingtalk.monthly_call_budget, or `dingsync backfill --from DATE --to DATE --max-calls N`"
    }
}
