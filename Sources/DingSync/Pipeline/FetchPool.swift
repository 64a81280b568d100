import DingSyncMapping
import Foundation
import HTTPClient
import Synchronization

/// What the pipeline's threads tell the coordinating thread.
enum PipelineEvent {
    /// A page of ids listed for window `window`.
    case page(window: Int, ids: [String])
    /// Every page of window `window` has been emitted.
    case windowListed(window: Int)
    /// v1: every page of RUNNING slice `slice` is in: its open ids listed, all of them.
    case sliceListed(slice: Int, ids: [String])
    case listingFinished
    case listingFailed(DingSyncError)
    /// The outcome of one `get` (the coordinator knows which group waits for it).
    case fetched(id: String, Result<InstanceDetail, DingTalkError>)
}

/// Threads that call DingTalk: `concurrency` fetch workers and one lister, each with its own
/// client and transport (C handles are not shared across threads). They share the token, the
/// per-API rate limiters and the counters. Listing runs beside fetching, so a run takes about
/// max(pages, gets) / qps rather than their sum.
final class FetchPool: Sendable {
    let work = BlockingQueue<String>()
    let events: BlockingQueue<PipelineEvent>
    private let listingStopped = Atomic<Bool>(false)
    private let group = DispatchGroup()
    private let shared: DingTalkClient.Shared
    private let makeTransport: @Sendable () throws(HTTPError) -> any HTTPTransport
    private let onRetry: @Sendable (DingTalkError, Int) -> Void

    init(shared: DingTalkClient.Shared, workers: Int, eventCapacity: Int,
         makeTransport: @escaping @Sendable () throws(HTTPError) -> any HTTPTransport,
         onRetry: @escaping @Sendable (DingTalkError, Int) -> Void) {
        self.shared = shared
        self.makeTransport = makeTransport
        self.onRetry = onRetry
        events = BlockingQueue(capacity: eventCapacity)
        for n in 0..<workers { spawn(name: "dingsync-fetch-\(n)") { [self] client in fetchLoop(client) } }
    }

    var isCancelled: Bool { shared.cancellation.isCancelled }

    func dispatch(_ id: String) { work.push(id) }

    /// Lists the windows in order on a thread of its own.
    func startListing(_ windows: [Window]) {
        spawn(name: "dingsync-list") { [self] client in
            let lister = Lister(client: client)
            lister.shouldStop = { [self] in isCancelled || listingStopped.load(ordering: .relaxed) }
            do {
                for (i, w) in windows.enumerated() {
                    if lister.shouldStop() { break }
                    try lister.list(w) { ids in events.push(.page(window: i, ids: ids)) }
                    events.push(.windowListed(window: i))
                }
                events.push(.listingFinished)
            } catch let e as DingSyncError {
                events.push(.listingFailed(e))
            } catch {
                events.push(.listingFailed(DingSyncError(.bug, "listing: \(error)")))
            }
        }
    }

    /// v1: lists the RUNNING/NEW ids of each slice, all pages, on a thread of its own. A slice
    /// is reported only when complete: one cut short (allowance, failure) settles nothing.
    func startRunning(_ slices: [RunningSlice]) {
        spawn(name: "dingsync-running") { [self] client in
            let lister = Lister(client: client)
            lister.statuses = Planner.openStatuses
            lister.shouldStop = { [self] in isCancelled }
            do {
                for (i, s) in slices.enumerated() {
                    if lister.shouldStop() { break }
                    let ids = try lister.list(Window(fromMs: s.fromMs, toMs: s.toMs + 1))
                    events.push(.sliceListed(slice: i, ids: ids))
                }
                events.push(.listingFinished)
            } catch let e as DingSyncError {
                events.push(.listingFailed(e))
            } catch {
                events.push(.listingFailed(DingSyncError(.bug, "listing running instances: \(error)")))
            }
        }
    }

    /// A `--limit` run has all the ids it may fetch: list no further pages.
    func stopListing() { listingStopped.store(true, ordering: .relaxed) }

    /// No more work: workers finish the call in hand and end.
    func finishWork() { work.close() }

    /// Stops every thread: no new call starts, queued work is dropped, blocked pushes return.
    /// Threads still inside an HTTP call are given `graceMs` to end; past that the process
    /// does not wait for them (a slow DingTalk must not hold a failed run for minutes).
    func shutdown(graceMs: Int = 2_000) {
        shared.cancellation.cancel()
        work.close()
        events.close()
        _ = group.wait(timeout: .now() + .milliseconds(graceMs))
    }

    private func fetchLoop(_ client: DingTalkClient) {
        while let id = work.pop() {
            if isCancelled { continue }
            let result: Result<InstanceDetail, DingTalkError>
            do { result = .success(try client.get(id: id)) } catch { result = .failure(error) }
            events.push(.fetched(id: id, result))
        }
    }

    private func spawn(name: String, _ body: @escaping @Sendable (DingTalkClient) -> Void) {
        group.enter()
        let thread = Thread { [self] in
            defer { group.leave() }
            let transport: any HTTPTransport
            do { transport = try makeTransport() } catch {
                events.push(.listingFailed(DingSyncError(.bug, "could not create an HTTP client: \(error)")))
                return
            }
            let client = DingTalkClient(shared: shared, transport: transport)
            client.onRetry = onRetry
            body(client)
        }
        thread.name = name
        thread.stackSize = 1 << 20
        thread.start()
    }
}
