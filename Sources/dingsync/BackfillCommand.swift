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

    @Option(help: "Start (inclusive): YYYY-MM-DD (midnight in sync.timezone), or an ISO-8601 date-time: with an offset, or without one (then wall-clock time in sync.timezone).")
    var from: String

    @Option(help: "End (exclusive), same forms as --from.")
    var to: String

    @Flag(help: "Fetch instances again even when the stored copy is final.")
    var refetch = false

    @Option(help: "Spend at most N DingTalk calls in this run, listing pages included. The estimate is printed after the listing, before any instance is fetched; a run the cap cannot pay for fetches nothing and exits 75, saying the cap that would.")
    var maxCalls: Int?

    mutating func validate() throws {
        try BoundaryFlags.validate(from: from, to: to)
        if let maxCalls, maxCalls < 1 { throw ValidationError("--max-calls must be at least 1") }
    }

    func run() throws {
        let options = self.options
        let maxCalls = self.maxCalls
        let code = SyncCommandBody.runBackfill(.live(), global.settings, from: from, to: to, refetch: refetch,
                                               adjust: { options.apply(to: &$0); $0.maxCalls = maxCalls }, outputs: options.outputs)
        if code != 0 { throw ExitCode(code) }
    }
}
