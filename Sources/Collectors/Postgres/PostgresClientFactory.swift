package import AgentConfiguration
import NIOSSL
package import PostgresNIO

/// Turns libpq-style ``ConnectionSettings`` into a `PostgresClient.Configuration` that cannot hurt the
/// server it watches: few connections, read-only sessions, statement and lock timeouts.
package enum PostgresClientFactory {
    /// Session and pool settings of the agent's connections.
    package struct Options: Sendable {
        /// `application_name` of our sessions. Default `bitville-monitor`.
        package var applicationName: String = "bitville-monitor"
        /// `statement_timeout` of our sessions, ms. Default `5000`.
        package var statementTimeoutMs: Int = 5000
        /// `lock_timeout` of our sessions, ms. Default `1000`.
        package var lockTimeoutMs: Int = 1000
        /// Pool size; at most 2 so the agent never competes with the application. Default `2`.
        package var maxConnections: Int = 2
        /// Used when the conninfo sets no `connect_timeout`. Default `5` seconds.
        package var connectTimeout: Duration = .seconds(5)

        package init() {}
    }

    /// The client configuration for `settings`.
    /// - Throws: ``CollectorError`` when libpq would refuse the TLS settings before connecting (see
    ///   ``PostgresTLSPlan``): a missing or unreadable root certificate file where one is needed, or
    ///   `sslrootcert=system` with a mode weaker than `verify-full`.
    package static func configuration(_ settings: ConnectionSettings, options: Options) throws -> PostgresClient.Configuration {
        var configuration: PostgresClient.Configuration
        let password = settings.password?.value
        switch settings.endpoint {
        case .unixSocket(let path):
            configuration = .init(unixSocketPath: path, username: settings.user, password: password,
                                  database: settings.database)
        case .tcp(let host, let port):
            configuration = .init(host: host, port: port, username: settings.user, password: password,
                                  database: settings.database, tls: try tls(settings))
        }
        configuration.options.maximumConnections = max(1, min(2, options.maxConnections))
        configuration.options.minimumConnections = 0
        configuration.options.connectTimeout = settings.connectTimeout ?? options.connectTimeout
        configuration.options.tlsServerName = PostgresTLSPlan.serverName(settings)
        configuration.options.additionalStartupParameters = startupParameters(settings, options: options)
        return configuration
    }

    /// The session parameters every agent connection sends at start-up.
    package static func startupParameters(_ settings: ConnectionSettings, options: Options) -> [(String, String)] {
        [
            ("application_name", settings.applicationName ?? options.applicationName),
            ("statement_timeout", "\(options.statementTimeoutMs)"),
            ("lock_timeout", "\(options.lockTimeoutMs)"),
            ("default_transaction_read_only", "on"),
        ]
    }

    static func tls(_ settings: ConnectionSettings) throws -> PostgresClient.Configuration.TLS {
        guard let (configuration, required) = try tlsConfiguration(settings) else { return .disable }
        return required ? .require(configuration) : .prefer(configuration)
    }

    /// libpq's sslmode semantics (``PostgresTLSPlan``): nil when the connection never uses TLS
    /// (`disable`, a Unix socket), else the TLS configuration and whether TLS is required (`prefer` is
    /// the one mode that falls back to clear text).
    /// - Throws: ``CollectorError`` as ``configuration(_:options:)``.
    package static func tlsConfiguration(_ settings: ConnectionSettings) throws -> (TLSConfiguration, Bool)? {
        let plan = try PostgresTLSPlan(settings)
        guard let configuration = try plan.tlsConfiguration() else { return nil }
        return (configuration, plan.use == .required)
    }
}
