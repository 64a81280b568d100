import ArgumentParser
import DingSync

struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Verify config, environment, DingTalk access, MySQL and the target table; one line per check.")

    @OptionGroup var global: GlobalOptions

    func run() throws {
        let code = CheckCommandBody.run(.live(), global.settings)
        if code != 0 { throw ExitCode(code) }
    }
}
