/// The transmitter's decisions, apart from its I/O: whether a send may go now, what to do with the
/// payload after the listener's answer, how long to wait, when the shutdown drain is hopeless, and the
/// counters that go to the metrics. Pure (time is passed in, jitter is passed in), so every path is a
/// unit test; ``Transmitter`` is the shell that reads the spool, sends and sleeps.
///
/// Times are offsets on the transmitter's monotonic clock, from the moment it started.
package struct TransmitterPolicy: Sendable {
    /// Whether a payload may be sent now.
    package enum Gate: Sendable, Equatable {
        /// Send it.
        case send
        /// The breaker is open (or its probe is out): look again at `until`.
        case wait(until: Duration)
    }

    /// What the shell does with the payload it just sent.
    package enum Step: Sendable, Equatable {
        /// Delete it from the spool; the next one may go at once.
        case acknowledge
        /// Count the attempt on the payload, then wait `after` before the next send.
        case retry(after: Duration)
        /// The key was refused, or the answer said "wrong place": keep the payload and wait `for` before
        /// trying again.
        case pause(for: Duration)
        /// Move it to the dead letters (the listener refused this payload for good, saying why).
        case deadLetter(status: Int, reason: String)
    }

    /// A change worth one log line: said once when it happens, not on every send.
    package enum Notice: Sendable, Equatable {
        /// The listener started refusing the key (401/403); it is tried again in `retryIn`.
        case keyRejected(status: Int, retryIn: Duration)
        /// The listener accepts the key again after refusing it.
        case keyAccepted
        /// The URL answers "wrong place" or "not allowed" (404, 405, …): sending paused, tried again in
        /// `retryIn`.
        case misdirected(status: Int, retryIn: Duration)
        /// The URL that answered "wrong place" takes payloads again.
        case misdirectionEnded
        /// The breaker opened: the listener failed `failureThreshold` times in a row.
        case breakerOpened(coolDown: Duration)
        /// The breaker closed again after being open.
        case breakerClosed
    }

    /// The counters so far.
    package private(set) var status = TransmitterStatus()
    private var breaker: CircuitBreaker
    private let backoff: Backoff
    private let authenticationRetry: Duration
    private let idlePoll: Duration
    /// The pauses after "wrong place" answers: 1 s, doubling to a minute, so that a fixed URL (a
    /// reload, a proxy put right) is noticed soon and a wrong one costs one request a minute.
    private let misdirectedBackoff = Backoff.restarts
    /// Consecutive retries of the payload at the head of the queue.
    private var attempt = 0
    /// Consecutive "wrong place" answers.
    private var misdirections = 0

    /// - Parameters:
    ///   - idlePoll: how soon a half-open breaker whose probe is out is looked at again.
    ///   - authenticationRetry: the pause after a 401/403 before the key is tried again.
    package init(breaker: CircuitBreaker = CircuitBreaker(), backoff: Backoff = Backoff(),
                 authenticationRetry: Duration = .seconds(60), idlePoll: Duration = .milliseconds(500)) {
        self.breaker = breaker
        self.backoff = backoff
        self.authenticationRetry = authenticationRetry
        self.idlePoll = idlePoll
    }

    /// Whether a send may go at `now`. An open breaker whose cool-down has passed turns half-open and
    /// lets this one send through as its probe.
    package mutating func gate(at now: Duration) -> Gate {
        if breaker.allowsRequest(at: now) {
            status.breaker = breaker.phase
            return .send
        }
        return .wait(until: breaker.retryAt ?? now + idlePoll)
    }

    /// Records the answer to a send that started at `start` and ended at `end`, and says what to do
    /// with the payload. `random` (in `0...1`) draws the backoff's jitter.
    package mutating func record(_ outcome: DeliveryOutcome, start: Duration, end: Duration,
                                 random: Double) -> (step: Step, notice: Notice?) {
        status.requests += 1
        status.requestSeconds += Self.seconds(end - start)
        let before = breaker.phase
        let step: Step
        var notice: Notice?
        switch outcome {
        case .acknowledged:
            attempt = 0
            breaker.recordSuccess()
            status.sent += 1
            if status.authenticationRejected { notice = .keyAccepted }
            status.authenticationRejected = false
            if status.misdirectedStatus != nil, notice == nil { notice = .misdirectionEnded }
            status.misdirectedStatus = nil
            misdirections = 0
            step = .acknowledge
        case let .retry(notBefore):
            attempt += 1
            breaker.recordFailure(at: end)
            status.retries += 1
            step = .retry(after: backoff.delay(attempt: attempt, retryAfter: notBefore, random: random))
        case let .authenticationRejected(code):
            // The listener is up; the key is the problem. The breaker is for an absent listener.
            breaker.recordSuccess()
            if !status.authenticationRejected { notice = .keyRejected(status: code, retryIn: authenticationRetry) }
            status.authenticationRejected = true
            step = .pause(for: authenticationRetry)
        case let .rejected(code, reason):
            attempt = 0
            breaker.recordSuccess()
            status.deadLettered += 1
            if status.misdirectedStatus != nil { notice = .misdirectionEnded }
            status.misdirectedStatus = nil
            misdirections = 0
            step = .deadLetter(status: code, reason: reason)
        case let .misdirected(code):
            // The listener (or something in its place) is up; the URL is the problem, as with the key.
            breaker.recordSuccess()
            misdirections += 1
            let pause = misdirectedBackoff.ceiling(attempt: misdirections)
            if status.misdirectedStatus != code { notice = .misdirected(status: code, retryIn: pause) }
            status.misdirectedStatus = code
            step = .pause(for: pause)
        }
        status.breaker = breaker.phase
        if notice == nil, before != .open, status.breaker == .open, case let .open(until, _) = breaker.state {
            notice = .breakerOpened(coolDown: until - end)
        } else if notice == nil, before != .closed, status.breaker == .closed {
            notice = .breakerClosed
        }
        return (step, notice)
    }

    /// Whether the shutdown drain should stop at once: nothing is left, or nothing can be sent before
    /// the drain ends anyway (the breaker is open, the key is refused, or the URL is wrong).
    package func drainIsOver(spoolIsEmpty: Bool) -> Bool {
        spoolIsEmpty || status.breaker == .open || status.authenticationRejected || status.misdirectedStatus != nil
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}
