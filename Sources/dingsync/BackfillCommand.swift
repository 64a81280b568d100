import ArgumentParser
import DingSync
import DingSyncMapping
import Foundation

struct BackfillCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backfill",
        abstract: "Sync instances created in [--from, --to); never moves the watermark.")

    @OptionGroup var global: GlobalOptions
    @OptionGroup var options: RunOptions

    @Option(help: "Start (inclusive): YYYY-MM-DD (midnight in the job's timezone) or ISO-8601 with offset.")
    var from: String

    @Option(help: "End (exclusive), same forms as --from.")
    var to: String

    @Flag(help: "Fetch instances again even when the stored copy is final.")
    var refetch = false

    mutating func validate() throws {
        try BoundaryFlags.validate(from: from, to: to)
    }

    func run() throws {
        let options = self.options
        let code = SyncCommandBody.runBackfill(global.settings, from: from, to: to, refetch: refetch,
                                               adjust: { options.apply(to: &$0) }, outputs: options.outputs)
        if code != 0 { throw ExitCode(code) }
    }
}
