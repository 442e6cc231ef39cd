import Synchronization

/// When each live loop last made progress, for the systemd watchdog: a loop that stops beating for
/// longer than its allowance stops the watchdog from being fed, and systemd restarts the agent.
package final class Heartbeats: Sendable {
    private struct Beat {
        var at: ContinuousClock.Instant
        var allowance: Duration
    }

    private let beats = Mutex<[String: Beat]>([:])

    /// Records progress of `name`, which must beat again within `allowance`.
    package func beat(_ name: String, allowance: Duration, now: ContinuousClock.Instant = .now) {
        beats.withLock { $0[name] = Beat(at: now, allowance: allowance) }
    }

    /// Forgets a loop that ended on purpose (a reload restarts it under the same name).
    package func remove(_ name: String) {
        _ = beats.withLock { $0.removeValue(forKey: name) }
    }

    /// The loops overdue at `now`, sorted.
    package func stalled(now: ContinuousClock.Instant = .now) -> [String] {
        beats.withLock { beats in
            beats.filter { now - $0.value.at > $0.value.allowance }.map(\.key).sorted()
        }
    }
}
