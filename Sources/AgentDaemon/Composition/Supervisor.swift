package import AgentConfiguration
package import Logging
package import ServiceLifecycle
import Delivery

/// Runs one part of the daemon (a scheduler, a log follower, the transmitter) and restarts it when a
/// reload changes the settings it is built from (`key`), or after it failed (with backoff), so that one
/// broken part never stops the others. It ends at graceful shutdown, when its part has ended.
///
/// Restarting cancels the running part: every part is safe to cancel between two steps (log batches
/// commit with their checkpoints, a payload leaves the spool only after its acknowledgement).
package struct Supervisor<Key: Equatable & Sendable>: Service {
    /// Why the part's run ended.
    enum Ending: Sendable {
        case finished, failed(String), reload(AgentConfiguration)
    }

    package let name: String
    package let hub: ConfigurationHub
    package let key: @Sendable (AgentConfiguration) -> Key
    /// Builds the part for a configuration; nil when it is switched off there.
    package let make: @Sendable (AgentConfiguration) async throws -> (any Service)?
    /// The clock of the restart backoff.
    package let clock: DaemonClock
    package let logger: Logger

    package init(name: String, hub: ConfigurationHub, key: @escaping @Sendable (AgentConfiguration) -> Key,
                 make: @escaping @Sendable (AgentConfiguration) async throws -> (any Service)?,
                 clock: DaemonClock = .continuous, logger: Logger) {
        self.name = name
        self.hub = hub
        self.key = key
        self.make = make
        self.clock = clock
        self.logger = logger
    }

    package func run() async throws {
        var failures = 0
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            // A subscription per run of the part: the child task that waits on it is cancelled when the
            // part ends, and cancelling the iteration of an AsyncStream ends the stream for good. (One
            // subscription for the supervisor's life made every run after a failure end at once.)
            // Subscribing before reading the configuration misses no reload in between.
            let updates = hub.subscribe()
            let configuration = hub.current
            let currentKey = key(configuration)
            let make = self.make
            let key = self.key
            let settings = configuration
            let ending: Ending = await withTaskGroup(of: Ending.self) { group in
                group.addTask {
                    do {
                        if let part = try await make(settings) {
                            try await part.run()
                        } else {
                            try await gracefulShutdown()
                        }
                        return .finished
                    } catch is CancellationError {
                        return .finished
                    } catch {
                        return .failed("\(error)")
                    }
                }
                group.addTask {
                    for await next in updates where key(next) != currentKey { return .reload(next) }
                    return .finished
                }
                let first = await group.next() ?? .finished
                group.cancelAll()
                return first
            }
            switch ending {
            case .finished:
                if Task.isShuttingDownGracefully || Task.isCancelled { return }
                // A part that ends by itself before shutdown is restarted like a failed one.
                failures += 1
                logger.warning("\(name) stopped; restarting")
            case .failed(let reason):
                failures += 1
                logger.error("\(name) failed; restarting", metadata: ["error": "\(reason)", "attempt": "\(failures)"])
            case .reload:
                logger.notice("\(name) restarts with the new configuration")
                failures = 0
                continue
            }
            // Backoff before a restart: 1 s, 2 s, 4 s … 60 s; shutdown interrupts it.
            let delay = Backoff.restarts.ceiling(attempt: failures)
            try? await cancelWhenGracefulShutdown { [clock] in try await clock.sleep(for: delay) }
        }
    }
}

/// Printed by ServiceLifecycle: the name only, never settings that may hold secrets.
extension Supervisor: CustomStringConvertible {
    package var description: String { "supervisor of \(name)" }
}
