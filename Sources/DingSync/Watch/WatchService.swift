import Foundation
import HTTPClient
import Logging
import Synchronization

/// `dingsync watch`: the jobs of one app key, their one Stream connection, and their passes.
///
/// Two threads. The Stream thread owns the socket and each job's `EventRecorder`: it records
/// a pushed event in the job's state (owed a get) before acknowledging it, and the connection's
/// healthy spans. The pass thread (the caller's) runs a job's pass a couple of seconds after a
/// push, batching what arrives meanwhile, and a regular pass every `watch.interval_minutes`.
/// A pass is exactly a `sync` run (same planner, budget, ledger and job lock): events never
/// write rows, a get does.
public final class WatchService: StreamDelegate, @unchecked Sendable {
    // @unchecked: `jobs` and `foreignEvents` are touched by the Stream thread only (after
    // start), `due` is behind its mutex, everything else is immutable.

    public struct Options: Sendable {
        public var stream = StreamTimings()
        /// After the first push, how long a pass waits for more to batch.
        public var passDelayMs = 2_000
        /// A pass that found the job's lock held (a cron `sync` beside us) tries again after this.
        public var busyRetryMs = 30_000
        /// `--metrics-file`.
        public var metricsFile: String?
        public init() {}
    }

    final class Job {
        let context: RunContext
        let recorder: EventRecorder
        var config: JobConfig { context.config }
        var warnedTypes: Set<String> = []
        init(context: RunContext) {
            self.context = context
            recorder = EventRecorder(config: context.config, logger: context.logger)
        }
    }

    private let jobs: [Job]
    private let clock: any SyncClock
    private let logger: Logger
    private let options: Options
    private let makeTransport: @Sendable () throws(HTTPError) -> any HTTPTransport
    public let cancellation = RunCancellation()
    /// Per job: when its next pass is due, and why.
    private let due: Mutex<[String: (ms: Int64, trigger: String)]>
    private let streamFailure = Mutex<DingSyncError?>(nil)
    private var foreignEvents = 0
    public private(set) var passes = 0
    private let metrics: WatchMetrics?

    public init(contexts: [RunContext], clock: any SyncClock, logger: Logger, options: Options = Options(),
                makeTransport: @escaping @Sendable () throws(HTTPError) -> any HTTPTransport) {
        jobs = contexts.map(Job.init)
        self.clock = clock
        self.logger = logger
        self.options = options
        self.makeTransport = makeTransport
        let now = clock.nowMs()
        due = Mutex(Dictionary(uniqueKeysWithValues: contexts.map { ($0.config.job, (now, "start")) }))
        metrics = options.metricsFile.map { WatchMetrics(path: $0, jobs: contexts.map(\.config.job)) }
    }

    private func writeMetrics() {
        metrics?.write { [logger] in logger.warning("\($0)") }
    }

    private var streamJobs: [Job] { jobs.filter { $0.config.events?.stream == true } }

    /// Runs until cancelled (exit 0) or until something no retry mends (77, 78), with why.
    public func run() -> (ExitStatus, DingSyncError?) {
        let streaming = !streamJobs.isEmpty
        let streamDone = DispatchSemaphore(value: 0)
        if streaming {
            let thread = Thread { [self] in
                // Made on the thread that owns it: a connection never crosses threads.
                let first = streamJobs[0].config.dingtalk
                let connection = StreamConnection(
                    gateway: StreamGateway(baseURL: first.v1BaseURL, appKey: first.appKey, appSecret: first.appSecret),
                    makeTransport: makeTransport, clock: clock, logger: logger, options: options.stream,
                    processCodes: Array(Set(streamJobs.map(\.config.dingtalk.processCode))).sorted(),
                    cancellation: cancellation, delegate: self)
                if let failure = connection.run() {
                    streamFailure.withLock { $0 = failure }
                    cancellation.cancel()
                }
                streamDone.signal()
            }
            thread.name = "dingsync-stream"
            thread.start()
        } else {
            logger.notice("no job has events.stream: passes run every watch.interval_minutes, as cron would")
        }
        var fatal: DingSyncError?
        while !cancellation.isCancelled {
            if let e = runDuePasses() {
                fatal = e
                cancellation.cancel()
                break
            }
            clock.sleep(ms: 100, unless: cancellation)
        }
        if streaming { streamDone.wait() }
        if let failure = streamFailure.withLock({ $0 }) { return (failure.status, failure) }
        return (fatal?.status ?? .ok, fatal)
    }

