import ArgumentParser
import DingSync

struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show the job's watermark, open instances, pending rejects and last runs.")

    @OptionGroup var global: GlobalOptions

    @Option(help: "How many of the last runs to show.")
    var runs = 10

    mutating func validate() throws {
        if runs < 0 { throw ValidationError("--runs must not be negative") }
    }

    func run() throws {
        let code = StatusCommandBody.run(global.settings, runs: runs)
        if code != 0 { throw ExitCode(code) }
    }
}
