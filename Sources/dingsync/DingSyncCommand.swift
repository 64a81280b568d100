import ArgumentParser
import Foundation
import DingSync

@main
struct DingSyncCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dingsync",
        abstract: "Keep a MySQL table in step with a DingTalk approval form (不漏单).",
        version: "dingsync \(DingSyncVersion.text)",
        subcommands: [SyncCommand.self, BackfillCommand.self, CheckCommand.self, FieldsCommand.self, SchemaCommand.self, StatusCommand.self, RemapCommand.self, WatchCommand.self])

    /// A bare `dingsync` (e.g. a cron line missing its subcommand) did nothing it was asked to:
    /// that is a usage error, so cron sees 64 and the help goes where errors go.
    func run() throws {
        FileHandle.standardError.write(Data((Self.helpMessage() + "\n").utf8))
        Self.errorLine("no subcommand given; name one, e.g. `dingsync sync --config FILE`")
        throw ExitCode(64)
    }

    /// ArgumentParser's own exit path prints `Error: …` and the usage but not the line every
    /// non-zero exit promises (docs/operations.md), so parse errors end here with it last.
    /// Subcommands print their own error line before throwing their `ExitCode`.
    static func main() {
        limitMallocArenas()
        var command: ParsableCommand
        do {
            command = try parseAsRoot()
        } catch {
            let code = exitCode(for: error)
            guard code != .success else { exit(withError: error) }  // --help, --version
            FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
            let text = message(for: error).split(separator: "\n").first.map(String.init) ?? "bad usage"
            errorLine("\(text.hasPrefix("Error: ") ? String(text.dropFirst(7)) : text) (see `dingsync --help`)")
            Foundation.exit(code == .validationFailure ? 64 : code.rawValue)
        }
        do {
            try command.run()
        } catch {
            exit(withError: error)
        }
    }

    static func errorLine(_ text: String) {
        FileHandle.standardError.write(Data("dingsync: error: \(text)\n".utf8))
    }
}

/// glibc gives each thread that allocates its own arena (up to 8 per core), and memory freed in
/// one stays there: the fetch pool's workers, each parsing instances into a different arena,
/// made peak RSS grow 1.18x from 2,000 to 20,000 instances. Two arenas keep it flat; the
/// workers wait on DingTalk, not on malloc's lock. `MALLOC_ARENA_MAX` in the environment wins.
private func limitMallocArenas() {
    #if os(Linux)
    if ProcessInfo.processInfo.environment["MALLOC_ARENA_MAX"] == nil { _ = glibcMallopt(glibcArenaMax, 2) }
    #endif
}

#if os(Linux)
// <malloc.h> is not in Swift's Glibc module; mallopt and M_ARENA_MAX (-8) are glibc's stable ABI
// since 2.10 (musl has no mallopt, but Swift on Linux means glibc).
@_silgen_name("mallopt") private func glibcMallopt(_ param: Int32, _ value: Int32) -> Int32
private let glibcArenaMax: Int32 = -8
#endif
