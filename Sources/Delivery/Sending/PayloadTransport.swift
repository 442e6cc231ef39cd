package import AgentConfiguration

/// How a payload reaches the listener: one POST and its answer, as a ``DeliveryOutcome``. The
/// transmitter owns the policy (retries, breaker, dead letters); a transport only sends. Production uses
/// ``HTTPPayloadTransport``; tests script the answers.
package protocol PayloadTransport: Sendable {
    /// Sends `payload` (its body as stored: gzip) with `key` as the Bearer token. Any failure to get a
    /// complete answer is `.retry`.
    func send(_ payload: SpooledPayload, key: Secret) async -> DeliveryOutcome

    /// Releases the connections. Called once, when the transmitter stops.
    func shutdown() async
}
