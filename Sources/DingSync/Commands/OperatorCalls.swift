import Foundation
import MySQLClient

/// `check` and `fields` spend the organisation's DingTalk quota too: they take the token that
/// syncs cached (sealed in `dingsync_app`) instead of asking for a new one, and add what they
/// spend to the job's ledger, so the budget and `status` see every call the tool makes.
/// Without reachable state tables they still work, and say their calls went unrecorded.
final class OperatorCalls {
    let client: DingTalkClient
    private let shared: DingTalkClient.Shared
    private let context: RunContext
    private let store: StateStore?
    private let appKeyId: String
    /// Metered calls made outside the DingTalk client (the Stream gateway), by ledger endpoint.
    private var other: [String: Int] = [:]

    init(_ context: RunContext) throws(DingSyncError) {
        self.context = context
        shared = DingTalkClient.Shared(settings: context.config.dingtalk, clock: context.clock)
        client = try OperatorSupport.client(context, shared: shared)
        appKeyId = TokenSeal.appKeyId(context.config.dingtalk.appKey)
        store = Self.openStore(context.config)
        if let store, let sealed = try? store.sealedToken(appKeyId: appKeyId),
           let token = TokenSeal.open(sealed.sealed, secret: context.config.dingtalk.appSecret) {
            shared.tokens.seed(token, expiresAtMs: sealed.expiresMs)
        }
    }

    /// The state tables, when the config has a database and they exist there (an operator
    /// command never creates them: `check` reports their absence).
    private static func openStore(_ config: JobConfig) -> StateStore? {
        guard let m = config.mysql, let db = try? Database.connect(m) else { return nil }
        let store = StateStore(db: db, job: config.job)
        guard let have = try? store.existingTables(["dingsync_ledger", "dingsync_app"]), have.count == 2 else { return nil }
        return store
    }

    func count(_ endpoint: String) { other[endpoint, default: 0] += 1 }

    /// Whether the job has synced before (false too without state tables: a first sync), and
    /// its metered calls this Beijing month.
    var hasSynced: Bool { ((try? store?.watermark()) ?? nil) != nil }
    func monthSpent(nowMs: Int64) -> Int {
        CallCounters.metered((try? store?.monthCalls(month: BeijingMonth(containing: nowMs).description)) ?? [:])
    }

    /// Whether a token request was made (false: the cached token served).
    var fetchedToken: Bool { shared.counters.snapshot.token > 0 }

    /// Writes the calls made and a newly fetched token. A failure here is a warning: the
    /// command's own outcome stands.
    func finish() {
        let calls = shared.counters.snapshot
        guard calls.total + other.values.reduce(0, +) > 0 else { return }
        guard let store else {
            context.logger.warning("this command's DingTalk calls are not in the job's ledger: no state tables reachable",
                                   metadata: ["listids": "\(calls.listids)", "get": "\(calls.get)", "token": "\(calls.token)"])
            return
        }
        let now = context.clock.nowMs()
        // Both families' names (v1_query with dingtalk.api v1), as the sync's ledger writes them.
        let spent = calls.ledgerEntries.merging(other, uniquingKeysWith: +).filter { $0.value > 0 }
        do {
            try store.addCalls(spent, month: BeijingMonth(containing: now).description, appKeyId: appKeyId, nowMs: now)
            if let fresh = shared.tokens.takeFresh(), let sealed = TokenSeal.seal(fresh.token, secret: context.config.dingtalk.appSecret) {
                try store.storeSealedToken(appKeyId: appKeyId, sealed: sealed, expiresMs: fresh.expiresAtMs)
            }
        } catch {
            context.logger.warning("this command's DingTalk calls are not in the job's ledger",
                                   metadata: ["error": "\(Database.failure(error, doing: "recording them").message)"])
        }
    }
}
