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
        throw ExitCode(64)
    }
}
