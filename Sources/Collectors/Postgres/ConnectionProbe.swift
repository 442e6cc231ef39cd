package import Logging
import NIOCore
import NIOSSL
package import PostgresNIO
package import AgentConfiguration

/// Opens one plain connection to find out *why* the server cannot be used.
///
/// `PostgresClient`'s pool retries failed connection attempts quietly and only fails waiting requests
/// when its own circuit breaker trips, with an error that no longer says whether the password was wrong,
/// the port closed or TLS refused. Before trusting the pool (first cycle, or after a failed one) we try
/// one connection ourselves: on failure its error is the precise one we report, and we skip the server's
/// collectors for that cycle instead of waiting out their deadlines.
package struct ConnectionProbe: Sendable {
    private let configuration: PostgresConnection.Configuration

    package init(_ settings: ConnectionSettings, options: PostgresClientFactory.Options) throws {
        let clientTLS = try PostgresClientFactory.tlsConfiguration(settings)
        var configuration: PostgresConnection.Configuration
        switch settings.endpoint {
        case .unixSocket(let path):
            configuration = .init(unixSocketPath: path, username: settings.user, password: settings.password?.value,
                                  database: settings.database)
        case .tcp(let host, let port):
            let tls: PostgresConnection.Configuration.TLS
            do {
                switch clientTLS {
                case .none: tls = .disable
                case .some(let (config, required)):
                    let context = try NIOSSLContext(configuration: config)
                    tls = required ? .require(context) : .prefer(context)
                }
            } catch {
                throw CollectorError(code: .io, message: "cannot set up TLS for the connection")
            }
            configuration = .init(host: host, port: port, username: settings.user,
                                  password: settings.password?.value, database: settings.database, tls: tls)
        }
        let timeout = settings.connectTimeout ?? options.connectTimeout
        configuration.options.connectTimeout = .nanoseconds(Int64(timeout.components.seconds) * 1_000_000_000
            + timeout.components.attoseconds / 1_000_000_000)
        configuration.options.tlsServerName = PostgresTLSPlan.serverName(settings)
        configuration.options.additionalStartupParameters = PostgresClientFactory.startupParameters(settings, options: options)
        self.configuration = configuration
    }

    /// Opens a connection with the same settings to `database` (nil: the configured one); the caller
    /// closes it.
    package func connect(database: String?, id: Int, logger: Logger) async throws -> PostgresConnection {
        var configuration = self.configuration
        if let database { configuration.database = database }
        return try await Self.connectShielded(configuration, id: id, logger: logger)
    }

    /// The database the settings name (nil: the server's default, the user name).
    package var database: String? { configuration.database }

    /// Connects and disconnects. Throws the connection's own error.
    package func run(logger: Logger) async throws {
        let connection = try await Self.connectShielded(configuration, id: 0, logger: logger)
        try await connection.close()
    }

    /// Connects without passing the caller's cancellation on to PostgresNIO, and closes the connection
    /// if the caller was cancelled meanwhile.
    ///
    /// PostgresNIO 1.33 closes the channel when a connect is cancelled after the TCP connection, yet a
    /// handshake that ends at the same moment still hands the connection back; the first query written
    /// to its closed channel then never completes. A reload that restarted the snapshot part while a
    /// database visit was connecting left that part, and the daemon's shutdown after it, waiting for
    /// good. The connect is bounded by its own connect timeout, so it is let finish.
    static func connectShielded(_ configuration: PostgresConnection.Configuration, id: Int,
                                logger: Logger) async throws -> PostgresConnection {
        let connecting = Task { try await PostgresConnection.connect(configuration: configuration, id: id, logger: logger) }
        let connection = try await connecting.value
        if Task.isCancelled {
            try? await connection.close()
            throw CancellationError()
        }
        return connection
    }
}
