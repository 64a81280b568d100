import DingSyncMapping
import Foundation
import MySQLClient

/// `schema [--apply]`: prints the target table's and the state tables' DDL; `--apply` creates
/// the missing ones and leaves existing ones alone (it never alters a table).
public enum SchemaCommandBody {
    public static func run(_ env: CommandEnvironment, _ g: GlobalSettings, apply: Bool) -> Int32 {
        let console = env.console
        let context: RunContext
        switch OperatorSupport.prepare(env, g) {
        case .exit(let code): return code
        case .ready(let c): context = c
        }
        let config = context.config
        // Without a mysql section there is no table name yet: suggest one from the job's name.
        let table = config.mysql?.table ?? config.job.map { $0.isLetter || $0.isNumber ? $0 : "_" }.reduce("") { $0 + String($1) }
        let target: String
        do {
            target = try SchemaDDL.createTable(table, mapping: config.mapping, comment: "dingsync job \(config.job)")
        } catch {
            return env.report(.config("table \(table): \(error)"))
        }
        console.out("-- Target table of job \(config.job)")
        console.out(target + ";")
        console.out("")
        console.out("-- dingsync's own state tables (sync creates them when missing)")
        for sql in StateStore.allDDL { console.out(sql + ";"); console.out("") }
        console.flush()
        guard apply else { return 0 }
        do {
            try applyDDL(config: config, target: (table, target), console: console)
        } catch {
            return env.report(error)
        }
        return 0
    }

    private static func applyDDL(config: JobConfig, target: (name: String, sql: String), console: Console) throws(DingSyncError) {
        guard let m = config.mysql else {
            throw .config("schema --apply needs the config's \"mysql\" section (the database to create the tables in)")
        }
        let db = try Database.connect(m)
        let store = StateStore(db: db, job: config.job)
        do {
            let existing = try store.existingTables([target.name] + StateStore.tableNames)
            let plan = [(target.name, target.sql)] + zip(StateStore.tableNames, StateStore.allDDL).map { ($0, $1) }
            for (name, sql) in plan {
                if existing.contains(name) {
                    console.err("schema: \(m.database).\(name) exists; left as it is\(name == target.name ? " (run `dingsync check` to compare it with the mapping)" : "")")
                } else {
                    try db.execute(sql)
                    console.err("schema: created \(m.database).\(name)")
                }
            }
        } catch {
            throw Database.failure(error, doing: "creating tables in \(m.database)")
        }
    }
}
