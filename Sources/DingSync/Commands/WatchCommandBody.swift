import Foundation
import Logging

/// `watch --config A [--config B …]`: every job of one app key under one Stream connection.
public enum WatchCommandBody {
    /// How long SIGTERM waits for the pass in flight before the process leaves anyway: a pass
    /// cut short loses nothing (every commit is whole), and systemd's stop timeout is 90 s but
    /// the contract promises 10.
    public static let stopDeadlineMs = 8_000

    public static func run(_ env: CommandEnvironment, _ g: GlobalSettings, configPaths: [String],
                           options: WatchService.Options = .init(), service: ((WatchService) -> Void)? = nil) -> Int32 {
        let paths = configPaths.isEmpty ? [g.configPath ?? env.variables["DINGSYNC_CONFIG"]].compactMap { $0 } : configPaths
        guard !paths.isEmpty else { return env.report(.usage("no config given: pass --config FILE (once per job)")) }
        var contexts: [RunContext] = []
        for path in paths {
            var settings = g
            settings.configPath = path
            switch env.prepare(settings) {
            case .failure(let e): return env.report(DingSyncError(e.status, paths.count > 1 ? "\(path): \(e.message)" : e.message))
            case .success(let c): contexts.append(c)
            }
        }
        if Set(contexts.map(\.config.dingtalk.appKey)).count > 1 {
            return env.report(.config("watch serves the jobs of one app key (DingTalk pushes each event to one connection of the app, at random): these configs name different dingtalk.app_key values; run one watch per app key"))
        }
        let names = contexts.map(\.config.job)
        if let twice = names.first(where: { n in names.filter { $0 == n }.count > 1 }) {
            return env.report(.config("job \(twice) is given twice"))
        }
        if let bare = contexts.first(where: { $0.config.mysql == nil }) {
            return env.report(.config("job \(bare.config.job): watch needs the config's \"mysql\" section (events are recorded there before they are acknowledged)"))
        }
        var logger = contexts[0].logger
        logger[metadataKey: "job"] = "\(names.joined(separator: ","))"
        logger[metadataKey: "run"] = "watch"
        let watch = WatchService(contexts: contexts, clock: env.clock, logger: logger, options: options, makeTransport: env.makeTransport)
        service?(watch)
        let signals = stopOnSignals(watch, logger: logger)
        defer { signals.forEach { $0.cancel() } }
        logger.notice("watch started", metadata: ["jobs": "\(names.joined(separator: ","))",
                                                  "stream": "\(contexts.contains { $0.config.events?.stream == true })"])
        let (status, failure) = watch.run()
        logger.notice("watch stopped", metadata: ["exit": "\(status.rawValue)", "passes": "\(watch.passes)"])
        if let failure { return env.report(failure) }
        env.console.flush()
        return status.rawValue
    }

    /// SIGTERM and SIGINT end the service: the pass in flight finishes, the socket closes,
    /// the locks go with their connections. Past the deadline the process exits anyway.
    static func stopOnSignals(_ watch: WatchService, logger: Logger) -> [any DispatchSourceSignal] {
        [SIGTERM, SIGINT].map { sig in
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler {
                logger.notice("stopping on signal \(sig)")
                watch.cancellation.cancel()
                DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(stopDeadlineMs)) {
                    logger.warning("the pass in flight did not finish within \(stopDeadlineMs / 1000) s; leaving (what it committed stays, the next pass resumes)")
                    exit(0)
                }
            }
            source.resume()
            return source
        }
    }
}
