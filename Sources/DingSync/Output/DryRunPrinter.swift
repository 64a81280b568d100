import DingSyncMapping

/// Prints mapped rows for `--dry-run`: `jsonl` streams one object per row (keys in mapping
/// order), `table` prints aligned blocks of at most `blockRows` rows, so memory stays flat
/// however long the preview. Cells and widths are `TextTable`'s, as in the operator commands.
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
            rows.append(row.values.map { TextTable.cell($0.text ?? "NULL", max: Self.maxCellWidth) })
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
            ([TextTable.width(columns[c])] + rows.map { TextTable.width($0[c]) }).max() ?? 0
        }
        func line(_ cells: [String]) -> String {
            zip(cells, widths).map { $0 + String(repeating: " ", count: $1 - TextTable.width($0)) }
                .joined(separator: " | ")
        }
        if printed > 0 { console.out("") }
        console.out(line(columns))
        console.out(widths.map { String(repeating: "-", count: $0) }.joined(separator: "-+-"))
        for r in rows { console.out(line(r)) }
        printed += rows.count
        rows.removeAll(keepingCapacity: true)
    }
}
