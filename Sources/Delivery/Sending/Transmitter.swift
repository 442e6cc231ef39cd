package import AgentConfiguration
import AsyncHTTPClient
import Foundation
package import Logging
import NIOCore
import NIOHTTP1
import NIOSSL
import ServiceLifecycle
import Synchronization

/// Sends the spool's payloads to the listener, oldest first, one at a time, and deletes each only when
/// the listener acknowledged it (docs/architecture.md, "Delivery").
///
/// Every payload goes as stored (gzip) with `Content-Encoding: gzip`, `Authorization: Bearer`, and its
/// `batch_id` as `Idempotency-Key`. What happens next is ``DeliveryOutcome``: 2xx deletes; 408, 429, 5xx
/// and connection failures retry with exponential backoff and full jitter (``Backoff``), honouring
/// `Retry-After`, behind a ``CircuitBreaker``; 401/403 stop sending until the key works again (the key is
/// read anew before each try, so replacing the key file is enough); other 4xx move the payload to the
/// dead letters. The key is never logged. Certificates are always verified: against the system's CAs
/// plus `ca_file` when given.
package final class Transmitter<C: Clock>: Service where C.Duration == Duration {
    /// Where and how to send.
    package struct Endpoint: Sendable {
        /// The ingest URL.
        package var url: String
        /// An extra trusted CA certificate (PEM file).
        package var caFile: String?
        /// The deadline of one POST.
        package var timeout: Duration

        package init(url: String, caFile: String? = nil, timeout: Duration = .seconds(10)) {
            self.url = url
            self.caFile = caFile
            self.timeout = timeout
        }
    }

    private let spool: Spool
    private let endpoint: Endpoint
    private let apiKey: @Sendable () -> Secret?
    private let clock: C
    private let backoff: Backoff
    private let idlePoll: Duration
    private let authenticationRetry: Duration
    private let shutdownDrain: Duration
    private let logger: Logger
    private let state: Mutex<(status: TransmitterStatus, breaker: CircuitBreaker)>

    /// - Parameters:
    ///   - apiKey: reads the current key (file or environment); nil when there is none.
    ///   - idlePoll: how often an empty spool is looked at again.
    ///   - authenticationRetry: the pause after a 401/403 before the key is tried again.
    ///   - shutdownDrain: at graceful shutdown, how long sending goes on while the spool holds payloads.
    package init(spool: Spool, endpoint: Endpoint, apiKey: @escaping @Sendable () -> Secret?, clock: C,
                 breaker: CircuitBreaker = CircuitBreaker(), backoff: Backoff = Backoff(),
                 idlePoll: Duration = .milliseconds(500), authenticationRetry: Duration = .seconds(60),
                 shutdownDrain: Duration = .zero, logger: Logger) {
        self.shutdownDrain = shutdownDrain
        self.spool = spool
        self.endpoint = endpoint
        self.apiKey = apiKey
        self.clock = clock
        self.backoff = backoff
        self.idlePoll = idlePoll
        self.authenticationRetry = authenticationRetry
        self.logger = logger
        self.state = Mutex((TransmitterStatus(), breaker))
    }

    /// The counters so far.
    package var status: TransmitterStatus {
        state.withLock { $0.status }
    }

    package func run() async throws {
        var configuration = HTTPClient.Configuration()
        configuration.timeout = .init(connect: .seconds(5), read: TimeAmount.nanoseconds(Int64(Self.seconds(endpoint.timeout) * 1e9)))
        var tls = TLSConfiguration.makeClientConfiguration()
        if let caFile = endpoint.caFile { tls.additionalTrustRoots = [.file(caFile)] }
        configuration.tlsConfiguration = tls
        configuration.redirectConfiguration = .disallow
        let client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
        do {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await self.loop(client: client) }
                group.addTask {
                    // At graceful shutdown: keep sending for at most `shutdownDrain`, then stop.
                    try await gracefulShutdown()
                    try await self.drain()
                }
                try await group.next()
                group.cancelAll()
            }
        } catch is CancellationError {
        } catch {
            try? await client.shutdown()
            throw error
        }
        try? await client.shutdown()
    }

    /// Returns when the spool is empty, sending is hopeless (breaker open, key refused), or
    /// `shutdownDrain` has passed.
    private func drain() async throws {
        let deadline = clock.now.advanced(by: shutdownDrain)
        while clock.now < deadline {
            let status = self.status
            if try await spool.isEmpty() || status.breaker == "open" || status.authenticationRejected { return }
            try await clock.sleep(for: .milliseconds(20))
        }
        logger.notice("stopped sending at shutdown with payloads left in the spool; they go after the restart")
    }

    private func loop(client: HTTPClient) async throws {
        let origin = clock.now
        var attempt = 0
        while !Task.isCancelled {
            guard let payload = try await spool.oldest() else {
                try await clock.sleep(for: idlePoll)
                continue
            }
            let now = origin.duration(to: clock.now)
            let waitUntil: Duration? = state.withLock { state in
                state.breaker.allowsRequest(at: now) ? nil : (state.breaker.retryAt ?? now + idlePoll)
            }
            if let waitUntil {
                try await clock.sleep(for: max(waitUntil - now, .milliseconds(1)))
                continue
            }
            let outcome = await send(payload, client: client)
            let after = origin.duration(to: clock.now)
            state.withLock { state in
                state.status.requests += 1
                state.status.requestSeconds += Self.seconds(after - now)
            }
            switch outcome {
            case .acknowledged:
                try await spool.acknowledge(id: payload.id)
                attempt = 0
                state.withLock { state in
                    state.breaker.recordSuccess()
                    state.status.sent += 1
                    if state.status.authenticationRejected {
                        logger.notice("the listener accepts the API key again")
                    }
                    state.status.authenticationRejected = false
                    state.status.breaker = state.breaker.stateName
                }
            case let .retry(notBefore):
                try await spool.recordAttempt(id: payload.id)
                attempt += 1
                state.withLock { state in
                    state.breaker.recordFailure(at: after)
                    state.status.retries += 1
                    state.status.breaker = state.breaker.stateName
                }
                try await clock.sleep(for: backoff.delay(attempt: attempt, retryAfter: notBefore,
                                                         random: Double.random(in: 0...1)))
            case let .authenticationRejected(status):
                let first = state.withLock { state in
                    state.breaker.recordSuccess() // the listener is up; the key is the problem
                    defer { state.status.authenticationRejected = true }
                    return !state.status.authenticationRejected
                }
                if first {
                    logger.error("the listener rejects the API key: sending paused, payloads keep spooling",
                                 metadata: ["status": "\(status)", "retry_in_s": "\(Self.seconds(authenticationRetry))"])
                }
                try await clock.sleep(for: authenticationRetry)
            case let .rejected(status):
                try await spool.moveToDeadLetters(id: payload.id, status: status, reason: "HTTP \(status)")
                attempt = 0
                state.withLock { state in
                    state.breaker.recordSuccess()
                    state.status.deadLettered += 1
                }
                logger.warning("the listener refused a payload for good: moved to the dead letters",
                               metadata: ["status": "\(status)", "batch_id": "\(payload.batchID)", "kind": "\(payload.kind)"])
            }
        }
    }

    /// One POST; any failure to get a complete answer is a retry.
    private func send(_ payload: SpooledPayload, client: HTTPClient) async -> DeliveryOutcome {
        guard let key = apiKey() else { return .authenticationRejected(status: 401) }
        var request = HTTPClientRequest(url: endpoint.url)
        request.method = .POST
        request.headers.add(name: "Authorization", value: "Bearer \(key.value)")
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "Content-Encoding", value: "gzip")
        request.headers.add(name: "Idempotency-Key", value: payload.batchID)
        request.headers.add(name: "User-Agent", value: "postgres-agent")
        request.body = .bytes(ByteBuffer(bytes: payload.body))
        do {
            let response = try await client.execute(request, timeout: .nanoseconds(Int64(Self.seconds(endpoint.timeout) * 1e9)))
            // Read (and drop) the answer, so the connection can be reused; a huge one is cut off.
            _ = try? await response.body.collect(upTo: 1 << 20)
            return DeliveryOutcome.forResponse(status: Int(response.status.code),
                                               retryAfter: response.headers.first(name: "Retry-After"),
                                               now: Date().timeIntervalSince1970)
        } catch {
            logger.info("sending failed, will retry", metadata: ["error": "\(Self.describe(error))"])
            return .retry(notBefore: nil)
        }
    }

    /// An HTTP client error without the request (which would carry the key).
    private static func describe(_ error: any Error) -> String {
        if let error = error as? HTTPClientError { return "\(error)" }
        if let error = error as? NIOSSLError { return "TLS: \(error)" }
        return "\(type(of: error))"
    }

    private static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}

/// Printed by ServiceLifecycle: the URL only (the key is never a property of the transmitter).
extension Transmitter: CustomStringConvertible {
    package var description: String { "transmitter to \(endpoint.url)" }
}
