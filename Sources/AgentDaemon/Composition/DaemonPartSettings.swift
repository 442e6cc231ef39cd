package import AgentConfiguration

/// What each supervised part is built from: a reload that changes a part's settings restarts that part,
/// and only that part.
package enum DaemonPartSettings {
    /// What one server's log source is built from.
    package struct Logs: Equatable, Sendable {
        var server: AgentConfiguration.PostgresInstance?
        var logs: AgentConfiguration.Logs?
        var privacy: AgentConfiguration.Privacy
        var correlation: AgentConfiguration.Correlation
        var project: String
    }

    /// What one server's snapshot scheduler is built from.
    package struct Snapshots: Equatable, Sendable {
        var server: AgentConfiguration.PostgresInstance?
        var intervalSeconds: Int
        var project: String
        var collectors: AgentConfiguration.Collectors
        var privacy: AgentConfiguration.Privacy
        var correlation: AgentConfiguration.Correlation
    }

    /// The log source settings of server `name` in `configuration`.
    package static func logs(of name: String, in configuration: AgentConfiguration) -> Logs {
        let server = configuration.postgres.first { $0.name == name }
        return Logs(server: server, logs: server.map { configuration.logs(for: $0) },
                    privacy: configuration.privacy, correlation: configuration.correlation,
                    project: configuration.agent.project)
    }

    /// The snapshot scheduler settings of server `name` in `configuration`.
    package static func snapshots(of name: String, in configuration: AgentConfiguration) -> Snapshots {
        // The server's log keys are the log source's business: changing them restarts no snapshots.
        var server = configuration.postgres.first { $0.name == name }
        server?.logOverrides = [:]
        return Snapshots(server: server, intervalSeconds: configuration.agent.intervalSeconds,
                         project: configuration.agent.project, collectors: configuration.collectors,
                         privacy: configuration.privacy, correlation: configuration.correlation)
    }
}
