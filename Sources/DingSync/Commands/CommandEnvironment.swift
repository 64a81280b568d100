import DingSyncMapping
import Foundation
import Logging

/// What every subcommand sets up the same way: the console, the config, the logger.
public struct GlobalSettings: Sendable {
    public var configPath: String?
    public var logLevel: Logger.Level = .info
    public var logFormat: StderrLogHandler.Format = .text
    public var quiet = false
    public init() {}
}

public enum CommandEnvironment {
    /// Loads the config and builds the context, or prints the one error line and gives the code.
    public static func prepare(_ g: GlobalSettings, console: Console,
                               env: [String: String] = ProcessInfo.processInfo.environment) -> Result<RunContext, DingSyncError> {
        guard let path = g.configPath ?? env["DINGSYNC_CONFIG"], !path.isEmpty else {
            // --config is a required flag (cli.md); its absence is a usage error, a missing file is 78.
            return .failure(.usage("no config given: pass --config FILE or set DINGSYNC_CONFIG"))
        }
        let config: JobConfig
        do { config = try ConfigLoader.load(path: path, env: env) } catch { return .failure(error) }
        console.addSecrets(config.secrets)
        let level = g.quiet ? max(g.logLevel, .warning) : g.logLevel
        var logger = Logger(label: "dingsync") { label in
            StderrLogHandler(label: label, level: level, format: g.logFormat, console: console)
        }
        logger.logLevel = level
        logger[metadataKey: "job"] = "\(config.job)"
        logger[metadataKey: "run"] = "\(String(UInt32.random(in: 0...UInt32.max), radix: 16))"
        return .success(RunContext(config: config, clock: clockFromEnvironment(env), console: console, logger: logger))
    }

    /// The one line every non-zero exit prints.
    public static func report(_ error: DingSyncError, console: Console) -> Int32 {
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

/// `sync` and `backfill`: run the pipeline, print the summary, write the summary and metrics
/// files, send the alert.
public enum SyncCommandBody {
    public static func run(_ g: GlobalSettings, request: SyncRequest, outputs: RunOutputs) -> Int32 {
        run(g, outputs: outputs) { _ in request }
    }

    /// `backfill`: the bounds are read in the job's timezone, known once the config is loaded.

    public static func runBackfill(_ g: GlobalSettings, from: String, to: String, refetch: Bool,
                                   adjust: (inout SyncRequest) -> Void, outputs: RunOutputs) -> Int32 {
        run(g, outputs: outputs) { context throws(DingSyncError) in
            let tz = context.config.sync.timezone
            var request = SyncRequest(mode: .backfill)
            do {
                request.fromMs = try TimeParsing.parseBoundary(from, timeZone: tz)
                request.toMs = try TimeParsing.parseBoundary(to, timeZone: tz)
            } catch {
                throw .usage("--from/--to: \(error)")
            }
            if request.toMs! <= request.fromMs! { throw .usage("--to must be after --from") }
            request.refetch = refetch
            adjust(&request)
            return request
        }
    }

    static func run(_ g: GlobalSettings, outputs: RunOutputs,
                    makeRequest: (RunContext) throws(DingSyncError) -> SyncRequest) -> Int32 {
        let console = Console()
        let context: RunContext
        let request: SyncRequest
        switch CommandEnvironment.prepare(g, console: console) {
        case .failure(let e): return CommandEnvironment.report(e, console: console)
        case .success(let c): context = c
        }
        do { request = try makeRequest(context) } catch { return CommandEnvironment.report(error, console: console) }
        let runner = SyncRunner(context: context, request: request)
        let (status, failure) = runner.run()
        console.flush()
        if !g.quiet { console.err(runner.summary.humanText) }
        if let summaryJSON = outputs.summaryJSON {
            do { try runner.summary.json().write(to: URL(fileURLWithPath: summaryJSON), options: .atomic) } catch {
                console.err("dingsync: warning: could not write \(summaryJSON): \(error.localizedDescription)")
            }
        }
        afterRun(context, summary: runner.summary, exitCode: status.rawValue, metricsFile: outputs.metricsFile)
        if let failure { return CommandEnvironment.report(failure, console: console) }
        if status == .rejects {
            let n = runner.summary.rejected + runner.summary.failed
            console.err(request.dryRun
                ? "dingsync: \(n) instance(s) could not be mapped or fetched (dry run: nothing was recorded; see the log above)"
                : "dingsync: \(n) instance(s) could not be written; they are recorded as rejects and retried by the next run (see the log above)")
        }
        return status.rawValue
    }
}

extension SyncCommandBody {
    /// Metrics, then the alert: neither may change the exit code, so both only warn.
    static func afterRun(_ context: RunContext, summary: RunSummary, exitCode: Int32, metricsFile: String?) {
        if let metricsFile {
            do { try MetricsFile.write(summary, exitCode: exitCode, nowMs: context.clock.nowMs(), to: metricsFile) } catch {
                context.console.err("dingsync: warning: \(error.message)")
            }
        }
        // A dry run is someone previewing at a terminal: they see the outcome, the chat need not.
        if let alert = context.config.alert, !summary.dryRun {
            let alerter = Alerter(settings: alert, console: context.console, logger: context.logger, clock: context.clock,
                                  makeTransport: context.makeTransport)
            alerter.alertIfNeeded(summary, exitCode: exitCode)
            alerter.budgetWarningIfNeeded(summary)
        }
    }
}
