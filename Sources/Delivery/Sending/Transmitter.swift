package import AgentConfiguration
import AgentSchema
package import Logging
import ServiceLifecycle
import Synchronization

/// Sends the spool's payloads to the listener, oldest first, one at a time, and deletes each only when
/// the listener acknowledged it (docs/architecture.md, "Delivery").
///
/// A thin shell: it reads the spool, sends through a ``PayloadTransport`` and sleeps on the injected
/// clock. What to do after each answer is ``TransmitterPolicy``'s: 2xx deletes; 408, 429, 5xx and
/// connection failures retry with exponential backoff and full jitter (``Backoff``), honouring
/// `Retry-After`, behind a ``CircuitBreaker``; 401/403 stop sending until the key works again (the key
/// is read anew before each try, so replacing the key file is enough); 404, 405 and the other "wrong
/// place" answers pause sending the same way (1 s doubling to a minute); only 413, and a 400 or 422
/// with the listener's reason, move the payload to the dead letters. The key is never logged.
package final class Transmitter<C: Clock>: Service where C.Duration == Duration {
    /// Where and how to send.
    package typealias Endpoint = ListenerEndpoint

    private let spool: Spool
    private let name: String
    private let makeTransport: @Sendable () -> any PayloadTransport
    private let apiKey: @Sendable () -> Secret?
    private let clock: C
    private let random: @Sendable () -> Double
    private let idlePoll: Duration
    private let shutdownDrain: Duration
    private let logger: Logger
    private let policy: Mutex<TransmitterPolicy>

    /// A transmitter over HTTPS to `endpoint`.
    ///
    /// - Parameters:
    ///   - apiKey: reads the current key (file or environment); nil when there is none.
    ///   - idlePoll: the unit of the idle wait: an empty spool is looked at again after an append, or
    ///     after `idleQueryEvery` times this.
    ///   - authenticationRetry: the pause after a 401/403 before the key is tried again.
    ///   - shutdownDrain: at graceful shutdown, how long sending goes on while the spool holds payloads.
    package convenience init(spool: Spool, endpoint: Endpoint, apiKey: @escaping @Sendable () -> Secret?, clock: C,
                             breaker: CircuitBreaker = CircuitBreaker(), backoff: Backoff = Backoff(),
                             idlePoll: Duration = .milliseconds(500), authenticationRetry: Duration = .seconds(60),
                             shutdownDrain: Duration = .zero, logger: Logger) {
        self.init(spool: spool, name: endpoint.url,
                  transport: { HTTPPayloadTransport(endpoint: endpoint, logger: logger) },
                  apiKey: apiKey, clock: clock,
                  policy: TransmitterPolicy(breaker: breaker, backoff: backoff,
                                            authenticationRetry: authenticationRetry, idlePoll: idlePoll),
                  idlePoll: idlePoll, shutdownDrain: shutdownDrain, logger: logger)
    }

    /// A transmitter over any transport.
    ///
    /// - Parameters:
    ///   - name: what it sends to, for ServiceLifecycle's logs.
    ///   - transport: makes the transport when ``run()`` starts; it is shut down when `run()` ends.
    ///   - random: the backoff's jitter, a number in `0...1`.
    package init(spool: Spool, name: String, transport: @escaping @Sendable () -> any PayloadTransport,
                 apiKey: @escaping @Sendable () -> Secret?, clock: C, policy: TransmitterPolicy,
                 random: @escaping @Sendable () -> Double = { Double.random(in: 0...1) },
                 idlePoll: Duration = .milliseconds(500), shutdownDrain: Duration = .zero, logger: Logger) {
        self.spool = spool
        self.name = name
        self.makeTransport = transport
        self.apiKey = apiKey
        self.clock = clock
        self.random = random
        self.idlePoll = idlePoll
        self.shutdownDrain = shutdownDrain
        self.logger = logger
        self.policy = Mutex(policy)
    }

    /// While the spool stays empty, the transmitter waits for an append and looks at the file anyway
    /// after this many idle polls' time (a minute at the default poll). Polling every 500 ms cost a read
    /// transaction and a wake-up each time: 20 of them per 10 s snapshot cycle, 6 % of the daemon's CPU
    /// with snapshots only (callgrind; BENCHMARKS.md, footprint).
    static var idleQueryEvery: Int { 120 }

    /// The counters so far.
    package var status: TransmitterStatus {
        policy.withLock { $0.status }
    }

    package func run() async throws {
        let transport = makeTransport()
        do {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await self.loop(transport: transport) }
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
            await transport.shutdown()
            throw error
        }
        await transport.shutdown()
    }

    /// Returns when the spool is empty, sending is hopeless (breaker open, key refused), or
    /// `shutdownDrain` has passed.
    private func drain() async throws {
        let deadline = clock.now.advanced(by: shutdownDrain)
        while clock.now < deadline {
            let isEmpty = try await spool.isEmpty()
            if policy.withLock({ $0.drainIsOver(spoolIsEmpty: isEmpty) }) { return }
            try await clock.sleep(for: .milliseconds(20))
        }
        logger.notice("stopped sending at shutdown with payloads left in the spool; they go after the restart")
    }

    private func loop(transport: any PayloadTransport) async throws {
        let origin = clock.now
        // The spool's append count when it was last found empty. While it stands still no payload came
        // in: the loop sleeps until an append, or `idleQueryEvery` polls' time (another process may
        // have written the file), without querying the spool or waking every poll.
        var emptyAtCount: Int?
        while !Task.isCancelled {
            let appendCount = spool.appendCount
            if let emptyAt = emptyAtCount, emptyAt == appendCount {
                await waitForAppend(whileCountIs: emptyAt)
                emptyAtCount = nil
                continue
            }
            guard let payload = try await spool.oldest() else {
                emptyAtCount = appendCount
                continue
            }
            emptyAtCount = nil
            let start = origin.duration(to: clock.now)
            if case let .wait(until) = policy.withLock({ $0.gate(at: start) }) {
                try await clock.sleep(for: max(until - start, .milliseconds(1)))
                continue
            }
            let outcome: DeliveryOutcome
            if let key = apiKey() {
                outcome = await transport.send(payload, key: key)
            } else {
                outcome = .authenticationRejected(status: 401)
            }
            let end = origin.duration(to: clock.now)
            let random = self.random()
            let (step, notice) = policy.withLock { $0.record(outcome, start: start, end: end, random: random) }
            if let notice { log(notice) }
            switch step {
            case .acknowledge:
                try await spool.acknowledge(id: payload.id)
            case let .retry(after):
                try await spool.recordAttempt(id: payload.id)
                try await clock.sleep(for: after)
            case let .pause(duration):
                try await clock.sleep(for: duration)
            case let .deadLetter(status, reason):
                try await spool.moveToDeadLetters(id: payload.id, status: status, reason: reason)
                logger.warning("the listener refused a payload for good: moved to the dead letters",
                               metadata: ["status": "\(status)", "reason": "\(reason)", "batch_id": "\(payload.batchID)",
                                          "kind": "\(payload.kind?.rawValue ?? "unknown")"])
            }
        }
    }

    /// Sleeps until the spool's append count moves from `count`, or for `idleQueryEvery` idle polls.
    private func waitForAppend(whileCountIs count: Int) async {
        let spool = self.spool, clock = self.clock, timeout = idlePoll * Self.idleQueryEvery
        // The timer is stopped by the append that wakes the wait, on the appending task: the timer's
        // sleep is gone as soon as the payload is stored (a test clock sees no stale sleeper).
        let timer = Task { try? await clock.sleep(for: timeout) }
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await spool.waitForAppend(whileCountIs: count, woken: { timer.cancel() }) }
            group.addTask { await withTaskCancellationHandler { await timer.value } onCancel: { timer.cancel() } }
            await group.next()
            group.cancelAll()
        }
    }

    private func log(_ notice: TransmitterPolicy.Notice) {
        switch notice {
        case let .keyRejected(status, retryIn):
            logger.error("the listener rejects the API key: sending paused, payloads keep spooling",
                         metadata: ["status": "\(status)", "retry_in_s": "\(TransmitterPolicy.seconds(retryIn))"])
        case .keyAccepted:
            logger.notice("the listener accepts the API key again")
        case let .misdirected(status, retryIn):
            logger.error("the listener URL answers \(status): it is the wrong URL or a proxy refuses it; sending paused, payloads keep spooling",
                         metadata: ["status": "\(status)", "url": "\(name)", "retry_in_s": "\(TransmitterPolicy.seconds(retryIn))"])
        case .misdirectionEnded:
            logger.notice("the listener URL takes payloads again: sending resumed", metadata: ["url": "\(name)"])
        case let .breakerOpened(coolDown):
            logger.warning("the listener keeps failing: sending paused, payloads keep spooling",
                           metadata: ["retry_in_s": "\(TransmitterPolicy.seconds(coolDown))"])
        case .breakerClosed:
            logger.notice("the listener answers again: sending resumed")
        }
    }
}

/// Printed by ServiceLifecycle: the URL only (the key is never a property of the transmitter).
extension Transmitter: CustomStringConvertible {
    package var description: String { "transmitter to \(name)" }
}
