import DingSyncMapping
import Foundation
import HTTPClient
import MySQLClient

/// `check`: everything a 2 a.m. cron run needs, verified now, one line per check on stdout
/// (`ok` / `FAIL: reason` / `skipped (why)`). Exits with the code of the first failing check.
public enum CheckCommandBody {
    public static func run(_ env: CommandEnvironment, _ g: GlobalSettings) -> Int32 {
        let console = env.console
        var report = Report(console: console)
        let code = checks(env, g, report: &report)
        console.flush()
        if let first = report.firstFailure {
            return env.report(DingSyncError(first.status, "check failed: \(first.message)"))
        }
        console.err("dingsync: all checks passed")
        return code
    }

    struct Report {
        let console: Console
        var firstFailure: DingSyncError?
        mutating func ok(_ name: String, _ detail: String? = nil) { line(name, "ok" + (detail.map { " (\($0))" } ?? "")) }
        mutating func skip(_ name: String, _ why: String) { line(name, "skipped (\(why))") }
        mutating func fail(_ name: String, _ error: DingSyncError) {
            line(name, "FAIL: " + error.message.replacingOccurrences(of: "\n", with: " "))
            if firstFailure == nil { firstFailure = error }
        }
        func line(_ name: String, _ text: String) {
            console.out(name.padding(toLength: max(name.count, 16), withPad: " ", startingAt: 0) + " " + text)
        }
    }

    private static func checks(_ env: CommandEnvironment, _ g: GlobalSettings, report r: inout Report) -> Int32 {
        let vars = env.variables
        if let path = g.configPath ?? vars["DINGSYNC_CONFIG"], let names = ConfigLoader.variables(path: path, env: vars) {
            let missing = names.required.filter { vars[$0] == nil }
            if missing.isEmpty {
                let all = names.required + names.optional.filter { vars[$0] != nil }
                r.ok("environment", all.isEmpty ? "the config names no variables" : "set: " + all.joined(separator: ", "))
            } else {
                r.fail("environment", .config("not set: \(missing.joined(separator: ", ")) (the config names them without a default)"))
            }
        }
        let context: RunContext
        switch env.prepare(g) {
        case .failure(let e): r.fail("config", e); return e.status.rawValue
        case .success(let c): context = c
        }
        let config = context.config
        r.ok("config", "job \(config.job), \(config.mapping.count) mapped columns, process \(config.dingtalk.processCode)")
        let listing = dingtalk(context, &r)
        guard let m = config.mysql else {
            for name in ["mysql", "target table", "table charset", "columns", "primary key", "state tables"] {
                r.skip(name, "no mysql section")
            }
            return 0
        }
        mysql(config, m, nowMs: context.clock.nowMs(), listing: listing, &r)
        return 0
    }

    /// What the check's own listing call found: it is also the probe of a recorded quota block.
    enum ListingAnswer { case answered, quotaExhausted, notMade, budgetSpent }

    private static func dingtalk(_ context: RunContext, _ r: inout Report) -> ListingAnswer {
        let dt = context.config.dingtalk
        let v1 = dt.api == .v1
        let listing = v1 ? "v1 query" : "listids"
        let calls: OperatorCalls
        do { calls = try OperatorCalls(context) } catch { r.fail("token", error); return .notMade }
        defer { calls.finish() }
        let client = calls.client
        do {
            _ = try client.token()
            // Which family the job talks to: the two differ in host, permission and economy.
            let family = v1 ? "api v1: ids listed by status at \(dt.v1BaseURL), details by the legacy get at \(dt.baseURL)"
                            : "api topapi: \(dt.baseURL)"
            r.ok("token", calls.fetchedToken ? "\(family); token from \(v1 ? dt.v1BaseURL : dt.baseURL)" : "\(family); token cached by an earlier run, still valid")
        } catch {
            r.fail("token", OperatorSupport.failure(error, doing: "getting an access token"))
            r.skip(listing, "no token")
            return .notMade
        }
        let answer = listOnePage(context, calls, &r)
        // connections/open is metered as well: over budget, check opens nothing.
        if answer == .budgetSpent, context.config.events != nil {
            r.skip("stream", "the job's monthly budget is spent: connections/open is metered too")
        } else {
            stream(context, calls, &r)
        }
        return answer
    }

