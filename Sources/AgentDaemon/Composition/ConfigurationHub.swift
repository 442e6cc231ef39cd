package import AgentConfiguration
import Foundation
import Synchronization

/// The configuration in force, and the reloads (SIGHUP) that replace it: every supervised part
/// subscribes and restarts itself when the settings it depends on changed.
package final class ConfigurationHub: Sendable {
    private struct State {
        var configuration: AgentConfiguration
        var subscribers: [UUID: AsyncStream<AgentConfiguration>.Continuation] = [:]
    }

    private let state: Mutex<State>

    package init(_ configuration: AgentConfiguration) {
        state = Mutex(State(configuration: configuration))
    }

    /// The configuration now in force.
    package var current: AgentConfiguration { state.withLock { $0.configuration } }

    /// Every configuration published from now on (only the newest is kept while the reader is busy).
    package func subscribe() -> AsyncStream<AgentConfiguration> {
        let (stream, continuation) = AsyncStream.makeStream(of: AgentConfiguration.self, bufferingPolicy: .bufferingNewest(1))
        let id = UUID()
        state.withLock { $0.subscribers[id] = continuation }
        continuation.onTermination = { [weak self] _ in
            _ = self?.state.withLock { $0.subscribers.removeValue(forKey: id) }
        }
        return stream
    }

    /// Puts a new configuration in force.
    package func publish(_ configuration: AgentConfiguration) {
        let subscribers = state.withLock { state in
            state.configuration = configuration
            return Array(state.subscribers.values)
        }
        for subscriber in subscribers { subscriber.yield(configuration) }
    }
}
