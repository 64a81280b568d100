import DingSyncMapping
import MySQLClient

/// Opens the job's MySQL connection and turns MySQL failures into the tool's exit codes.
public enum Database {
    public static func connect(_ s: MySQLSettings) throws(DingSyncError) -> MySQLConnection {
        do {
            return try MySQLConnection(DatabaseSession.options(s))
        } catch {
            throw failure(error, doing: "connecting to MySQL \(s.socket ?? "\(s.host):\(s.port)")")
        }
    }

    /// The one funnel from a MySQL error to a tool error.
    public static func failure(_ error: Error, doing what: String) -> DingSyncError {
        guard let e = error as? MySQLError else {
            return (error as? DingSyncError) ?? DingSyncError(.bug, "\(what): \(error)")
        }
        let status: ExitStatus
        if e.isAccessDenied { status = .permission }
        else if e.code == 1049 { status = .config }          // unknown database
        else if e.isUnknownTable { status = .config }
        else if e.code == 1054 { status = .config }          // unknown column
        else { status = .unavailable }
        return DingSyncError(status, "\(what): MySQL error \(e.code): \(e.message)")
    }

    static func value(_ v: MappedValue) -> MySQLValue {
        switch v {
        case .null: return .null
        case .int(let i): return .int(i)
        case .decimal(let s), .string(let s), .json(let s): return .text(s)
        case .datetime(let t):
            return .datetime(year: t.year, month: t.month, day: t.day, hour: t.hour, minute: t.minute, second: t.second)
        case .date(let t): return .date(year: t.year, month: t.month, day: t.day)
        }
    }
}
