import ArgumentParser
import DingSync

struct WatchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "watch",
        abstract: "A long-lived service: follows DingTalk Stream pushes for the jobs of one app key, with a regular pass of each.",
        discussion: "Give --config once per job (all of one app key). Stops on SIGTERM/SIGINT within 10 s with exit 0.")

    @Option(name: .customLong("config"), help: "A job config (repeat for every job of the app key; or env DINGSYNC_CONFIG).")
    var configs: [String] = []
    @OptionGroup var log: LogOptions
    @Option(help: "Write the passes' figures and the Stream connection's state (Prometheus text) to FILE.")
    var metricsFile: String?

    func run() throws {
        var options = WatchService.Options()
        options.metricsFile = metricsFile
        let code = WatchCommandBody.run(.live(), log.settings, configPaths: configs, options: options)
        if code != 0 { throw ExitCode(code) }
    }
}
