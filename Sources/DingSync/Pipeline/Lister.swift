/// Lists every instance id of a window, following `next_cursor` until DingTalk omits it.
/// A window whose cursor loop reaches DingTalk's 10,000-id cap is split in two and each half
/// listed again, recursively, so no id past the cap is lost (the halves repeat ids already
/// emitted; consumers deduplicate).
public struct Lister {
    public static let idCap = 10_000

    let client: DingTalkClient
    /// Checked between pages: a run that has what it needs (or failed elsewhere) stops listing.
    var shouldStop: () -> Bool = { false }

    public init(client: DingTalkClient) { self.client = client }

    /// Collects the ids of a window, in DingTalk's order, without duplicates.
    public func list(_ window: Window) throws(DingSyncError) -> [String] {
        var ids: [String] = []
        var seen: Set<String> = []
        try list(window) { page in
            for id in page where seen.insert(id).inserted { ids.append(id) }
        }
        return ids
    }

    /// Streams each page's ids to `emit` as soon as it arrives.
    public func list(_ window: Window, emit: ([String]) -> Void) throws(DingSyncError) {
        var count = 0
        var cursors: Set<Int> = []
        var cursor = 0
        while !shouldStop() {
            let page: ListPage
            do {
                // DingTalk treats end_time as inclusive; the window is half-open.
                page = try client.listIds(startMs: window.fromMs, endMs: window.toMs - 1, cursor: cursor)
            } catch {
                throw DingSyncError(error.exitStatus, "listing \(window): \(error)")
            }
            count += page.ids.count
            emit(page.ids)
            guard let next = page.nextCursor else { break }
            guard cursors.insert(next).inserted, next != cursor else {
                throw DingSyncError(.unavailable, "listing \(window): DingTalk returned cursor \(next) twice; stopping rather than looping")
            }
            cursor = next
        }
        if count >= Self.idCap, !shouldStop(), let (a, b) = window.halves() {
            try list(a, emit: emit)
            try list(b, emit: emit)
        }
    }
}
