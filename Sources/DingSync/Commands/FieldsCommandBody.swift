import DingSyncMapping
import Foundation

/// `fields --instance ID` / `--sample N`: fetches real instances and prints their components
/// (label, id, type, example), the instance attributes, and a mapping snippet to paste into a
/// job config. This is how a mapping for a new form gets written.
public enum FieldsCommandBody {
    public static func run(_ env: CommandEnvironment, _ g: GlobalSettings, instanceIds: [String], sample: Int?) -> Int32 {
        let console = env.console
        let context: RunContext
        switch OperatorSupport.prepare(env, g) {
        case .exit(let code): return code
        case .ready(let c): context = c
        }
        do throws(DingSyncError) {
            let calls = try OperatorCalls(context)
            defer { calls.finish() }
            let client = calls.client
            let ids = instanceIds.isEmpty ? try recent(sample ?? 5, client: client, context: context) : instanceIds
            var details: [InstanceDetail] = []
            for id in ids {
                do {
                    details.append(try client.get(id: id))
                } catch where error.errorClass == .instance && instanceIds.isEmpty {
                    context.logger.warning("instance could not be fetched; sampling the others", metadata: ["instance": "\(id)", "error": "\(error)"])
                } catch {
                    throw OperatorSupport.failure(error, doing: error.doing("fetching instance \(id)"))
                }
            }
            guard !details.isEmpty else { throw DingSyncError(.unavailable, "none of the sampled instances could be fetched (see the log above)") }
            print(details, context: context)
        } catch {
            return env.report(error)
        }
        console.flush()
        return 0
    }

    /// The ids of up to `n` recent instances: windows reaching back from now, growing (1, 7,
    /// then 30 days each) so a busy form costs few pages and a quiet one is still found.
    static func recent(_ n: Int, client: DingTalkClient, context: RunContext) throws(DingSyncError) -> [String] {
        let now = context.clock.nowMs()
        let earliest = WindowPlanner.earliestAllowed(nowMs: now)
        var ids: [String] = []
        var to = now
        var days: Int64 = 1
        let lister = Lister(client: client)
        while ids.count < n, to > earliest {
            let window = Window(fromMs: max(earliest, to - days * WindowPlanner.dayMs), toMs: to)
            // DingTalk lists oldest first; the newest of the window are the last listed.
            ids += try lister.list(window).reversed()
            to = window.fromMs
            days = days == 1 ? 7 : 30
        }
        guard !ids.isEmpty else {
            throw .config("no instances of process \(context.config.dingtalk.processCode) were created in the last 365 days; check dingtalk.process_code, or name one with --instance ID")
        }
        context.logger.info("sampling instances", metadata: ["found": "\(ids.count)", "taking": "\(min(n, ids.count))"])
        return Array(ids.prefix(n))
    }

    static func print(_ details: [InstanceDetail], context: RunContext) {
        let out = context.console
        let tz = context.config.sync.timezone
        let fields = MappingSuggestion.collect(details)
        out.out("# Form components of \(context.config.dingtalk.processCode) (\(details.count) instance(s): \(details.map(\.id).prefix(3).joined(separator: ", "))\(details.count > 3 ? ", …" : ""))")
        var t = TextTable(["name", "id", "type", "example value"])
        for f in fields {
            t.add([f.suite.map { "\($0) › \(f.name ?? "")" } ?? f.name ?? "(no name)", f.id ?? "", f.type ?? "", f.values.first ?? ""])
        }
        t.lines().forEach(out.out)
        out.out("")
        // One instance's attributes, never a mix: a status beside another instance's result
        // reads as a state DingTalk never had. The sample with the most attributes set shows most.
        let shown = details.max { a, b in
            a.attributes.values.filter { !$0.isEmpty }.count < b.attributes.values.filter { !$0.isEmpty }.count
        } ?? details[0]
        out.out("# Instance attributes (of instance \(shown.id))")
        var a = TextTable(["name", "example value"])
        for name in InstanceDetail.attributeNames {
            a.add([name, shown.attributes[name] ?? ""])
        }
        a.lines().forEach(out.out)
        out.out("")
        out.out("# Mapping snippet: paste into the job config (types guessed from the components and checked against the sampled values)")
        MappingSuggestion.snippet(MappingSuggestion.entries(for: fields, timeZone: tz)).forEach(out.out)
    }
}
