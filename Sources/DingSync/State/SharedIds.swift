/// The ids a run already holds in memory (those the executor sent a `get` for), so that rows
/// read back from the state tables share their text instead of each holding a copy: a first
/// sync's catch-up owes tens of thousands of ids, and its snapshot after the listing held a
/// second copy of every one (a 36-character id is an 80-byte allocation of its own).
final class SharedIds {
    private var ids: Set<String> = []

    /// False when the id was already in.
    func insert(_ id: String) -> Bool { ids.insert(id).inserted }

    func contains(_ id: String) -> Bool { ids.contains(id) }

    /// The copy already held, when there is one; `id` itself otherwise (equal either way).
    func shared(_ id: String) -> String { ids.firstIndex(of: id).map { ids[$0] } ?? id }
}
