import DingSync
import DingSyncMapping
import DingTalkSimulator
import Foundation
import MySQLClient

/// The writer alone: realistic mapped rows (the reference form's generator through the real
/// Mapper) written by `TargetWriter` in transactions of `batch` rows, against MariaDB's bulk
/// path, `LOAD DATA`, loading the very same rows into the same (emptied) table.
enum WriterBench {
    static let table = "master_wan_recharge"

    /// Rows are generated and mapped once, up front (untimed), so every round writes the very
    /// same rows. Both sides run `rounds` times, alternating, into the emptied table; the best
    /// round of each counts (the machine is shared: the best round is the least disturbed one).
    static func run(_ env: BenchEnv, rows target: Int, batch: Int, rounds: Int) throws {
        try env.freshDatabase()
        let db = try env.connect(database: BenchEnv.database)
        let mapping = try referenceMapping(env)
        let mapper = Mapper(entries: mapping, timeZone: TimeZone(identifier: "Asia/Shanghai")!)
        let writer = try TargetWriter(db: db, database: BenchEnv.database, table: table, mapping: mapping)
        let upserter = try TargetWriter(db: db, database: BenchEnv.database, table: table, mapping: mapping,
                                        writeMode: .upsert)
        let tsvPath = "\(env.work)/rows.tsv"
        _ = FileManager.default.createFile(atPath: tsvPath, contents: nil)
        guard let tsv = FileHandle(forWritingAtPath: tsvPath) else { throw BenchError("cannot write \(tsvPath)") }

        var generator = ReferenceFormGenerator(seed: 7)
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        var batches: [[MappedRow]] = []
        var written = 0, rejected = 0
        let m0 = DispatchTime.now().uptimeNanoseconds
        while written < target {
            let want = min(batch, target - written)
            var rows: [MappedRow] = []
            rows.reserveCapacity(want)
            while rows.count < want {
                for inst in generator.make(count: want - rows.count, fromMs: now - 300 * 86_400_000, toMs: now) {
                    switch mapper.map(instanceDetail(inst)) {
                    case .success(let row): rows.append(row)
                    case .failure: rejected += 1
                    }
                }
            }
            tsv.write(Data(rows.map(tsvLine).joined().utf8))
            batches.append(rows)
            written += rows.count
        }
        let mapSeconds = Double(DispatchTime.now().uptimeNanoseconds - m0) / 1e9
        try tsv.close()

        let columns = mapping.map { "`\($0.field)`" }.joined(separator: ", ")
        var writerTimes: [Double] = [], loadTimes: [Double] = [], upsertTimes: [Double] = []
        var how = "", same = true
        for _ in 0..<max(1, rounds) {
            try db.execute("TRUNCATE TABLE `\(table)`")
            let t0 = DispatchTime.now().uptimeNanoseconds
            for rows in batches {
                try db.begin()
                try writer.write(rows)
                try db.commit()
            }
            writerTimes.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9)
            try expectCount(db, written)
            let writerChecksum = try checksum(db)

            // write_mode upsert, the same rows into the emptied table.
            try db.execute("TRUNCATE TABLE `\(table)`")
            let u0 = DispatchTime.now().uptimeNanoseconds
            for rows in batches {
                try db.begin()
                try upserter.write(rows)
                try db.commit()
            }
            upsertTimes.append(Double(DispatchTime.now().uptimeNanoseconds - u0) / 1e9)
            try expectCount(db, written)
            same = try same && checksum(db) == writerChecksum

            try db.execute("TRUNCATE TABLE `\(table)`")
            let (seconds, method) = try loadData(env, db: db, path: tsvPath, columns: columns)
            loadTimes.append(seconds)
            how = method
            try expectCount(db, written)
            same = try same && checksum(db) == writerChecksum
        }
        let writerRate = Double(written) / writerTimes.min()!
        let loadRate = Double(written) / loadTimes.min()!
        let rounds = writerTimes.count

