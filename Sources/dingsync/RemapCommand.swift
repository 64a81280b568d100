import ArgumentParser
import DingSync
import DingSyncMapping
import Foundation

struct RemapCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "remap",
        abstract: "Re-apply the current mapping to the stored instance details and rewrite the rows (zero API calls).")

    @OptionGroup var global: GlobalOptions

    @Option(help: "Only instances created at or after: YYYY-MM-DD (midnight in sync.timezone), or an ISO-8601 date-time: with an offset, or without one (then wall-clock time in sync.timezone).")
    var from: String?

    @Option(help: "Only instances created before (exclusive), same forms as --from.")
    var to: String?

    mutating func validate() throws {
        try BoundaryFlags.validate(from: from, to: to)
    }

    func run() throws {
        let code = RemapCommandBody.run(.live(), global.settings, from: from, to: to)
        if code != 0 { throw ExitCode(code) }
    }
}
