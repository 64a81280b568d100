/// A plain-text table for terminals and logs: columns padded to their widest cell (East Asian
/// wide characters count two), long cells cut with "…", control characters shown escaped.
struct TextTable {
    var headers: [String]
    var rows: [[String]] = []
    /// Widest a cell may print, in terminal columns; longer text is cut with "…".
    var maxCellWidth = 48

    init(_ headers: [String], maxCellWidth: Int = 48) {
        self.headers = headers
        self.maxCellWidth = maxCellWidth
    }

    mutating func add(_ row: [String?]) {
        rows.append(row.map { Self.cell($0 ?? "NULL", max: maxCellWidth) })
    }

    func lines() -> [String] {
        var widths = headers.map(Self.width)
        for row in rows { for (i, c) in row.enumerated() where i < widths.count { widths[i] = max(widths[i], Self.width(c)) } }
        func line(_ cells: [String]) -> String {
            var out = ""
            for (i, c) in cells.enumerated() {
                out += c
                if i < cells.count - 1 { out += String(repeating: " ", count: widths[i] - Self.width(c) + 2) }
            }
            return out
        }
        return [line(headers), line(widths.map { String(repeating: "-", count: $0) })] + rows.map(line)
    }

    /// Control characters would break the layout (and a terminal), so they are shown escaped.
    static func cell(_ text: String, max: Int) -> String {
        var out = ""
        var w = 0
        for ch in text {
            let piece: String
            switch ch {
            case "\n": piece = "\\n"
            case "\r\n": piece = "\\r\\n"
            case "\r": piece = "\\r"
            case "\t": piece = "\\t"
            default: piece = ch.unicodeScalars.allSatisfy { $0.value >= 0x20 && $0.value != 0x7F } ? String(ch) : "?"
            }
            let pw = width(piece)
            if w + pw > max - 1 { return out + "…" }
            out += piece
            w += pw
        }
        return out
    }

    /// Terminal columns: East Asian wide characters and emoji take two.
    static func width(_ s: String) -> Int {
        s.reduce(0) { n, ch in
            guard let v = ch.unicodeScalars.first?.value else { return n }
            let wide = (0x1100...0x115F).contains(v) || (0x2E80...0xA4CF).contains(v) || (0xAC00...0xD7A3).contains(v)
                || (0xF900...0xFAFF).contains(v) || (0xFE30...0xFE4F).contains(v) || (0xFF00...0xFF60).contains(v)
                || (0xFFE0...0xFFE6).contains(v) || v >= 0x1F300
            return n + (wide ? 2 : 1)
        }
    }
}
