/// The transmitter's circuit breaker: a small pure state machine over an injected monotonic time.
///
/// Closed: sends go through; `failureThreshold` consecutive failures open it. Open: nothing is sent until
/// `coolDown` has passed; then it is half-open and lets one probe through. The probe's success closes it;
/// its failure opens it again, for a cool-down twice as long (capped at `maximumCoolDown`), so a listener
/// that stays dead costs one request per cool-down and nothing in between.
package struct CircuitBreaker: Sendable, Equatable {
    /// Where the breaker stands.
    package enum State: Sendable, Equatable {
        case closed(failures: Int)
        case open(until: Duration, coolDown: Duration)
        case halfOpen(coolDown: Duration)
    }

    /// Consecutive failures that open the breaker.
    package let failureThreshold: Int
    /// The first cool-down.
    package let coolDown: Duration
    /// The longest cool-down.
    package let maximumCoolDown: Duration
    /// The current state.
    package private(set) var state: State = .closed(failures: 0)

    package init(failureThreshold: Int = 5, coolDown: Duration = .seconds(30), maximumCoolDown: Duration = .seconds(600)) {
        precondition(failureThreshold > 0 && coolDown > .zero && maximumCoolDown >= coolDown)
        self.failureThreshold = failureThreshold
        self.coolDown = coolDown
        self.maximumCoolDown = maximumCoolDown
    }

    /// Whether a send may be tried at `now`; moves an open breaker whose cool-down has passed to half-open.
    package mutating func allowsRequest(at now: Duration) -> Bool {
        switch state {
        case .closed:
            return true
        case let .open(until, coolDown):
            guard now >= until else { return false }
            state = .halfOpen(coolDown: coolDown)
            return true
        case .halfOpen:
            // One probe at a time: the one let through is still out.
            return false
        }
    }

    /// When a send may next be tried (nil: now).
    package var retryAt: Duration? {
        if case let .open(until, _) = state { return until }
        return nil
    }

    /// A send succeeded.
    package mutating func recordSuccess() {
        state = .closed(failures: 0)
    }

    /// A send failed at `now`.
    package mutating func recordFailure(at now: Duration) {
        switch state {
        case let .closed(failures):
            if failures + 1 >= failureThreshold {
                state = .open(until: now + coolDown, coolDown: coolDown)
            } else {
                state = .closed(failures: failures + 1)
            }
        case let .halfOpen(previous):
            let next = min(previous * 2, maximumCoolDown)
            state = .open(until: now + next, coolDown: next)
        case .open:
            break
        }
    }

    /// Where the breaker stands, without its counters: what metrics, logs and the shutdown drain look at.
    package enum Phase: String, Sendable, Equatable {
        case closed
        case open
        case halfOpen = "half_open"

        /// The value of `pgagent_send_breaker_state`: 0 closed, 1 half-open, 2 open.
        package var gaugeValue: Double {
            switch self {
            case .closed: 0
            case .halfOpen: 1
            case .open: 2
            }
        }
    }

    /// The current phase.
    package var phase: Phase {
        switch state {
        case .closed: .closed
        case .open: .open
        case .halfOpen: .halfOpen
        }
    }
}
