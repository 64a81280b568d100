/// Per-window figures for the run log's reconciliation record: every listed id is owed a get
/// now (`fetched`), was already stored or owed one (`skipped`), or was listed twice (`repeated`).
public struct WindowStats: Sendable, Codable, Equatable {
    public var fromMs: Int64 = 0
    public var toMs: Int64 = 0
    public var listed = 0
    public var fetched = 0
    public var skipped = 0
    public var repeated = 0
    func with(_ w: Window) -> WindowStats {
        var s = self
        s.fromMs = w.fromMs
        s.toMs = w.toMs
        return s
    }
}