    private static func listOnePage(_ context: RunContext, _ calls: OperatorCalls, _ r: inout Report) -> ListingAnswer {
        let dt = context.config.dingtalk
        let v1 = dt.api == .v1
        let listing = v1 ? "v1 query" : "listids"
        let client = calls.client
        let now = context.clock.nowMs()
        // Over budget, even check's one page would be spent beyond what the user allowed (the
        // token request above is not metered).
        let spent = calls.monthSpent(nowMs: now), monthly = dt.monthlyCallBudget
        if spent >= monthly {
            r.skip(listing, "the job's monthly budget is spent (\(spent) of \(monthly) calls): no metered call until it resets at \(BeijingMonth(containing: now).resetText(in: context.config.sync.timezone))")
            return .budgetSpent
        }
        let days = min(context.config.sync.windowDays, 30)
        do {
            // v1: the status-filtered listing the sync relies on, so a missing workflow
            // permission shows here, not at 2 a.m.
            let page = try client.listIds(startMs: now - Int64(days) * WindowPlanner.dayMs, endMs: now, cursor: 0,
                                          statuses: v1 ? Planner.openStatuses : [])
            let what = v1 ? "open id(s)" : "id(s)"
            let permission = v1 ? "; the app may list by status (workflow permission granted)" : ""
            r.ok(listing, "\(page.ids.count) \(what) on the first page of the last \(days) days\(page.nextCursor != nil ? ", more pages" : "")\(permission)")
            if !v1, let start = context.config.sync.startMs, !calls.hasSynced { firstSync(context, calls, startMs: start, &r) }
            return .answered
        } catch {
            r.fail(listing, OperatorSupport.failure(error, doing: "listing instances"))
            return error.errorClass == .quota ? .quotaExhausted : .notMade
        }
    }

    /// With `events.stream`: one Stream connection opened and closed (one metered
    /// `connections/open`), and the console filter rule this job needs.
    private static func stream(_ context: RunContext, _ calls: OperatorCalls, _ r: inout Report) {
        guard let events = context.config.events else { return }
        let dt = context.config.dingtalk
        let rule = StreamGateway.filterRule(processCode: dt.processCode, types: events.types)
        guard events.stream else { return r.skip("stream", "events.stream is false") }
        let gateway = StreamGateway(baseURL: dt.v1BaseURL, appKey: dt.appKey, appSecret: dt.appSecret)
        let transport: any HTTPTransport
        do { transport = try context.makeTransport() } catch {
            return r.fail("stream", DingSyncError(.unavailable, "connections/open: \(error)"))
        }
        switch gateway.open(transport, processCodes: [dt.processCode]) {
        case .failure(.fatal(let e)):
            calls.count("stream_open")
            r.fail("stream", e)
        case .failure(.transient(let why)):
            r.fail("stream", DingSyncError(.unavailable, "\(why); try again later"))
        case .success(let ticket):
            calls.count("stream_open")
            do {
                let socket = try WebSocket(url: ticket.url, timeoutMs: 10_000)
                try? socket.sendClose()
                r.ok("stream", "Stream mode works (a connection opened and closed); console filter rule for this job: \(rule)")
            } catch {
                r.fail("stream", DingSyncError(.unavailable, "connections/open gave a ticket, but the WebSocket failed: \(error)"))
            }
        }
    }

    /// A job that has not synced yet: what its first sync will cost, and whether the budget
    /// pays for it this month (a new user's first sync must not surprise them).
    private static func firstSync(_ context: RunContext, _ calls: OperatorCalls, startMs: Int64, _ r: inout Report) {
        let now = context.clock.nowMs()
        do {
            let e = try FirstSyncEstimate.count(calls.client, fromMs: startMs, toMs: now)
            let budget = CallBudget(monthly: context.config.dingtalk.monthlyCallBudget, spent: calls.monthSpent(nowMs: now), nowMs: now)
            r.ok("first sync", e.text(budget: budget, days: Double(now - startMs) / Double(WindowPlanner.dayMs)))
        } catch {
            r.fail("first sync", OperatorSupport.failure(error, doing: "counting the instances since sync.start"))
        }
    }

