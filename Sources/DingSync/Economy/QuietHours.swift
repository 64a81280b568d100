/// Listing for new ids by the hour of day, while pushes bring the closes. Then listings and
/// the gets they lead to are the whole month, and a listing every 55 minutes round the clock
/// ran the month at the pacing line (50 a day on 4,000 calls: 3,869 per 30 days of 3,871), so
/// every office-hours arrival's get waited for the line. Most approvals are created in office
/// hours; the hours that bring the fewest may list half as often, as long as the arrivals
/// this makes later than an hour stay within `lateShare` of all arrivals (the hour is the
/// target at p95). Pure: the job's own arrivals per hour of day, in its time zone.
public enum QuietHours {
    /// How much longer a quiet hour's listing interval is.
    public static let stretch = 2.0
    /// At most this share of all arrivals may be made later than `late` by quiet hours.
    public static let lateShare = 0.03
    public static let late: Int64 = 60 * 60_000
    /// Fewer arrivals than this in 30 days say nothing about the job's hours.
    public static let minimumArrivals = 200

    /// The hours of day (0–23) whose listing may wait `stretch` times the interval: the
    /// quietest first, while the arrivals made late stay within `lateShare`.
    public static func quiet(arrivalsByHour: [Int], intervalMs: Int64) -> Set<Int> {
        let total = arrivalsByHour.reduce(0, +)
        guard arrivalsByHour.count == 24, total >= minimumArrivals else { return [] }
        let stretched = Double(intervalMs) * stretch
        // An arrival waits for the next listing, uniformly up to the interval.
        let lateFraction = max(0, (stretched - Double(late)) / stretched)
        guard lateFraction > 0 else { return Set(0..<24) }
        var made = 0.0, hours: Set<Int> = []
        for h in (0..<24).sorted(by: { (arrivalsByHour[$0], $0) < (arrivalsByHour[$1], $1) }) {
            let share = Double(arrivalsByHour[h]) / Double(total) * lateFraction
            guard made + share <= lateShare else { break }
            made += share
            hours.insert(h)
        }
        return hours
    }

    /// The listing interval at `nowMs`: stretched in a quiet hour.
    public static func interval(_ intervalMs: Int64, arrivalsByHour: [Int], nowMs: Int64, hourOffsetMs: Int64) -> Int64 {
        let hour = Int(((nowMs + hourOffsetMs) / RevisitPolicy.hour) % 24)
        return quiet(arrivalsByHour: arrivalsByHour, intervalMs: intervalMs).contains(hour)
            ? Int64((Double(intervalMs) * stretch).rounded()) : intervalMs
    }
}
