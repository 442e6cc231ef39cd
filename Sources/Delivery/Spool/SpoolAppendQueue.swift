import Synchronization

/// Group commit for the spool's appends.
///
/// An append is queued here with its suspended producer. The first append that finds no writer turn
/// scheduled schedules one; the others only wait. When the turn runs, on the database's writer queue, it
/// takes every append queued by then and stores them all in one transaction, then resumes each producer
/// with its own outcome. Appends that arrive while a turn runs schedule the next one. So N producers that
/// append at once cost one commit and one fsync, and no producer waits behind another's empty turn.
final class SpoolAppendQueue: Sendable {
    private struct State {
        var pending: [PendingAppend] = []
        var scheduled = false
        var transactions = 0
    }

    private let state = Mutex(State())

    /// Queues `append`; true when the caller must schedule a writer turn (none is scheduled yet).
    func enqueue(_ append: PendingAppend) -> Bool {
        state.withLock { state in
            state.pending.append(append)
            defer { state.scheduled = true }
            return !state.scheduled
        }
    }

    /// The turn's batch: every queued append, oldest first. Later appends schedule a new turn.
    func takeAll() -> [PendingAppend] {
        state.withLock { state in
            defer {
                state.pending.removeAll(keepingCapacity: true)
                state.scheduled = false
            }
            if !state.pending.isEmpty { state.transactions += 1 }
            return state.pending
        }
    }

    /// Appends waiting for a turn.
    var count: Int { state.withLock { $0.pending.count } }

    /// Writer turns that stored at least one append: each is one transaction, one fsync.
    var transactions: Int { state.withLock { $0.transactions } }
}
