import ArgumentParser
import DingSync
import DingSyncMapping
import Foundation

struct RemapCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "remap",
        abstract: "Re-apply the current mapping to the stored instance details and rewrite the rows (zero API calls).")

    @OptionGroup var global: GlobalOptions

    @Option(help: "Only instances created at or after: YYYY-MM-DD (job's timezone) or ISO-8601 with offset.")
    var from: String?

    @Option(help: "Only instances created before (exclusive), same forms as --from.")
    var to: String?

    mutating func validate() throws {
        // Syntax and order here (a flag error is 64); the job's timezone applies once the config is read.
        let utc = TimeZone(identifier: "UTC")!
        var f: Int64?, t: Int64?
        if let from { do { f = try TimeParsing.parseBoundary(from, timeZone: utc) } catch { throw ValidationError("--from: \(error)") } }
        if let to { do { t = try TimeParsing.parseBoundary(to, timeZone: utc) } catch { throw ValidationError("--to: \(error)") } }
        if let f, let t, t <= f { throw ValidationError("--to must be after --from") }
    }

    func run() throws {
        let code = RemapCommandBody.run(global.settings, from: from, to: to)
        if code != 0 { throw ExitCode(code) }
    }
}
