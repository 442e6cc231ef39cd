/// What the transmitter has done, for the self-metrics and the logs.
package struct TransmitterStatus: Sendable, Equatable {
    /// Payloads the listener acknowledged.
    package var sent = 0
    /// Failed attempts that will be retried.
    package var retries = 0
    /// Payloads moved to the dead letters.
    package var deadLettered = 0
    /// True while the listener refuses the key (401/403): nothing is sent, everything is spooled.
    package var authenticationRejected = false
    /// The last status of a "wrong place" answer (404, 405, …) while sending is paused for it; nil
    /// while payloads are taken.
    package var misdirectedStatus: Int?
    /// POSTs made (whatever their outcome).
    package var requests = 0
    /// Their total duration, seconds (with ``requests``: the mean send latency).
    package var requestSeconds = 0.0
    /// The circuit breaker's phase.
    package var breaker: CircuitBreaker.Phase = .closed

    package init() {}
}
