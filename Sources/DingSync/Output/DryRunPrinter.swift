import DingSyncMapping

/// Prints mapped rows for `--dry-run`: `jsonl` streams one object per row (keys in mapping
/// order), `table` prints aligned blocks of at most `blockRows` rows, so memory stays flat
/// however long the preview.
public final class DryRunPrinter {
    public enum Format: String, Sendable, CaseIterable { case table, jsonl }

    let format: Format
    let columns: [String]
    let console: Console
    private var rows: [[String]] = []
    private var printed = 0
    static let maxCellWidth = 40
    static let blockRows = 200

    public init(format: Format, columns: [String], console: Console) {
        self.format = format
        self.columns = columns
        self.console = console
    }

    public func print(_ row: MappedRow) {
        switch format {
        case .jsonl:
            var s = "{"
            for (i, (name, value)) in zip(columns, row.values).enumerated() {
                if i > 0 { s += "," }
                s += MappedValue.quoted(name) + ":" + value.jsonFragment
            }
            console.out(s + "}")
        case .table:
            rows.append(row.values.map { Self.cell($0.text ?? "NULL") })
            if rows.count >= Self.blockRows { printBlock() }
        }
    }

    public func finish() {
        if format == .table {
            if !rows.isEmpty || printed == 0 { printBlock() }
            console.out("(\(printed) row\(printed == 1 ? "" : "s"))")
        }
        console.flush()
    }

    private func printBlock() {
        let widths = columns.indices.map { c in
            ([Self.displayWidth(columns[c])] + rows.map { Self.displayWidth($0[c]) }).max() ?? 0
        }
        func line(_ cells: [String]) -> String {
            zip(cells, widths).map { $0 + String(repeating: " ", count: $1 - Self.displayWidth($0)) }
                .joined(separator: " | ")
        }
        if printed > 0 { console.out("") }
        console.out(line(columns))
        console.out(widths.map { String(repeating: "-", count: $0) }.joined(separator: "-+-"))
        for r in rows { console.out(line(r)) }
        printed += rows.count
        rows.removeAll(keepingCapacity: true)
    }

    /// One line, at most `maxCellWidth` columns wide on a terminal.
    static func cell(_ text: String) -> String {
        var out = ""
        var width = 0
        for ch in text {
            let c: Character = (ch == "\n" || ch == "\r" || ch == "\t") ? " " : ch
            let w = displayWidth(String(c))
            if width + w > maxCellWidth - 1 { return out + "…" }
            out.append(c)
            width += w
        }
        return out
    }

    /// CJK and emoji take two terminal columns.
    static func displayWidth(_ s: String) -> Int {
        s.unicodeScalars.reduce(0) { n, u in
            let v = u.value
            if u.properties.generalCategory == .nonspacingMark || v == 0x200D || (0xFE00...0xFE0F).contains(v) { return n }
            let wide = (0x1100...0x115F).contains(v) || (0x2E80...0xA4CF).contains(v) || (0xAC00...0xD7A3).contains(v)
                || (0xF900...0xFAFF).contains(v) || (0xFE30...0xFE4F).contains(v) || (0xFF00...0xFF60).contains(v)
                || (0xFFE0...0xFFE6).contains(v) || (0x1F300...0x1FAFF).contains(v) || (0x20000...0x3FFFD).contains(v)
            return n + (wide ? 2 : 1)
        }
    }
}
