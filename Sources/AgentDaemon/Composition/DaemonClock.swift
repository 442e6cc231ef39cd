/// The daemon's time: one monotonic clock shared by every part (schedulers, supervisors, the
/// transmitter, the watchdog, the heartbeats), so that a test can run the whole daemon on a manual
/// clock. In production it wraps `ContinuousClock`.
///
/// It erases the wrapped clock's type: an instant is the time since the daemon's clock was made.
package struct DaemonClock: Clock, Sendable {
    /// A point on the daemon's clock.
    package struct Instant: InstantProtocol, Sendable {
        /// The time since the clock was made.
        package var offset: Duration

        package init(offset: Duration) { self.offset = offset }

        package func advanced(by duration: Duration) -> Instant { Instant(offset: offset + duration) }
        package func duration(to other: Instant) -> Duration { other.offset - offset }
        package static func < (lhs: Instant, rhs: Instant) -> Bool { lhs.offset < rhs.offset }
    }

    private let elapsed: @Sendable () -> Duration
    private let sleeper: @Sendable (Duration) async throws -> Void

    /// The daemon's clock over `clock`, starting now.
    package init<C: Clock>(_ clock: C) where C.Duration == Duration {
        let origin = clock.now
        elapsed = { origin.duration(to: clock.now) }
        sleeper = { offset in try await clock.sleep(until: origin.advanced(by: offset), tolerance: nil) }
    }

    /// The production clock.
    package static var continuous: DaemonClock { DaemonClock(ContinuousClock()) }

    package var now: Instant { Instant(offset: elapsed()) }
    package var minimumResolution: Duration { .nanoseconds(1) }

    package func sleep(until deadline: Instant, tolerance: Duration? = nil) async throws {
        try await sleeper(deadline.offset)
    }
}
