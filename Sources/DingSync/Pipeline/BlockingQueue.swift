import Foundation

/// A FIFO handed between threads. `capacity` bounds it (producers wait), which is what keeps
/// a run's memory flat: fetched details cannot pile up faster than they are written.
/// Blocking calls happen on the pipeline's own threads, never on Swift's cooperative pool.
final class BlockingQueue<Element>: @unchecked Sendable {
    /// Popped slots are emptied at once: a slot waiting for the next compaction must not keep
    /// its element (a fetched detail, ~9 KB with its parsed strings) alive.
    private var items: [Element?] = []
    private var head = 0
    private var closed = false
    private let capacity: Int
    private let condition = NSCondition()

    init(capacity: Int = .max) { self.capacity = capacity }

    private var count: Int { items.count - head }

    /// False when the queue was closed (the element is dropped).
    @discardableResult
    func push(_ element: Element) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while count >= capacity && !closed { condition.wait() }
        guard !closed else { return false }
        items.append(element)
        condition.broadcast()
        return true
    }

    /// Blocks until an element arrives; nil once the queue is closed and drained.
    func pop() -> Element? {
        condition.lock()
        defer { condition.unlock() }
        while count == 0 && !closed { condition.wait() }
        guard count > 0 else { return nil }
        let e = items[head]!
        items[head] = nil
        head += 1
        if head > 1024 && head * 2 > items.count {  // compact now and then, not on every pop
            items.removeFirst(head)
            head = 0
        }
        condition.broadcast()
        return e
    }

    /// Wakes every waiter; later pushes are refused and pops drain what is left.
    func close() {
        condition.lock()
        closed = true
        condition.broadcast()
        condition.unlock()
    }
}