    private static func mysql(_ config: JobConfig, _ m: MySQLSettings, nowMs: Int64, listing: ListingAnswer, _ r: inout Report) {
        let db: MySQLConnection
        do {
            db = try Database.connect(m)
            r.ok("mysql", "\(m.user)@\(m.socket ?? "\(m.host):\(m.port)")/\(m.database), server \(db.serverVersion)")
            r.ok("tls", db.tlsCipher.map { "cipher \($0), mode \(m.tls.mode.rawValue)" }
                ?? (m.socket != nil ? "not encrypted: Unix socket" : "not encrypted, mode \(m.tls.mode.rawValue)"))
        } catch {
            r.fail("mysql", error)
            for name in ["target table", "table charset", "columns", "primary key", "state tables"] { r.skip(name, "no connection") }
            return
        }
        do {
            try table(config, m, db, &r)
            try stateTables(config, m, db, nowMs: nowMs, listing: listing, &r)
        } catch {
            r.fail("mysql", Database.failure(error, doing: "reading the schema of \(m.database)"))
        }
    }

    private static func table(_ config: JobConfig, _ m: MySQLSettings, _ db: MySQLConnection, _ r: inout Report) throws {
        let name = "\(m.database).\(m.table)"
        let info = try db.prepare("SELECT `TABLE_COLLATION` FROM information_schema.`TABLES` WHERE `TABLE_SCHEMA` = ? AND `TABLE_NAME` = ?")
            .query([.text(m.database), .text(m.table)])
        guard let collation = info.first?.first else {
            r.fail("target table", .config("\(name) does not exist: create it with `dingsync schema --apply` (or your own DDL)"))
            for n in ["table charset", "columns", "primary key"] { r.skip(n, "no table") }
            return
        }
        r.ok("target table", name)
        let columns = try db.prepare("""
            SELECT `COLUMN_NAME`, `DATA_TYPE`, `CHARACTER_SET_NAME`, `COLUMN_KEY` FROM information_schema.`COLUMNS`
            WHERE `TABLE_SCHEMA` = ? AND `TABLE_NAME` = ? ORDER BY `ORDINAL_POSITION`
            """).query([.text(m.database), .text(m.table)])
        let byName = Dictionary(columns.map { (($0[0] ?? "").lowercased(), $0) }, uniquingKeysWith: { a, _ in a })
        let latin = columns.filter { c in c[2].map { !$0.hasPrefix("utf8mb4") } ?? false }.compactMap { $0[0] ?? nil }
        if !(collation ?? "").hasPrefix("utf8mb4") {
            r.fail("table charset", .config("\(name) has collation \(collation ?? "?"), not utf8mb4: emoji and rare CJK would be refused; convert it (ALTER TABLE … CONVERT TO CHARACTER SET utf8mb4)"))
        } else if !latin.isEmpty {
            r.fail("table charset", .config("column(s) \(latin.joined(separator: ", ")) of \(name) are not utf8mb4"))
        } else {
            r.ok("table charset", collation ?? "utf8mb4")
        }
        var problems: [String] = []
        for e in config.mapping {
            guard let c = byName[e.field.lowercased()] else { problems.append("\(e.field) is missing"); continue }
            let dataType = c[1] ?? "?"
            if !SchemaDDL.compatible(e.type, dataType: dataType) {
                problems.append("\(e.field) is \(dataType.uppercased()), cannot hold the mapping's \(e.type.rawValue) (use \(SchemaDDL.sqlType(e)))")
            }
        }
        if problems.isEmpty {
            r.ok("columns", "all \(config.mapping.count) mapped columns present with compatible types")
        } else {
            r.fail("columns", .config("\(name): " + problems.joined(separator: "; ")))
        }
        // The same rule sync enforces (TargetWriter.verifyTable), so check never passes a table sync refuses.
        let key = config.mapping[config.keyIndex].field
        if try TargetWriter.hasUniqueIndex(on: key, db: db, database: m.database, table: m.table) {
            r.ok("primary key", key)
        } else {
            let primary = columns.filter { $0[3] == "PRI" }.compactMap { $0[0] ?? nil }
            let have = primary.isEmpty ? "no primary key" : "primary key (\(primary.joined(separator: ", ")))"
            r.fail("primary key", .config("\(name) has \(have); " + TargetWriter.keyProblem(table: name, key: key)))
        }
    }

