import Synchronization

/// The spool's committed appends, counted, and the tasks waiting for the next one: while the spool is
/// empty the transmitter sleeps here instead of polling the file.
final class SpoolAppendSignal: Sendable {
    private struct State {
        var count = 0
        var nextID = 0
        var waiters: [Int: (continuation: CheckedContinuation<Void, Never>, woken: @Sendable () -> Void)] = [:]
    }

    private let state = Mutex(State())

    /// Appends committed so far.
    var count: Int { state.withLock { $0.count } }

    /// Counts `appends` more committed appends and wakes every waiter. Called after the commit, never
    /// before: a waiter woken here finds the payloads.
    func committed(_ appends: Int) {
        let waiters = state.withLock { state in
            state.count += appends
            defer { state.waiters.removeAll() }
            return Array(state.waiters.values)
        }
        for waiter in waiters {
            waiter.woken()
            waiter.continuation.resume()
        }
    }

    /// Returns once the count is no longer `count` (at once if it already is not), or when the task is
    /// cancelled. `woken` runs when an append wakes the task, before the committing task goes on (the
    /// waiter stops its timer there, not later on its own thread).
    func wait(whileCountIs count: Int, woken: @escaping @Sendable () -> Void = {}) async {
        let id = state.withLock { state -> Int in
            defer { state.nextID += 1 }
            return state.nextID
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let now = state.withLock { state -> Bool in
                    if state.count != count || Task.isCancelled { return true }
                    state.waiters[id] = (continuation, woken)
                    return false
                }
                if now { continuation.resume() }
            }
        } onCancel: {
            state.withLock { $0.waiters.removeValue(forKey: id) }?.continuation.resume()
        }
    }
}
