/// Lists every instance id of a window, following `next_cursor` until DingTalk omits it.
/// A window whose cursor loop reaches DingTalk's 10,000-id cap is split in two and each half
/// listed again, recursively, so no id past the cap is lost.
public struct Lister {
    public static let idCap = 10_000

    let client: DingTalkClient
    /// Told about each window as it is listed (for progress and the log).
    var onPage: ((Window, Int) -> Void)?

    public init(client: DingTalkClient, onPage: ((Window, Int) -> Void)? = nil) {
        self.client = client
        self.onPage = onPage
    }

    /// Ids in DingTalk's order, without duplicates.
    /// `stopAfter` ends the cursor loop early once that many ids are known (a `--limit` preview).
    public func list(_ window: Window, stopAfter: Int? = nil) throws(DingSyncError) -> [String] {
        var ids: [String] = []
        var seen: Set<String> = []
        var cursors: Set<Int> = []
        var cursor = 0
        while true {
            let page: ListPage
            do {
                // DingTalk treats end_time as inclusive; the window is half-open.
                page = try client.listIds(startMs: window.fromMs, endMs: window.toMs - 1, cursor: cursor)
            } catch {
                throw DingSyncError(error.exitStatus, "listing \(window): \(error)")
            }
            for id in page.ids where seen.insert(id).inserted { ids.append(id) }
            onPage?(window, ids.count)
            guard let next = page.nextCursor else { break }
            if let stopAfter, ids.count >= stopAfter { return ids }
            guard cursors.insert(next).inserted, next != cursor else {
                throw DingSyncError(.unavailable, "listing \(window): DingTalk returned cursor \(next) twice; stopping rather than looping")
            }
            cursor = next
        }
        if ids.count >= Self.idCap, let (a, b) = window.halves() {
            return try list(a) + list(b)
        }
        return ids
    }
}
