import AgentSchema
package import AgentConfiguration
package import Collectors
import Foundation
package import Logging
package import PostgresNIO

/// Wires one monitored server: its connection settings, its client and its snapshot collector.
package struct InstanceRuntime {
    package let instance: AgentConfiguration.PostgresInstance
    package let connection: ConnectionSettings
    /// What the collectors need; `collect --once` changes the schema interval.
    package var settings: CollectorSettings
    package let options: PostgresClientFactory.Options

    /// - Throws: ``AgentConfigurationError`` for bad connection settings or a bad correlation pattern.
    package init(instance: AgentConfiguration.PostgresInstance, configuration: AgentConfiguration,
         environment: AgentEnvironment, stateDirectory: String?) throws {
        self.instance = instance
        connection = try instance.connectionSettings(environment: environment.variables, osUser: environment.osUser,
                                                     readFile: { try AgentConfiguration.readFileFromDisk($0) })
        let correlation: CorrelationExtractor
        do {
            correlation = try CorrelationExtractor(pattern: configuration.correlation.pattern)
        } catch {
            throw AgentConfigurationError(code: .invalidValue, key: "correlation.pattern", line: nil, file: nil,
                                          message: "must be a regular expression with one capture group")
        }
        var settings = CollectorSettings(correlation: correlation)
        settings.instance = instance.name
        settings.topStatements = configuration.collectors.topStatements
        settings.queryTextMaxBytes = configuration.collectors.queryTextMaxBytes
        settings.redactQueryLiterals = configuration.privacy.redactQueryLiterals
        settings.collectorTimeout = configuration.collectors.timeout
        settings.databaseSizeIntervalSeconds = Double(configuration.collectors.databaseSizeIntervalSeconds)
        settings.applicationName = connection.applicationName ?? instance.applicationName
        settings.stateDirectory = stateDirectory
        settings.dataDirectory = instance.dataDirectory
        settings.databases = instance.databases
        settings.excludeDatabases = instance.excludeDatabases
        settings.schemaIntervalSeconds = Double(instance.schemaIntervalSeconds)
        settings.topTables = configuration.collectors.topTables
        settings.topIndexes = configuration.collectors.topIndexes
        settings.schemaTimeout = .milliseconds(configuration.collectors.schemaTimeoutMilliseconds)
        settings.connectionBudget = instance.maxConnections
        settings.readsMetricsOnlyParts = configuration.metrics.listenAddress != nil
        settings.metricsTopStatements = configuration.metrics.listenAddress != nil ? configuration.metrics.topStatements : 0
        self.settings = settings

        var options = PostgresClientFactory.Options()
        options.applicationName = instance.applicationName
        options.statementTimeoutMs = instance.statementTimeoutMilliseconds
        options.lockTimeoutMs = instance.lockTimeoutMilliseconds
        // Visits to other databases take one connection of the budget; the pool keeps the rest.
        options.maxConnections = instance.databases == .none ? instance.maxConnections : max(1, instance.maxConnections - 1)
        options.connectTimeout = instance.connectTimeout
        self.options = options
    }

    /// The server as postgres_exporter's `server` label names it: `host:port`, or the socket directory and
    /// port.
    package var serverLabel: String {
        switch connection.endpoint {
        case .tcp(let host, let port): return "\(host):\(port)"
        case .unixSocket(let path): return path
        }
    }

    /// The plain-connection probe that explains connection failures precisely.
    package func makeProbe() throws -> ConnectionProbe {
        try ConnectionProbe(connection, options: options)
    }

    /// A client for this server; run it (`run()`) while collecting.
    package func makeClient(logger: Logger) throws -> PostgresClient {
        PostgresClient(configuration: try PostgresClientFactory.configuration(connection, options: options),
                       backgroundLogger: logger)
    }

    /// The snapshot collector of this server on `client`, its payloads sent as from `hostname`; `statvfs`
    /// measures the data directory's filesystem (the daemon's ``StatvfsGuard``).
    package func makeCollector(client: PostgresClient, project: String, hostname: String,
                               statvfs: @escaping @Sendable (String) -> ProcFileSystem.VolumeStatistics? = ProcFileSystem.systemStatvfs,
                               logger: Logger) throws -> SnapshotCollector {
        let agent = AgentInfo(version: AgentVersion.current, hostname: hostname, instance: instance.name)
        return SnapshotCollector(settings: settings, client: client, probe: try makeProbe(), project: project,
                                 agentInfo: agent, statvfs: statvfs, logger: logger)
    }

    /// Runs `body` with a client for this server, running while `body` does.
    ///
    /// `body` starts once the task that runs the client has begun: a query sent before `run()` was called
    /// waits for it all the same, but PostgresNIO logs a warning for it, which operators saw at every start.
    ///
    /// The client runs in a detached task, which neither the caller's cancellation nor ServiceLifecycle's
    /// graceful shutdown reaches (`PostgresClient.run()` stops its pool at graceful shutdown): it is
    /// stopped once `body` has returned. Stopped while `body` still queried, the pool closed the
    /// connection a query was being written to or waited for, and PostgresNIO 1.33 never completes such
    /// a query: a SIGTERM or a reload in the middle of a cycle left the snapshot part waiting for good,
    /// and the daemon outlived its stop timeout.
    package func withClient<T>(logger: Logger, _ body: (PostgresClient) async throws -> T) async throws -> T {
        let client = try makeClient(logger: logger)
        let (started, starting) = AsyncStream<Void>.makeStream()
        let running = Task.detached {
            starting.finish()
            await client.run()
        }
        for await _ in started {}
        let result: Result<T, any Error>
        do { result = .success(try await body(client)) } catch { result = .failure(error) }
        running.cancel()
        await running.value
        return try result.get()
    }

    /// Asks the server for its log settings (`log_line_prefix`, directory, current file). The probe goes
    /// first: one plain connection fails at once with the real reason (refused, password, TLS), where the
    /// pool would retry quietly.
    package func fetchLogSettings(logger: Logger) async throws -> ServerLogSettings {
        try await makeProbe().run(logger: logger)
        return try await withClient(logger: logger) { client in
            try await ServerLogSettings.fetch(client: client, logger: logger)
        }
    }
}
