import DingSyncMapping
import Foundation

/// DingTalk meters calls per organisation per *Beijing* calendar month, whatever the job's
/// own timezone: the month of the budget is always Beijing's.
public struct BeijingMonth: Sendable, Equatable, CustomStringConvertible {
    public var year: Int
    public var month: Int
    public var startMs: Int64
    public var endMs: Int64

    static let offsetMs: Int64 = 8 * 3_600_000

    public init(containing ms: Int64) {
        let local = LocalDateTime(epochMs: ms, timeZone: BeijingMonth.zone)
        year = local.year
        month = local.month
        startMs = Self.epochMs(year: year, month: month)
        endMs = month == 12 ? Self.epochMs(year: year + 1, month: 1) : Self.epochMs(year: year, month: month + 1)
    }

    /// "2026-12": the ledger's key.
    public var description: String { "\(year)-\(month < 10 ? "0" : "")\(month)" }
    public var lengthMs: Int64 { endMs - startMs }

    /// When the month's budget resets (the 1st of the next, 00:00 Beijing) as wall-clock time in
    /// the job's zone, with the zone's name: every "resets at" the tool prints.
    public func resetText(in tz: TimeZone) -> String { "\(LocalDateTime(epochMs: endMs, timeZone: tz)) \(tz.identifier)" }

    public static let zone = TimeZone(identifier: "Asia/Shanghai")!

    /// Midnight of the 1st in Beijing, by civil-from-days arithmetic (no calendar object per call).
    static func epochMs(year: Int, month: Int) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        let days = Int64(era * 146_097 + doe - 719_468)
        return days * 86_400_000 - offsetMs
    }
}

/// The job's monthly call budget as one run sees it: what the ledger says was spent this
/// Beijing month, and how much of the rest this run may spend.
///
/// Pacing: by any instant a job may have spent its reserve (a day's share, so a quiet start of
/// the month can still catch up) plus the elapsed fraction of the rest. Spend therefore
/// follows the calendar, not the cron cadence: a job run every minute and one run every hour
/// end the month at the same total when the budget binds.
public struct CallBudget: Sendable, Equatable {
    public var monthly: Int
    public var spent: Int
    public var month: BeijingMonth
    public var nowMs: Int64

    public init(monthly: Int, spent: Int, nowMs: Int64) {
        self.monthly = monthly
        self.spent = spent
        self.nowMs = nowMs
        month = BeijingMonth(containing: nowMs)
    }

    public var remaining: Int { max(0, monthly - spent) }
    public var reserve: Int { max(1, monthly / 30) }
    var elapsedFraction: Double {
        min(1, max(0, Double(nowMs - month.startMs) / Double(month.lengthMs)))
    }

    /// What the pacing line allows at this instant, minus what is spent.
    public var paced: Int {
        let line = Double(reserve) + Double(monthly - reserve) * elapsedFraction
        return min(remaining, max(0, Int(line.rounded(.down)) - spent))
    }

    /// A catch-up (first sync, or far behind) may also spend what the steady state will not
    /// need for the rest of the month.
    public func catchUp(steadyNeedPerMonth: Int) -> Int {
        let rest = Double(steadyNeedPerMonth) * (1 - elapsedFraction)
        return min(remaining, max(0, remaining - Int(rest.rounded(.up))))
    }

    /// The monthly rate what is left can sustain for the rest of the month (never above the
    /// budget). Policies are fitted to it, not to the budget: the need they are fitted by is an
    /// estimate, and a job whose spend ran ahead of it (or a catch-up that spent the surplus)
    /// then plans a little slower for the rest of the month instead of starving its last days.
    /// The month's last day counts whole, so its last runs do not plan on a rate they cannot use.
    public var sustainableMonthly: Int {
        let left = max(1.0 / 30, 1 - elapsedFraction)
        return min(monthly, Int((Double(remaining) / left).rounded(.down)))
    }

    /// Spend by month end if the month goes on at the pace it has had.
    public var projectedMonthEnd: Int {
        let f = elapsedFraction
        guard f > 0 else { return spent }
        return Int((Double(spent) / f).rounded())
    }

    /// The share of the budget spent, as a whole percentage (over 100 when over budget).
    public var percentSpent: Int { Self.percent(spent, of: monthly) }
    public static func percent(_ spent: Int, of monthly: Int) -> Int { monthly > 0 ? spent * 100 / monthly : 0 }

    /// 80 % of the budget spent: warn (and alert once a month).
    public var overWarningLine: Bool { spent * 5 >= monthly * 4 }
}