        Figure(name: "writer rows/s, \(written) mapped rows, batch \(batch)",
               measured: "\(fmt(writerRate, 0)) rows/s (best of \(rounds))",
               bound: "\(how): \(fmt(loadRate, 0)) rows/s (best of \(rounds))",
               ratio: writerRate / loadRate, target: ">= 0.5", met: writerRate / loadRate >= 0.5).emit()
        let upsertRate = Double(written) / upsertTimes.min()!
        Figure(name: "writer rows/s (write_mode upsert), \(written) mapped rows, batch \(batch)",
               measured: "\(fmt(upsertRate, 0)) rows/s (best of \(rounds))",
               bound: "\(how): \(fmt(loadRate, 0)) rows/s (best of \(rounds))",
               ratio: upsertRate / loadRate, target: ">= 0.5", met: upsertRate / loadRate >= 0.5).emit()
        let list = { (xs: [Double]) in xs.map { fmt($0, 2) }.joined(separator: ", ") }
        detail("writer: REPLACE INTO with \(batch) rows per statement, one transaction per batch: \(list(writerTimes)) s; INSERT … ON DUPLICATE KEY UPDATE (upsert): \(list(upsertTimes)) s; LOAD DATA: \(list(loadTimes)) s")
        detail("writer: generating and mapping ran at \(fmt(Double(written + rejected) / mapSeconds, 0)) instances/s (\(rejected) rejected by the mapping, left out of both sides); table contents after all three loads \(same ? "identical (CHECKSUM TABLE)" : "DIFFER (CHECKSUM TABLE): the comparison is not like for like")")
    }

    /// Server-side `LOAD DATA INFILE` (the server reads the file; timed as one statement on
    /// our connection). If the server may not read files (secure_file_priv, no FILE privilege),
    /// the `mariadb` client's `LOAD DATA LOCAL INFILE` instead, timed as the whole client run.
    static func loadData(_ env: BenchEnv, db: MySQLConnection, path: String, columns: String) throws -> (Double, String) {
        let body = "INTO TABLE `\(table)` CHARACTER SET utf8mb4 FIELDS TERMINATED BY '\\t' ESCAPED BY '\\\\' LINES TERMINATED BY '\\n' (\(columns))"
        let t0 = DispatchTime.now().uptimeNanoseconds
        do {
            try db.execute("LOAD DATA INFILE '\(path)' \(body)")
            return (Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9, "LOAD DATA INFILE (server-side)")
        } catch {
            detail("server-side LOAD DATA INFILE refused (\(error)); using the mariadb client's LOCAL INFILE")
        }
        let child = try Child("/usr/bin/mariadb", [
            "--no-defaults", "--local-infile=1", "--protocol=socket", "-S", env.socket, "-u", env.user,
            BenchEnv.database, "-e", "LOAD DATA LOCAL INFILE '\(path)' \(body)",
        ], env: ["MYSQL_PWD": env.password, "LANG": "C.UTF-8"], log: "\(env.work)/mariadb-load.log")
        let exit = child.wait(timeout: env.timeout)
        guard exit.status == 0 else { throw BenchError("mariadb LOAD DATA LOCAL INFILE: \(exit.description)") }
        return (exit.wallSeconds, "LOAD DATA LOCAL INFILE (mariadb client, whole run)")
    }

    static func expectCount(_ db: MySQLConnection, _ n: Int) throws {
        let got = try db.query("SELECT COUNT(*) FROM `\(table)`").first?.first??.description ?? "?"
        guard got == String(n) else { throw BenchError("\(table) holds \(got) rows, expected \(n)") }
    }

    static func checksum(_ db: MySQLConnection) throws -> String {
        try db.query("CHECKSUM TABLE `\(table)`").first?.last??.description ?? ""
    }

    /// The mapping of Config/wan-recharge.json (only field, type, template and key matter here).
    static func referenceMapping(_ env: BenchEnv) throws -> [MappingEntry] {
        let data = try Data(contentsOf: URL(fileURLWithPath: "\(env.repo)/Config/wan-recharge.json"))
        let root = try JSONSerialization.jsonObject(with: data) as? [String: Any]
        return try ((root?["mapping"] as? [[String: Any]]) ?? []).map { e in
            guard let field = e["field"] as? String, let value = e["value"] as? String,
                  let type = (e["type"] as? String).flatMap(ColumnType.init(rawValue:)) else {
                throw BenchError("Config/wan-recharge.json: a mapping entry lacks field, type or value")
            }
            return MappingEntry(field: field, type: type, value: value, key: e["key"] as? Bool ?? false)
        }
    }

    /// What the client would decode from `get` for this instance (Beijing-time strings).
    static func instanceDetail(_ i: SimInstance) -> InstanceDetail {
        var a: [String: String] = [
            "title": i.title, "create_time": beijing(i.createTimeMs), "originator_userid": i.originatorUserId,
            "originator_dept_id": i.originatorDeptId, "originator_dept_name": i.originatorDeptName,
            "status": i.status, "result": i.result, "business_id": i.businessId, "biz_action": i.bizAction,
        ]
        if let f = i.finishTimeMs { a["finish_time"] = beijing(f) }
        if let m = i.mainProcessInstanceId { a["main_process_instance_id"] = m }
        return InstanceDetail(id: i.id, processCode: i.processCode, attributes: a,
                              components: i.components.map {
                                  FormComponent(name: $0.name, id: $0.id, componentType: $0.componentType,
                                                value: $0.value, extValue: $0.extValue)
                              })
    }

    static func beijing(_ ms: Int64) -> String {
        var t = time_t(ms / 1000) + 8 * 3600
        var p = tm()
        gmtime_r(&t, &p)
        return String(format: "%04d-%02d-%02d %02d:%02d:%02d", Int(p.tm_year) + 1900, Int(p.tm_mon) + 1,
                      Int(p.tm_mday), Int(p.tm_hour), Int(p.tm_min), Int(p.tm_sec))
    }

    /// LOAD DATA's default escaping: backslash, tab, newline, CR and NUL escaped; NULL as \N.
    static func tsvLine(_ row: MappedRow) -> String {
        var line = ""
        for (n, v) in row.values.enumerated() {
            if n > 0 { line += "\t" }
            guard let text = v.text else { line += "\\N"; continue }
            for ch in text.unicodeScalars {
                switch ch {
                case "\\": line += "\\\\"
                case "\t": line += "\\t"
                case "\n": line += "\\n"
                case "\r": line += "\\r"
                case "\0": line += "\\0"
                default: line.unicodeScalars.append(ch)
                }
            }
        }
        return line + "\n"
    }
}
