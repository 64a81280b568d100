import ArgumentParser
import DingSync

struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show the job's watermark, open instances, pending rejects, this month's DingTalk calls and last runs.")

    @OptionGroup var global: GlobalOptions

    @Option(help: "How many of the last runs to show.")
    var runs = 10

    @Option(help: "text (default) or json: the same figures as one JSON object.")
    var format = "text"

    mutating func validate() throws {
        if runs < 0 { throw ValidationError("--runs must not be negative") }
        if format != "text" && format != "json" { throw ValidationError("--format must be text or json") }
    }

    func run() throws {
        let code = StatusCommandBody.run(.live(), global.settings, runs: runs, json: format == "json")
        if code != 0 { throw ExitCode(code) }
    }
}
