package import AgentSchema
import Synchronization

/// A ``SessionTracker`` shared between the log follower of a server, which attributes entries, and its
/// snapshot scheduler, which reports what `pg_stat_activity` showed.
package final class SessionDirectory: Sendable {
    private let tracker: Mutex<SessionTracker>

    package init(_ tracker: SessionTracker = SessionTracker()) {
        self.tracker = Mutex(tracker)
    }

    /// Attributes a batch of classified events, in log order; `correlation` is the configured pattern.
    package func attribute(_ events: inout [LogEvent], correlation: CorrelationExtractor) {
        tracker.withLock { tracker in
            for index in events.indices { tracker.attribute(&events[index], correlation: correlation) }
        }
    }

    /// Learns from a snapshot of `pg_stat_activity` (see ``SessionTracker/observe(_:at:complete:)``).
    package func observe(_ observations: [SessionObservation], at time: Int64, complete: Bool) {
        tracker.withLock { $0.observe(observations, at: time, complete: complete) }
    }
}
