/// When the next snapshot cycle starts: on a fixed cadence from the first one, never two at once.
///
/// A cycle that ends past one or more of its successors' start times is *late*: the next cycle starts
/// at once (not once per missed tick, which would only pile up work on a struggling server), and the
/// ticks missed are counted so the scheduler can report them (a log line, a metric, an entry in the next
/// payload's `errors`) rather than skip them silently.
///
/// A reload that changes the interval restarts the scheduler (its Supervisor key includes the interval),
/// so a schedule never changes its cadence in place.
package struct CycleSchedule: Sendable, Equatable {
    /// The cadence.
    package let interval: Duration
    /// The start time of the next cycle.
    package private(set) var next: Duration
    /// Ticks skipped so far because a cycle ran long.
    package private(set) var missedTicks = 0

    /// A schedule whose first cycle starts at `start`.
    package init(interval: Duration, start: Duration) {
        self.interval = interval
        self.next = start
    }

    /// What ``finish(at:)`` found.
    package struct Outcome: Sendable, Equatable {
        /// Ticks this cycle overran (0: on time).
        package var missed: Int
        /// How long past its own slot the cycle ended (zero when on time).
        package var overrun: Duration

        package init(missed: Int, overrun: Duration) {
            self.missed = missed
            self.overrun = overrun
        }
    }

    /// Records that the cycle which started at ``next`` ended at `end`, and moves ``next`` on.
    package mutating func finish(at end: Duration) -> Outcome {
        let slotEnd = next + interval
        guard end > slotEnd else {
            next = slotEnd
            return Outcome(missed: 0, overrun: .zero)
        }
        // Ticks at slotEnd, slotEnd + interval, … up to `end` have passed during this cycle.
        let missed = Int((end - slotEnd) / interval) + 1
        missedTicks += missed
        // Start the next cycle now; the cadence continues from there.
        next = end
        return Outcome(missed: missed, overrun: end - slotEnd)
    }
}
