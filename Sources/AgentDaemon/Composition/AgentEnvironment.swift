package import AgentConfiguration
import Foundation

/// What the process knows about where it runs: the environment, the OS user, the host name. The
/// executable reads them once; the daemon's parts get this value passed in, so tests hand them their own.
package struct AgentEnvironment: Sendable {
    /// The process environment (`POSTGRES_AGENT_*`, `PG*`, `NOTIFY_SOCKET`, …).
    package var variables: [String: String]
    /// The effective OS user, for libpq's defaults and peer authentication.
    package var osUser: String
    /// The host name reported in every payload.
    package var hostname: String

    /// An environment from its three parts.
    package init(variables: [String: String], osUser: String, hostname: String) {
        self.variables = variables
        self.osUser = osUser
        self.hostname = hostname
    }

    /// Loads the configuration with these variables and the file reader of the real disk.
    ///
    /// - Throws: ``AgentConfigurationError`` naming the key, never a value.
    package func loadConfiguration(path: String?) throws -> AgentConfiguration {
        try AgentConfiguration.load(path: path, environment: variables,
                                    readFile: { try AgentConfiguration.readFileFromDisk($0) })
    }

    /// The listener's API key: `POSTGRES_AGENT_LISTENER_API_KEY` (fixed), else the key file, read anew at
    /// each call so that replacing the file after a 401 is enough; nil when there is none.
    package func apiKey(_ configuration: AgentConfiguration) -> Secret? {
        if let key = variables["POSTGRES_AGENT_LISTENER_API_KEY"], !key.isEmpty { return Secret(key) }
        guard let file = configuration.listener.apiKeyFile,
              let text = try? AgentConfiguration.readFileFromDisk(file) else { return configuration.listener.apiKey }
        let key = text.trimmingCharacters(in: .whitespacesAndNewlines)
        return key.isEmpty ? nil : Secret(key)
    }
}

/// The environment holds secrets (`POSTGRES_AGENT_*_PASSWORD`, the API key, `PGPASSWORD`): printing it,
/// as ServiceLifecycle's debug log prints every service, shows only who and where.
extension AgentEnvironment: CustomStringConvertible, CustomDebugStringConvertible {
    package var description: String { "AgentEnvironment(user: \(osUser), host: \(hostname), \(variables.count) variables)" }
    package var debugDescription: String { description }
}
