import Synchronization

/// When each live loop last made progress, for the systemd watchdog: a loop that stops beating for
/// longer than its allowance stops the watchdog from being fed, and systemd restarts the agent.
package final class Heartbeats: Sendable {
    private struct Beat {
        var at: DaemonClock.Instant
        var allowance: Duration
    }

    private let beats = Mutex<[String: Beat]>([:])
    private let clock: DaemonClock

    /// Heartbeats timed by the daemon's `clock`.
    package init(clock: DaemonClock = .continuous) {
        self.clock = clock
    }

    /// Records progress of `name`, which must beat again within `allowance`.
    package func beat(_ name: String, allowance: Duration) {
        let now = clock.now
        beats.withLock { $0[name] = Beat(at: now, allowance: allowance) }
    }

    /// Forgets a loop that ended on purpose (a reload restarts it under the same name).
    package func remove(_ name: String) {
        _ = beats.withLock { $0.removeValue(forKey: name) }
    }

    /// The loops overdue now, sorted.
    package func stalled() -> [String] {
        let now = clock.now
        return beats.withLock { beats in
            beats.filter { $0.value.at.duration(to: now) > $0.value.allowance }.map(\.key).sorted()
        }
    }
}
