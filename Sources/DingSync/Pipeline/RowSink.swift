import DingSyncMapping
import Logging
import MySQLClient

/// Where mapped rows go: the printer of a dry run, or the target table with the state beside it.
protocol RowSink: AnyObject {
    func write(_ rows: [(InstanceDetail, MappedRow)], rejects: [MappingReject]) throws -> WriteOutcome
    func finish() throws
}

struct WriteOutcome {
    var written = 0
    var rejectedByDatabase = 0
}

final class DryRunSink: RowSink {
    let printer: DryRunPrinter
    init(printer: DryRunPrinter) { self.printer = printer }
    func write(_ rows: [(InstanceDetail, MappedRow)], rejects: [MappingReject]) throws -> WriteOutcome {
        for (_, row) in rows { printer.print(row) }
        return WriteOutcome(written: 0)
    }
    func finish() throws { printer.finish() }
}

/// Writes one batch in one transaction: the rows, their instances' state, and the reject
/// bookkeeping. A row MySQL refuses (too long, out of range) rejects that instance only: the
/// batch is written again row by row so every other row still goes through.
final class TableSink: RowSink {
    let session: DatabaseSession
    let clock: any SyncClock
    let logger: Logger

    init(session: DatabaseSession, clock: any SyncClock, logger: Logger) {
        self.session = session
        self.clock = clock
        self.logger = logger
    }

    func write(_ rows: [(InstanceDetail, MappedRow)], rejects: [MappingReject]) throws -> WriteOutcome {
        guard !rows.isEmpty || !rejects.isEmpty else { return WriteOutcome() }
        do {
            try commit(rows, rejects: rejects)
            return WriteOutcome(written: rows.count)
        } catch let e as MySQLError where e.isDataError {
            logger.info("a row was refused by MySQL; writing the batch row by row", metadata: ["error": "\(e.message)"])
        }
        var outcome = WriteOutcome()
        try commit([], rejects: rejects)
        for row in rows {
            do {
                try commit([row], rejects: [])
                outcome.written += 1
            } catch let e as MySQLError where e.isDataError {
                let column = TargetWriter.column(in: e.message) ?? "(row)"
                let index = session.mapping.firstIndex { $0.field.lowercased() == column.lowercased() }
                let raw = index.flatMap { row.1.values[$0].text }
                let reject = MappingReject(instanceId: row.0.id, column: column, rawValue: raw, reason: "MySQL refused the value: \(e.message)")
                logger.warning("instance rejected by MySQL", metadata: ["instance": "\(row.0.id)", "column": "\(column)", "reason": "\(e.message)"])
                try commit([], rejects: [reject])
                outcome.rejectedByDatabase += 1
            }
        }
        return outcome
    }

    private func commit(_ rows: [(InstanceDetail, MappedRow)], rejects: [MappingReject]) throws {
        let now = clock.nowMs()
        try session.transaction("writing \(rows.count) row(s)") {
            try session.writer.write(rows.map(\.1))
            try session.state.recordInstances(rows.map(\.0), nowMs: now)
            try session.state.clearRejects(rows.map(\.0.id))
            for r in rejects { try session.state.recordReject(r) }
        }
    }

    func finish() throws {}
}
