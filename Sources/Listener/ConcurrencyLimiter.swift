import Synchronization

/// How many ingests run at once. Each one holds its body (up to `--max-body-mb`) and its inflated JSON
/// (up to `--max-json-mb`) in memory, so the limit, not the number of clients, bounds the listener's
/// memory. A request that finds every slot taken is not queued: it is answered 503 with `Retry-After`
/// at once (``ListenerError/Code/busy``), and the agent sends it again.
package final class ConcurrencyLimiter: Sendable {
    /// The most slots taken at once.
    package let capacity: Int
    private let taken = Mutex(0)

    /// A limiter of `capacity` slots (at least 1).
    package init(capacity: Int) {
        precondition(capacity > 0, "a limiter needs at least one slot")
        self.capacity = capacity
    }

    /// Takes a slot, or returns false when all are taken. Every true answer must be followed by exactly
    /// one ``release()``.
    package func tryAcquire() -> Bool {
        taken.withLock { (count: inout Int) -> Bool in
            guard count < capacity else { return false }
            count += 1
            return true
        }
    }

    /// Gives back a slot taken by ``tryAcquire()``.
    package func release() {
        taken.withLock { count in
            precondition(count > 0, "released a slot that was not taken")
            count -= 1
        }
    }

    /// The slots taken now.
    package var inUse: Int { taken.withLock { $0 } }
}
