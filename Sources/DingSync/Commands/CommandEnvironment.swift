import DingSyncMapping
import Foundation
import HTTPClient
import Logging

/// What every subcommand sets up the same way: the console, the config, the logger.
public struct GlobalSettings: Sendable {
    public var configPath: String?
    public var logLevel: Logger.Level = .info
    public var logFormat: StderrLogHandler.Format = .text
    public var quiet = false
    public init() {}
}

/// The outside world as every command sees it: environment variables, output sinks, the
/// clock and the HTTP transport. The executable passes `live()`; tests inject their own, so a
/// command runs in process with a simulated clock and captured output. (The database is
/// reached through the config's `mysql` section: tests point it at their throwaway server.)
public struct CommandEnvironment: Sendable {
    public var variables: [String: String]
    public var console: Console
    public var clock: any SyncClock
    /// A new transport per worker: transports own C handles and are not shared across threads.
    public var makeTransport: @Sendable () throws(HTTPError) -> any HTTPTransport

    public init(variables: [String: String], console: Console, clock: any SyncClock,
                makeTransport: @escaping @Sendable () throws(HTTPError) -> any HTTPTransport = { () throws(HTTPError) in try CurlHTTPClient() }) {
        self.variables = variables
        self.console = console
        self.clock = clock
        self.makeTransport = makeTransport
    }

    /// The process's own: its environment, stdout/stderr, the system clock (shifted by
    /// `DINGSYNC_CLOCK_OFFSET_MS` when set) and libcurl.
    public static func live() -> CommandEnvironment {
        let variables = ProcessInfo.processInfo.environment
        return CommandEnvironment(variables: variables, console: Console(), clock: clockFromEnvironment(variables))
    }

    /// Loads the config and builds the run's context, or gives the error for `report`.
    public func prepare(_ g: GlobalSettings) -> Result<RunContext, DingSyncError> {
        guard let path = g.configPath ?? variables["DINGSYNC_CONFIG"], !path.isEmpty else {
            // --config is a required flag (cli.md); its absence is a usage error, a missing file is 78.
            return .failure(.usage("no config given: pass --config FILE or set DINGSYNC_CONFIG"))
        }
        let config: JobConfig
        do { config = try ConfigLoader.load(path: path, env: variables) } catch { return .failure(error) }
        console.addSecrets(config.secrets)
        let level = g.quiet ? max(g.logLevel, .warning) : g.logLevel
        let console = self.console
        var logger = Logger(label: "dingsync") { label in
            StderrLogHandler(label: label, level: level, format: g.logFormat, console: console)
        }
        logger.logLevel = level
        logger[metadataKey: "job"] = "\(config.job)"
        logger[metadataKey: "run"] = "\(String(UInt32.random(in: 0...UInt32.max), radix: 16))"
        return .success(RunContext(config: config, clock: clock, console: console, logger: logger, makeTransport: makeTransport))
    }

    /// The one line every non-zero exit prints; returns the exit code.
    public func report(_ error: DingSyncError) -> Int32 {
        console.flush()
        let text = error.message.replacingOccurrences(of: "\n", with: " ")
        console.err("dingsync: error: \(text)")
        return error.status.rawValue
    }
}

/// Where the run's figures go besides the human summary.
public struct RunOutputs: Sendable {
    /// `--summary-json FILE`.
    public var summaryJSON: String?
    /// `--metrics-file FILE` (Prometheus text, replaced atomically).
    public var metricsFile: String?
    public init(summaryJSON: String? = nil, metricsFile: String? = nil) {
        self.summaryJSON = summaryJSON
        self.metricsFile = metricsFile
    }
}
