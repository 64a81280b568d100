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
        // The job's timezone is not known before the config is read; both bounds are read in the
        // same zone, so UTC decides their order and their syntax here (a flag error is 64).
        let utc = TimeZone(identifier: "UTC")!
        let f: Int64, t: Int64
        do { f = try TimeParsing.parseBoundary(from, timeZone: utc) } catch { throw ValidationError("--from: \(error)") }
        do { t = try TimeParsing.parseBoundary(to, timeZone: utc) } catch { throw ValidationError("--to: \(error)") }
        if t <= f { throw ValidationError("--to must be after --from") }
    }

    func run() throws {
        let options = self.options
        let code = SyncCommandBody.runBackfill(global.settings, from: from, to: to, refetch: refetch,
                                               adjust: { options.apply(to: &$0) }, outputs: options.outputs)
        if code != 0 { throw ExitCode(code) }
    }
}