    private static func stateTables(_ config: JobConfig, _ m: MySQLSettings, _ db: MySQLConnection, nowMs: Int64,
                                    listing: ListingAnswer, _ r: inout Report) throws {
        let existing = try StateStore(db: db, job: config.job).existingTables()
        let missing = StateStore.tableNames.filter { !existing.contains($0) }
        if missing.isEmpty {
            r.ok("state tables", "present")
            budget(config, StateStore(db: db, job: config.job), nowMs: nowMs, listing: listing, &r)
            return
        }
        // The current user's CREATE right, global or on this database (patterns included).
        let rights = try db.prepare("""
            SELECT 1 FROM information_schema.`USER_PRIVILEGES` WHERE `PRIVILEGE_TYPE` = 'CREATE'
            UNION SELECT 1 FROM information_schema.`SCHEMA_PRIVILEGES` WHERE `PRIVILEGE_TYPE` = 'CREATE' AND ? LIKE `TABLE_SCHEMA`
            """).query([.text(m.database)])
        if rights.isEmpty {
            r.fail("state tables", DingSyncError(.permission, "missing \(missing.joined(separator: ", ")) and user \(m.user) may not CREATE tables in \(m.database): grant CREATE, or create them from `dingsync schema`"))
        } else {
            r.ok("state tables", "missing \(missing.joined(separator: ", ")); creatable, sync creates them")
        }
    }

    /// What the job spends against its monthly budget, and whether DingTalk has blocked the
    /// organisation's quota for the rest of the month: the listing call above probed it.
    private static func budget(_ config: JobConfig, _ store: StateStore, nowMs: Int64, listing: ListingAnswer, _ r: inout Report) {
        do {
            let e = try EconomyReport.load(store, config: config, nowMs: nowMs)
            if let until = e.quotaBlockedUntilMs {
                let appKeyId = TokenSeal.appKeyId(config.dingtalk.appKey)
                let blocked = "the organisation's monthly DingTalk quota was recorded as exhausted until \(DingTalkTime.formatBeijing(until)) Beijing time"
                switch listing {
                case .answered:
                    try store.clearQuotaBlock(appKeyId: appKeyId)
                    try store.recordQuotaProbe(appKeyId: appKeyId, nowMs: nowMs)
                    r.ok("quota block", "lifted: \(blocked), but DingTalk answered the listing above normally")
                case .quotaExhausted:
                    try store.recordQuotaProbe(appKeyId: appKeyId, nowMs: nowMs)
                    r.fail("budget", DingSyncError(.tryLater, "\(blocked); probed now by the listing above: still exhausted (sync probes again every 6 hours)"))
                    return
                case .notMade, .budgetSpent:
                    r.fail("budget", DingSyncError(.tryLater, "\(blocked); not probed, the listing above made no call"))
                    return
                }
            }
            if e.spent >= e.budget {
                let skipped = listing == .budgetSpent ? "skipped the \(config.dingtalk.api == .v1 ? "v1 query" : "listids") check and the first-sync count, so check made no metered call; " : ""
                r.fail("budget", DingSyncError(.tryLater, "over budget: \(e.spent) of \(e.budget) calls spent in \(e.month) (Beijing time); \(skipped)"
                    + "syncs make no call until the budget resets at \(BeijingMonth(containing: nowMs).resetText(in: config.sync.timezone)); raise dingtalk.monthly_call_budget only if the organisation's quota allows"))
                return
            }
            let fit = e.monthlyNeed <= e.budget ? "fits" : "exceeds the budget: freshness will be rationed"
            r.ok("budget", "\(e.spent) of \(e.budget) calls spent in \(e.month); the job needs about \(e.monthlyNeed) a month at its observed volume (\(fit))")
        } catch {
            r.fail("budget", Database.failure(error, doing: "reading the call ledger"))
        }
    }
}
