/// A recorded quota block (90020) holds until the 1st, but an organisation that buys an add-on
/// pack or upgrades its edition mid-month has its quota back at once: a blocked job asks
/// DingTalk with one cheap call at most every 6 hours (about 120 refused calls in a month),
/// and `check` asks on demand.
public enum QuotaProbe {
    public static let intervalMs: Int64 = 6 * 3_600_000

    /// When the next probe is due: at once if none was made (a block recorded before probes
    /// existed), else 6 hours after the last (the 90020 that set the block counts as one).
    public static func nextMs(afterProbeAt probedMs: Int64?) -> Int64 {
        probedMs.map { $0 + intervalMs } ?? 0
    }

    /// One listing page of the last minute: nil when DingTalk answered normally.
    public static func probe(_ client: DingTalkClient, nowMs: Int64) -> DingTalkError? {
        do {
            _ = try client.listIds(startMs: nowMs - 60_000, endMs: nowMs, cursor: 0)
            return nil
        } catch {
            return error
        }
    }
}
