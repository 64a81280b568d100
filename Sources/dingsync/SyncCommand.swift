import ArgumentParser
import DingSync

struct SyncCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sync",
        abstract: "Incremental run for cron: new instances since the watermark, open ones and pending rejects.")

    @OptionGroup var global: GlobalOptions
    @OptionGroup var options: RunOptions

    func run() throws {
        var request = SyncRequest(mode: .sync)
        options.apply(to: &request)
        let code = SyncCommandBody.run(.live(), global.settings, request: request, outputs: options.outputs)
        if code != 0 { throw ExitCode(code) }
    }
}
