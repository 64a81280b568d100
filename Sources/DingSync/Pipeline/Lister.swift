/// Lists every instance id of a window, following `next_cursor` until DingTalk omits it.
/// A window whose cursor loop reaches DingTalk's 10,000-id cap is split in two and each half
/// listed again, recursively, so no id past the cap is lost (the halves repeat ids already
/// emitted; consumers deduplicate). A lister that had to split learns from it: later windows
/// are listed in that many parts from the start, so dense data does not pay the wasted
/// 500-page pass again on every window.
public final class Lister {
    public static let idCap = 10_000

    let client: DingTalkClient
    /// Checked between pages: a run that has what it needs (or failed elsewhere) stops listing.
    var shouldStop: () -> Bool = { false }
    /// v1 only: list the ids whose current status is one of these (empty: every status).
    var statuses: [String] = []
    /// How many equal parts a window is cut into before listing (a power of two).
    public private(set) var parts = 1

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
        var pieces = [window]
        while pieces.count < parts, pieces.allSatisfy({ $0.halves() != nil }) {
            pieces = pieces.flatMap { w -> [Window] in let (a, b) = w.halves()!; return [a, b] }
        }
        var deepest = 0
        for piece in pieces {
            deepest = max(deepest, try listSplitting(piece, depth: 0, emit: emit))
        }
        if deepest > 0 { parts = min(1 << 10, pieces.count << deepest) }
    }

    /// Returns how many times the window had to be halved to stay under the cap.
    private func listSplitting(_ window: Window, depth: Int, emit: ([String]) -> Void) throws(DingSyncError) -> Int {
        let count = try listOnce(window, emit: emit)
        guard count >= Self.idCap, !shouldStop(), let (a, b) = window.halves() else { return depth }
        return max(try listSplitting(a, depth: depth + 1, emit: emit), try listSplitting(b, depth: depth + 1, emit: emit))
    }

    private func listOnce(_ window: Window, emit: ([String]) -> Void) throws(DingSyncError) -> Int {
        var count = 0
        var cursors: Set<Int> = []
        var cursor = 0
        while !shouldStop() {
            let page: ListPage
            do {
                // DingTalk treats end_time as inclusive; the window is half-open.
                page = try client.listIds(startMs: window.fromMs, endMs: window.toMs - 1, cursor: cursor, statuses: statuses)
            } catch {
                throw DingSyncError(error.exitStatus, "\(error.doing("listing \(window)")): \(error)", cause: error.errorClass)
            }
            count += page.ids.count
            emit(page.ids)
            guard let next = page.nextCursor else { break }
            guard cursors.insert(next).inserted, next != cursor else {
                throw DingSyncError(.unavailable, "listing \(window): DingTalk returned cursor \(next) twice; stopping rather than looping")
            }
            cursor = next
        }
        return count
    }
}
