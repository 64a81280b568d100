import ArgumentParser

@main
struct DingSyncCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dingsync",
        abstract: "Keep a MySQL table in step with a DingTalk approval form (不漏单).",
        version: "dingsync 0.1.0",
        subcommands: [SyncCommand.self, BackfillCommand.self, CheckCommand.self, FieldsCommand.self, SchemaCommand.self, StatusCommand.self, RemapCommand.self])
}
