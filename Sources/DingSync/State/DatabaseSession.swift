import DingSyncMapping
import Foundation
import Logging
import MySQLClient

/// The run's MySQL connection, with what lives on it (the job lock, prepared statements),
/// and the policy for a connection that drops: reconnect, take the lock again, and replay
/// the unit of work that was in flight. Deadlocks and lock waits replay the same way. The
/// client's silent auto-reconnect is off, so nothing is ever half-replayed behind our back.
final class DatabaseSession {
    let settings: MySQLSettings
    let job: String
    let mapping: [MappingEntry]
    let retry: RetrySettings
    let clock: any SyncClock
    let logger: Logger
    private(set) var connection: MySQLConnection
    private(set) var state: StateStore
    private(set) var writer: TargetWriter
    private(set) var reconnects = 0
    /// Ids the run holds, handed to every state store of the session (a reconnect's too).
    var sharedIds: SharedIds? {
        didSet { state.sharedIds = sharedIds }
    }

    init(settings: MySQLSettings, job: String, mapping: [MappingEntry], retry: RetrySettings,
         clock: any SyncClock, logger: Logger) throws {
        self.settings = settings
        self.job = job
        self.mapping = mapping
        self.retry = retry
        self.clock = clock
        self.logger = logger
        connection = try Self.connect(settings, retry: retry, clock: clock, logger: logger)
        state = StateStore(db: connection, job: job)
        writer = try TargetWriter(db: connection, database: settings.database, table: settings.table, mapping: mapping,
                                  writeMode: settings.writeMode)
        // The target table first: a wrong database or table must not leave state tables behind.
        try writer.verifyTable(database: settings.database, table: settings.table)
        do {
            try state.createTables()
            guard try state.lock() else { throw Self.lockHeld(job) }
        } catch let e as DingSyncError { throw e } catch {
            throw Database.failure(error, doing: "preparing the state tables")
        }
    }

    deinit {
        // The run is over: the next one (a `watch` pass 2 s later, cron's `sync`) must not race
        // the server's handling of this connection's close. Best effort: a connection that is
        // gone has lost its lock already.
        try? state.unlock()
    }

    /// The first connection gets the same budget as a reconnect: a server that is restarting
    /// when cron fires is not yet a reason to give up.
    private static func connect(_ s: MySQLSettings, retry: RetrySettings, clock: any SyncClock, logger: Logger) throws -> MySQLConnection {
        var attempt = 0
        while true {
            attempt += 1
            do {
                return try MySQLConnection(options(s))
            } catch let e as MySQLError where e.isTemporary && attempt < retry.maxAttempts {
                logger.warning("MySQL not reachable; retrying", metadata: ["error": "\(e.code) \(e.message)", "attempt": "\(attempt)"])
                clock.sleep(ms: backoff(retry, attempt))
            } catch {
                throw Database.failure(error, doing: Database.connecting(s))
            }
        }
    }

    static func lockHeld(_ job: String) -> DingSyncError {
        DingSyncError(.tryLater, "another run of job \(job) is in progress (it holds the job's lock); try again later")
    }

    /// Runs `body`, replaying it after a lost connection, a deadlock or a lock wait timeout,
    /// up to the retry budget; then the run ends with 69 and what was committed stays.
    func run<T>(_ what: String, _ body: () throws -> T) throws -> T {
        var attempt = 0
        while true {
            attempt += 1
            do {
                return try body()
            } catch let e as MySQLError where e.isTemporary || e.isRetryableTransaction {
                try? connection.rollback()
                guard attempt < retry.maxAttempts else {
                    throw DingSyncError(.unavailable, "\(what): MySQL stayed unavailable after \(attempt) attempts (\(e.kind.rawValue), \(e.code): \(e.message)); everything committed is intact, re-run later")
                }
                logger.warning("MySQL error; replaying", metadata: ["during": "\(what)", "error": "\(e.code) \(e.message)", "attempt": "\(attempt)"])
                sleep(beforeRetry: attempt)
                // A read-only server is often the old primary of a failover: a new connection
                // may reach the new one.
                if e.isConnectionLost || e.isReadOnly || !connection.isAlive { try reconnect(what, attempt: &attempt) }
            }
        }
    }

    /// A unit of work in one transaction.
    func transaction(_ what: String, _ body: () throws -> Void) throws {
        try run(what) {
            try connection.begin()
            do {
                try body()
                try connection.commit()
            } catch {
                try? connection.rollback()
                throw error
            }
        }
    }

    private func reconnect(_ what: String, attempt: inout Int) throws {
        while true {
            do {
                let fresh = try MySQLConnection(Self.options(settings))
                let store = StateStore(db: fresh, job: job)
                store.sharedIds = sharedIds
                guard try store.lock() else { throw Self.lockHeld(job) }
                connection = fresh
                state = store
                writer = try TargetWriter(db: fresh, database: settings.database, table: settings.table, mapping: mapping,
                                          writeMode: settings.writeMode)
                reconnects += 1
                logger.notice("reconnected to MySQL", metadata: ["during": "\(what)"])
                return
            } catch let e as MySQLError where e.isTemporary {
                attempt += 1
                guard attempt < retry.maxAttempts else {
                    throw DingSyncError(.unavailable, "\(what): MySQL stayed unreachable after \(attempt) attempts (\(e.kind.rawValue): \(e.message)); everything committed is intact, re-run later")
                }
                sleep(beforeRetry: attempt)
            }
        }
    }

    private func sleep(beforeRetry attempt: Int) { clock.sleep(ms: Self.backoff(retry, attempt)) }

    /// Exponential with equal jitter: a restarting server gets real time to come back.
    private static func backoff(_ retry: RetrySettings, _ attempt: Int) -> Int {
        let ceiling = min(retry.maxDelayMs, retry.baseDelayMs << min(20, attempt - 1))
        return ceiling / 2 + Int.random(in: 0...max(0, ceiling / 2))
    }

    static func options(_ s: MySQLSettings) -> MySQLOptions {
        MySQLOptions(host: s.host, port: s.port, socket: s.socket, user: s.user, password: s.password, database: s.database,
                     tls: s.tls)
    }
}
