import HTTPClient
import Logging

/// Everything a command needs from the outside world, injected so tests and the executable
/// wire the same code to different clocks, transports and sinks.
public struct RunContext {
    public var config: JobConfig
    public var clock: any SyncClock
    public var console: Console
    public var logger: Logger
    /// A new transport per worker: transports own C handles and are not shared across threads.
    public var makeTransport: @Sendable () throws(HTTPError) -> any HTTPTransport

    public init(config: JobConfig, clock: any SyncClock = SystemClock(), console: Console, logger: Logger,
                makeTransport: @escaping @Sendable () throws(HTTPError) -> any HTTPTransport = { () throws(HTTPError) in try CurlHTTPClient() }) {
        self.config = config
        self.clock = clock
        self.console = console
        self.logger = logger
        self.makeTransport = makeTransport
    }
}

/// What to sync: the run's mode and its options (cli.md, "Options shared by sync and backfill").
public struct SyncRequest: Sendable {
    public enum Mode: String, Sendable { case sync, backfill }
    public var mode: Mode
    public var fromMs: Int64?
    public var toMs: Int64?
    public var dryRun = false
    public var format: DryRunPrinter.Format = .jsonl
    public var limit: Int?
    public var refetch = false
    /// `backfill --max-calls N`: at most N metered calls in this run.
    public var maxCalls: Int?

    public init(mode: Mode, fromMs: Int64? = nil, toMs: Int64? = nil) {
        self.mode = mode
        self.fromMs = fromMs
        self.toMs = toMs
    }
}
