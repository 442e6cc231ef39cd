import Synchronization

/// Group commit for the spool's appends.
///
/// An append is queued here first, then asks the database's single writer for a turn. Whichever turn
/// comes first takes every append queued by then and stores them all in one transaction. The writer
/// serves turns one at a time, so by the time an append's own turn comes, its payload has been stored,
/// either by that turn or by an earlier one that took it along, and its outcome is set. No extra task,
/// no continuation: N producers that append at once cost one commit, and one fsync.
final class SpoolAppendQueue: Sendable {
    private let pending = Mutex<[PendingAppend]>([])
    private let turns = Mutex(0)

    /// Appends waiting for a turn.
    var count: Int { pending.withLock { $0.count } }

    /// Writer turns that stored at least one append: each is one transaction, one fsync.
    var transactions: Int { turns.withLock { $0 } }

    func enqueue(_ append: PendingAppend) {
        pending.withLock { $0.append(append) }
    }

    /// Every queued append, oldest first; the queue is empty afterwards.
    func takeAll() -> [PendingAppend] {
        let taken = pending.withLock { queued in
            defer { queued.removeAll(keepingCapacity: true) }
            return queued
        }
        if !taken.isEmpty { turns.withLock { $0 += 1 } }
        return taken
    }

    /// Removes `append` if no turn took it (its own turn failed before it could).
    func withdraw(_ append: PendingAppend) -> Bool {
        pending.withLock { queued in
            guard let index = queued.firstIndex(where: { $0 === append }) else { return false }
            queued.remove(at: index)
            return true
        }
    }
}
