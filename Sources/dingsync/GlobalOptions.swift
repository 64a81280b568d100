import ArgumentParser
import DingSync
import Logging

struct GlobalOptions: ParsableArguments {
    @Option(name: .long, help: "The JSON job config (or env DINGSYNC_CONFIG).")
    var config: String?

    @OptionGroup var log: LogOptions

    var settings: GlobalSettings {
        var g = log.settings
        g.configPath = config
        return g
    }
}

/// Logging flags, shared by every command (`watch` takes several configs, so not `GlobalOptions`).
struct LogOptions: ParsableArguments {
    @Option(name: .long, help: "trace|debug|info|notice|warning|error")
    var logLevel: String = "info"

    @Option(name: .long, help: "text|json")
    var logFormat: String = "text"

    @Flag(name: [.short, .long], help: "Warnings and errors only.")
    var quiet = false

    mutating func validate() throws {
        guard Logger.Level(rawValue: logLevel) != nil, logLevel != "critical" else {
            throw ValidationError("--log-level must be one of trace, debug, info, notice, warning, error")
        }
        guard StderrLogHandler.Format(rawValue: logFormat) != nil else {
            throw ValidationError("--log-format must be text or json")
        }
    }

    var settings: GlobalSettings {
        var g = GlobalSettings()
        g.logLevel = Logger.Level(rawValue: logLevel) ?? .info
        g.logFormat = StderrLogHandler.Format(rawValue: logFormat) ?? .text
        g.quiet = quiet
        return g
    }
}

struct RunOptions: ParsableArguments {
    @Flag(help: "Fetch and map, print the rows, write nothing anywhere (needs no MySQL).")
    var dryRun = false

    @Option(help: "Dry-run output: table|jsonl (default: table on a terminal, jsonl otherwise).")
    var format: String?

    @Option(help: "Stop after N instances (a cheap preview; never moves the watermark).")
    var limit: Int?

    @Option(help: "Also write the run summary as JSON to FILE.")
    var summaryJson: String?

    @Option(help: "Write the run's figures in Prometheus text format to FILE (replaced atomically; for node_exporter's textfile collector).")
    var metricsFile: String?

    var outputs: RunOutputs { RunOutputs(summaryJSON: summaryJson, metricsFile: metricsFile) }

    mutating func validate() throws {
        if let format, DryRunPrinter.Format(rawValue: format) == nil {
            throw ValidationError("--format must be table or jsonl")
        }
        if let limit, limit < 1 { throw ValidationError("--limit must be at least 1") }
    }

    func apply(to request: inout SyncRequest) {
        request.dryRun = dryRun
        request.limit = limit
        request.format = format.flatMap(DryRunPrinter.Format.init(rawValue:)) ?? (Terminal.stdoutIsTerminal ? .table : .jsonl)
    }
}
