import DingSyncMapping
import Foundation
import Logging
import MySQLClient

/// `remap [--from T --to T]`: re-applies the current mapping to the stored copies of the
/// instances (`dingsync_instances.detail`) and rewrites their rows, with zero API calls: the fix
/// after a mapping change, at no quota cost. Rejects are recorded as in sync (exit 65).
public enum RemapCommandBody {
    public static func run(_ env: CommandEnvironment, _ g: GlobalSettings, from: String?, to: String?) -> Int32 {
        let console = env.console
        let context: RunContext
        switch OperatorSupport.prepare(env, g) {
        case .exit(let code): return code
        case .ready(let c): context = c
        }
        let tz = context.config.sync.timezone
        var fromMs: Int64?, toMs: Int64?
        do {
            fromMs = try from.map { try TimeParsing.parseBoundary($0, timeZone: tz) }
            toMs = try to.map { try TimeParsing.parseBoundary($0, timeZone: tz) }
        } catch {
            return env.report(.usage("--from/--to: \(error)"))
        }
        if let fromMs, let toMs, toMs <= fromMs {
            return env.report(.usage("--to must be after --from"))
        }
        let remap = Remap(context: context, fromMs: fromMs, toMs: toMs)
        let (status, failure) = remap.run()
        console.flush()
        if !g.quiet { console.err(remap.summaryText) }
        if let failure { return env.report(failure) }
        if status == .rejects {
            console.err("dingsync: \(remap.summary.rejected) instance(s) could not be mapped; they are recorded as rejects (see `dingsync status`) and their rows were left as they were")
        }
        return status.rawValue
    }
}

/// One remap run: pages of stored details in id order → map → the sync's own batch writer.
final class Remap {
    let context: RunContext
    let fromMs: Int64?
    let toMs: Int64?
    private(set) var summary = RunSummary()
    private var read = 0

    init(context: RunContext, fromMs: Int64?, toMs: Int64?) {
        self.context = context
        self.fromMs = fromMs
        self.toMs = toMs
    }

    var summaryText: String {
        "remap \(context.config.job): stored details read \(read), written \(summary.written), rejected \(summary.rejected), "
            + "API calls 0, elapsed \(String(format: "%.1f", Double(summary.elapsedMs) / 1000))s"
    }

    func run() -> (ExitStatus, DingSyncError?) {
        let started = context.clock.nowMs()
        summary.job = context.config.job
        summary.mode = "remap"
        summary.fromMs = fromMs
        summary.toMs = toMs
        var failure: DingSyncError?
        var session: DatabaseSession?
        var runId: Int64?
        do {
            let s = try open()
            session = s
            runId = try? s.run("starting the run log") { try s.state.startRun(mode: "remap", fromMs: fromMs, toMs: toMs, nowMs: started) }
            try remapAll(session: s, sink: TableSink(session: s, clock: context.clock, logger: context.logger))
        } catch let e as DingSyncError {
            failure = e
        } catch {
            failure = Database.failure(error, doing: "remapping")
        }
        summary.elapsedMs = context.clock.nowMs() - started
        let status: ExitStatus = failure?.status ?? (summary.rejected > 0 ? .rejects : .ok)
        summary.exitCode = status.rawValue
        summary.error = failure.map { context.console.redact($0.message) }
        if let runId, let session {
            try? session.run("finishing the run log") { try session.state.finishRun(id: runId, summary: summary, status: status, error: summary.error, nowMs: context.clock.nowMs()) }
        }
        return (status, failure)
    }

    /// The same session as sync: state tables, the job lock, the target table checked.
    private func open() throws -> DatabaseSession {
        let config = context.config
        guard let m = config.mysql else {
            throw DingSyncError.config("remap rewrites the target table: the config needs a \"mysql\" section")
        }
        return try DatabaseSession(settings: m, job: config.job, mapping: config.mapping, retry: config.dingtalk.retry,
                                   clock: context.clock, logger: context.logger)
    }

    /// Page by page, so memory holds one batch of details however many are stored.
    private func remapAll(session: DatabaseSession, sink: TableSink) throws {
        let config = context.config
        let mapper = Mapper(entries: config.mapping, timeZone: config.sync.timezone)
        let batch = config.mysql?.batchSize ?? 500
        var after: String?
        while true {
            let page = try session.run("reading stored details") {
                try session.state.storedDetails(after: after, fromMs: fromMs, toMs: toMs, limit: batch)
            }
            guard let last = page.last else { break }
            after = last.id
            var rows: [(InstanceDetail, MappedRow)] = []
            var rejects: [MappingReject] = []
            for (id, json) in page {
                read += 1
                let detail: InstanceDetail
                do {
                    detail = try InstanceDetail.decode(processInstanceJSON: Data(json.utf8), id: id, processCode: config.dingtalk.processCode)
                } catch {
                    rejects.append(MappingReject(instanceId: id, column: "(detail)", rawValue: nil, reason: "stored detail unreadable: \(error)"))
                    summary.rejected += 1
                    continue
                }
                switch mapper.map(detail) {
                case .success(let row): rows.append((detail, row))
                case .failure(let reject):
                    summary.rejected += 1
                    context.logger.warning("instance rejected", metadata: ["instance": "\(id)", "column": "\(reject.column)", "reason": "\(reject.reason)"])
                    rejects.append(reject)
                }
            }
            // A stored copy that maps now settles a reject; what DingTalk still owes (a stale
            // original, a first get) stays owed: remap has not seen DingTalk.
            let written = rows.map(\.0.id)
            let outcome = try sink.write(rows, rejects: rejects, fresh: false) { try $0.settle(written, only: [.reject]) }
            summary.written += outcome.written
            summary.rejected += outcome.rejectedByDatabase
            if page.count < batch { break }
        }
        try sink.finish()
        context.logger.info("remap finished", metadata: ["read": "\(read)", "written": "\(summary.written)", "rejected": "\(summary.rejected)"])
    }
}
