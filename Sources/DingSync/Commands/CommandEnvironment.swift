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
