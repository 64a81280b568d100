import DingSyncMapping
import Logging
import MySQLClient

/// Where mapped rows go: the printer of a dry run, or the target table with the state beside it.
protocol RowSink: AnyObject {
    /// Writes rows and records rejects; `state` runs inside the same transaction (follow-ups,
    /// pending bookkeeping, the ledger), so a crash can never keep one without the other.
    /// `fresh`: the details were just fetched, so the stored copies (and their fetch time, which
    /// schedules the next check) are replaced; a remap of stored copies leaves them alone.
    func write(_ rows: [(InstanceDetail, MappedRow)], rejects: [MappingReject], fresh: Bool,
               state: @escaping (StateStore) throws -> Void) throws -> WriteOutcome
    func finish() throws
}

struct WriteOutcome {
    var written = 0
    var rejectedByDatabase = 0
}

final class DryRunSink: RowSink {
    let printer: DryRunPrinter
    init(printer: DryRunPrinter) { self.printer = printer }
    func write(_ rows: [(InstanceDetail, MappedRow)], rejects: [MappingReject], fresh: Bool,
               state: @escaping (StateStore) throws -> Void) throws -> WriteOutcome {
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

    func write(_ rows: [(InstanceDetail, MappedRow)], rejects: [MappingReject], fresh: Bool,
               state: @escaping (StateStore) throws -> Void) throws -> WriteOutcome {
        do {
            try commit(rows, rejects: rejects, fresh: fresh, state: state)
            return WriteOutcome(written: rows.count)
        } catch let e as MySQLError where e.isDataError {
            logger.info("a row was refused by MySQL; writing the batch row by row", metadata: ["error": "\(e.message)"])
        }
        var outcome = WriteOutcome()
        try commit([], rejects: rejects, fresh: fresh, state: state)
        for row in rows {
            do {
                try commit([row], rejects: [], fresh: fresh)
                outcome.written += 1
            } catch let e as MySQLError where e.isDataError {
                let column = TargetWriter.column(in: e.message) ?? "(row)"
                let index = session.mapping.firstIndex { $0.field.lowercased() == column.lowercased() }
                let raw = index.flatMap { row.1.values[$0].text }
                let reject = MappingReject(instanceId: row.0.id, column: column, rawValue: raw, reason: "MySQL refused the value: \(e.message)")
                logger.warning("instance rejected by MySQL", metadata: ["instance": "\(row.0.id)", "column": "\(column)", "reason": "\(e.message)"])
                // The refused copy is kept: a fix of the table or the mapping is then retried by
                // remapping it, without a call.
                try commit([], rejects: [reject], fresh: fresh) { store in
                    if fresh { try store.recordInstances([row.0], nowMs: self.clock.nowMs()) }
                }
                outcome.rejectedByDatabase += 1
            }
        }
        return outcome
    }

    private func commit(_ rows: [(InstanceDetail, MappedRow)], rejects: [MappingReject], fresh: Bool,
                        state: @escaping (StateStore) throws -> Void = { _ in }) throws {
        let now = clock.nowMs()
        try session.transaction("writing \(rows.count) row(s)") {
            let store = session.state
            if !rows.isEmpty {
                try session.writer.write(rows.map(\.1))
                if fresh { try store.recordInstances(rows.map(\.0), nowMs: now) }
                try store.clearRejects(rows.map(\.0.id))
            }
            for r in rejects {
                try store.recordReject(r, nowMs: now)
                // A fetch schedules the next one; a remap of the stored copy does not.
                if fresh { try store.markRejected(r.instanceId, nowMs: now) }
            }
            try state(store)
        }
    }

    func finish() throws {}
}