    /// Runs the passes that are due; returns the failure when one failed for good.
    private func runDuePasses() -> DingSyncError? {
        for job in jobs where !cancellation.isCancelled {
            let now = clock.nowMs()
            guard let next = due.withLock({ $0[job.config.job] }), next.ms <= now else { continue }
            due.withLock { $0[job.config.job] = (now + Int64(job.config.watch.intervalMinutes) * 60_000, "interval") }
            if let fatal = pass(job, trigger: next.trigger) { return fatal }
        }
        return nil
    }

    private func pass(_ job: Job, trigger: String) -> DingSyncError? {
        var context = job.context
        context.logger[metadataKey: "run"] = "\(String(UInt32.random(in: 0...UInt32.max), radix: 16))"
        let runner = SyncRunner(context: context, request: SyncRequest(mode: .sync))
        let (status, failure) = runner.run()
        passes += 1
        let s = runner.summary
        context.logger.info("pass", metadata: [
            "trigger": "\(trigger)", "exit": "\(status.rawValue)", "listed": "\(s.listed)", "fetched": "\(s.fetched)",
            "written": "\(s.written)", "calls": "\(s.calls.metered)", "month_calls": "\(s.monthCalls)/\(s.budget)",
            "error": "\(failure.map { context.console.redact($0.message) } ?? "-")"])
        SyncCommandBody.afterRun(context, summary: s, exitCode: status.rawValue, metricsFile: nil)
        metrics?.pass(s, exitCode: status.rawValue, nowMs: clock.nowMs())
        writeMetrics()
        guard let failure else { return nil }
        // The month's budget is spent: nothing can be paid before the 1st, so no quick retry;
        // the regular pass says it again.
        if failure.cause == .budget { return nil }
        switch failure.status {
        case .config, .permission, .bug:
            return DingSyncError(failure.status, "job \(job.config.job): \(failure.message); watch stops", cause: failure.cause)
        default:
            // Busy (a cron sync holds the lock), MySQL or DingTalk unavailable, a quota: the
            // events stay owed in the state tables; try again soon.
            schedule(job.config.job, inMs: options.busyRetryMs, trigger: "retry")
            return nil
        }
    }

    private func schedule(_ name: String, inMs delay: Int, trigger: String) {
        let at = clock.nowMs() + Int64(delay)
        due.withLock { d in
            if let current = d[name], current.ms <= at { return }
            d[name] = (at, trigger)
        }
    }

    // MARK: - StreamDelegate (the Stream thread)

    public func streamGatewayAnswered() {
        // One app connection, one metered call: ledgered under the first job that streams.
        streamJobs.first?.recorder.ledger("stream_open", nowMs: clock.nowMs())
    }

    public func streamUp(atMs: Int64) {
        for job in streamJobs { job.recorder.up(atMs) }
        metrics?.stream { $0.connected = true; $0.connections += 1 }
        writeMetrics()
    }

    public func streamAlive(atMs: Int64) {
        for job in streamJobs { job.recorder.alive(atMs) }
    }

    public func streamDown(lastAliveMs: Int64, reason: String) {
        let now = clock.nowMs()
        for job in streamJobs { job.recorder.down(lastAliveMs: lastAliveMs, nowMs: now) }
        metrics?.stream { $0.connected = false }
        writeMetrics()
    }

    public func streamPushQuotaStopped(atMs: Int64, message: String) {
        logger.warning("DingTalk stopped pushing events: the organisation's monthly push quota is exhausted (\(message)); polling finds closes until the 1st")
        for job in streamJobs { job.recorder.pushQuotaStopped(atMs) }
    }

    public func streamEvent(eventId: String, change: StreamFrame.InstanceChange, atMs: Int64) -> Bool {
        let targets = streamJobs.filter { $0.config.dingtalk.processCode == change.processCode }
        guard !targets.isEmpty else {
            foreignEvents += 1
            metrics?.stream { $0.foreign += 1 }
            logger.debug("event for a form no job follows: acknowledged", metadata: ["process_code": "\(change.processCode)"])
            return true
        }
        var recordedAll = true
        for job in targets {
            if let types = job.config.events?.types, !types.contains(change.type), job.warnedTypes.insert(change.type).inserted {
                job.context.logger.warning("DingTalk pushes \(change.type) events for this form, which events.types does not list: they use up the organisation's push quota; the console filter rule should be \(StreamGateway.filterRule(processCode: change.processCode, types: types))")
            }
            let (recorded, fresh) = job.recorder.event(eventId, change, nowMs: atMs)
            recordedAll = recordedAll && recorded
            metrics?.stream { m in
                if !recorded { m.later += 1 } else if fresh { m.events += 1 } else { m.duplicates += 1 }
            }
            if recorded, fresh { schedule(job.config.job, inMs: options.passDelayMs, trigger: "event") }
        }
        return recordedAll
    }
}
