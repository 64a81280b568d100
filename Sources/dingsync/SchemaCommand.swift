import ArgumentParser
import DingSync

struct SchemaCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "schema",
        abstract: "Print CREATE TABLE for the target table and the state tables; --apply creates the missing ones.")

    @OptionGroup var global: GlobalOptions

    @Flag(help: "Create the tables that do not exist yet (never alters an existing one).")
    var apply = false

    func run() throws {
        let code = SchemaCommandBody.run(.live(), global.settings, apply: apply)
        if code != 0 { throw ExitCode(code) }
    }
}
