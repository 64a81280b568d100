/// A prepared-statement parameter. Decimals travel as exact text (the server converts
/// them without going through binary floating point); JSON travels as text.
public enum MySQLValue: Sendable, Equatable {
    case null
    case int(Int64)
    case text(String)
    /// Bound as MYSQL_TIME; zone-less, like the DATETIME column it fills.
    case datetime(year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int)
    case date(year: Int, month: Int, day: Int)
}
