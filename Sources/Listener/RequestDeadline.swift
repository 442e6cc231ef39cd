import Synchronization

/// The time a request has to deliver its body, counted from its headers. The idle timeout alone cannot
/// drop a client that sends a byte every few seconds, never idle for long; this deadline does: unless
/// ``meet()`` is called in time, `onMiss` runs once (the listener closes the connection), which frees the
/// connection, and the ingest slot when it held one.
package final class RequestDeadline: Sendable {
    private enum State { case armed, met, missed }

    private let state = Mutex(State.armed)
    private let timer = Mutex<Task<Void, Never>?>(nil)

    /// Starts the clock: `onMiss` runs once `timeout` has passed, unless ``meet()`` was called before.
    package init(timeout: Duration, onMiss: @escaping @Sendable () -> Void) {
        let task = Task { [self] in
            do { try await Task.sleep(for: timeout) } catch { return }
            if self.miss() { onMiss() }
        }
        timer.withLock { $0 = task }
    }

    /// Stops the clock once the body is read. False when the deadline had already passed: the connection
    /// is being closed, and what was read of the body is not to be trusted (the read may have ended early
    /// because of the close). Calling it again gives the same answer.
    @discardableResult package func meet() -> Bool {
        let met = state.withLock { (current: inout State) -> Bool in
            if current == .armed { current = .met }
            return current == .met
        }
        timer.withLock { task in
            task?.cancel()
            task = nil
        }
        return met
    }

    /// The timer's side: true when it won the race against ``meet()``.
    private func miss() -> Bool {
        state.withLock { (current: inout State) -> Bool in
            guard current == .armed else { return false }
            current = .missed
            return true
        }
    }
}
