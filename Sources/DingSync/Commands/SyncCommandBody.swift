import DingSyncMapping
import Foundation
import Logging

/// `sync` and `backfill`: run the pipeline, print the summary, write the summary and metrics
/// files, send the alert.
public enum SyncCommandBody {
    public static func run(_ env: CommandEnvironment, _ g: GlobalSettings, request: SyncRequest, outputs: RunOutputs) -> Int32 {
        run(env, g, outputs: outputs) { _ in request }
    }

    /// `backfill`: the bounds are read in the job's timezone, known once the config is loaded.
    public static func runBackfill(_ env: CommandEnvironment, _ g: GlobalSettings, from: String, to: String, refetch: Bool,
                                   adjust: (inout SyncRequest) -> Void, outputs: RunOutputs) -> Int32 {
        run(env, g, outputs: outputs) { context throws(DingSyncError) in
            let tz = context.config.sync.timezone
            var request = SyncRequest(mode: .backfill)
            do {
                request.fromMs = try TimeParsing.parseBoundary(from, timeZone: tz)
                request.toMs = try TimeParsing.parseBoundary(to, timeZone: tz)
            } catch {
                throw .usage("--from/--to: \(error)")
            }
            if request.toMs! <= request.fromMs! { throw .usage("--to must be after --from") }
            request.refetch = refetch
            adjust(&request)
            return request
        }
    }

    static func run(_ env: CommandEnvironment, _ g: GlobalSettings, outputs: RunOutputs,
                    makeRequest: (RunContext) throws(DingSyncError) -> SyncRequest) -> Int32 {
        let console = env.console
        let context: RunContext
        let request: SyncRequest
        switch env.prepare(g) {
        case .failure(let e): return env.report(e)
        case .success(let c): context = c
        }
        do { request = try makeRequest(context) } catch { return env.report(error) }
        let runner = SyncRunner(context: context, request: request)
        let (status, failure) = runner.run()
        console.flush()
        if !g.quiet {
            console.err(runner.summary.humanText + runner.summary.upcomingText(timeZone: context.config.sync.timezone))
            if let backlog = runner.summary.backlog { console.err("dingsync: " + backlog.text(timeZone: context.config.sync.timezone)) }
        }
        if let summaryJSON = outputs.summaryJSON {
            do { try runner.summary.json().write(to: URL(fileURLWithPath: summaryJSON), options: .atomic) } catch {
                console.err("dingsync: warning: could not write \(summaryJSON): \(error.localizedDescription)")
            }
        }
        afterRun(context, summary: runner.summary, exitCode: status.rawValue, metricsFile: outputs.metricsFile)
        if let failure { return env.report(failure) }
        if status == .rejects {
            console.err(request.dryRun
                ? "dingsync: \(runner.summary.outstanding) instance(s) could not be mapped or fetched (dry run: nothing was recorded; see the log above)"
                : "dingsync: \(runner.summary.rejectsSentence(timeZone: context.config.sync.timezone)) (`dingsync status` lists them)")
        }
        return status.rawValue
    }
}

extension SyncCommandBody {
    /// Metrics, then the alert: neither may change the exit code, so both only warn.
    static func afterRun(_ context: RunContext, summary: RunSummary, exitCode: Int32, metricsFile: String?) {
        if let metricsFile {
            do { try MetricsFile.write(summary, exitCode: exitCode, nowMs: context.clock.nowMs(), to: metricsFile) } catch {
                context.console.err("dingsync: warning: \(error.message)")
            }
        }
        // A dry run is someone previewing at a terminal: they see the outcome, the chat need not.
        if let alert = context.config.alert, !summary.dryRun {
            let alerter = Alerter(settings: alert, console: context.console, logger: context.logger, clock: context.clock,
                                  makeTransport: context.makeTransport)
            alerter.alertIfNeeded(summary, exitCode: exitCode, timeZone: context.config.sync.timezone)
            alerter.budgetWarningIfNeeded(summary)
        }
    }
}
