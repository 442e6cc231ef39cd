package import AgentConfiguration
import Foundation
package import Logging
import ServiceLifecycle
import UnixSignals

/// SIGHUP: reads the configuration again and, if it is sound, puts it in force (``ConfigurationHub``);
/// the parts whose settings changed restart themselves, nothing in flight is lost. A configuration that
/// does not load, or changes what only a restart can change, is refused with one error line naming the
/// key, and the one in force stays.
package struct ConfigurationReloader: Service {
    package let path: String?
    package let environment: AgentEnvironment
    package let hub: ConfigurationHub
    package let levels: LogLevelControl
    package let logger: Logger

    package func run() async throws {
        let signals = await UnixSignalsSequence(trapping: .sighup)
        for await _ in signals.cancelOnGracefulShutdown() {
            reload()
        }
    }

    package func reload() {
        let next: AgentConfiguration
        do {
            next = try AgentConfiguration.load(path: path, environment: environment.variables,
                                               readFile: { try AgentConfiguration.readFileFromDisk($0) })
            try Self.check(next, against: hub.current, environment: environment)
        } catch {
            logger.error("the new configuration is refused; the one in force stays", metadata: ["error": "\(error)"])
            return
        }
        levels.current = Logger.Level(rawValue: next.agent.logLevel.rawValue) ?? .info
        hub.publish(next)
        logger.notice("configuration reloaded", metadata: [
            "interval_s": "\(next.agent.intervalSeconds)", "log_level": "\(next.agent.logLevel.rawValue)",
        ])
    }

    /// What a reload cannot change, and what must build.
    package static func check(_ next: AgentConfiguration, against current: AgentConfiguration,
                      environment: AgentEnvironment) throws {
        func needsRestart(_ key: String) -> AgentConfigurationError {
            AgentConfigurationError(code: .invalidValue, key: key, message: "changed, and only a restart can apply it")
        }
        guard next.postgres.map(\.name) == current.postgres.map(\.name) else {
            throw needsRestart("postgres (the set of servers)")
        }
        guard next.agent.stateDirectory == current.agent.stateDirectory else { throw needsRestart("agent.state_dir") }
        guard next.spool == current.spool else { throw needsRestart("spool") }
        guard next.metrics == current.metrics else { throw needsRestart("metrics.listen") }
        for instance in next.postgres {
            _ = try InstanceRuntime(instance: instance, configuration: next, environment: environment, stateDirectory: nil)
        }
    }
}

/// Printed by ServiceLifecycle: the name only, never settings that may hold secrets.
extension ConfigurationReloader: CustomStringConvertible {
    package var description: String { "configuration reloader (SIGHUP)" }
}
