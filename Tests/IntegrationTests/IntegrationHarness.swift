import AgentSchema
import AgentConfiguration
@testable import Collectors
import Foundation
import Logging
import NIOCore
import NIOPosix
import PostgresNIO
import TestSupport
import Testing

/// Shared plumbing for the integration tests: clients for the harness's clusters, workload sessions.
enum Harness {
    /// The harness's clusters, or why they cannot be used. Loading never traps: a trap here would end the
    /// whole test process, unit tests included. ``HarnessTests`` fails with the reason instead, and the
    /// per-major tests then run over nothing.
    static let loaded: Result<TestClusters, TestClustersError> = Result { () throws(TestClustersError) in
        try TestClusters.load()
    }

    static var clusters: TestClusters { (try? loaded.get()) ?? .none }

    /// The clusters every collector test runs against: PG 14 through 18, pg_stat_statements preloaded.
    static let preloaded: [TestClusters.Cluster] = clusters.clusters.filter(\.preload).sorted { $0.major < $1.major }

    /// The cluster called `name`. Fails the test, naming what is missing, when there is none.
    static func cluster(named name: String) throws -> TestClusters.Cluster {
        let clusters = try loaded.get()
        guard let cluster = clusters.clusters.first(where: { $0.name == name }) else {
            throw TestClustersError("the harness started no cluster named \(name)")
        }
        return cluster
    }

    static let logger = Logger(label: "integration-tests", factory: { _ in SwiftLogNoOpLogHandler() })

    /// The agent's own connection path: a conninfo string resolved like libpq, then our client factory.
    static func agentSettings(_ cluster: TestClusters.Cluster, user: String? = nil, password: String? = nil,
                              database: String = "app", port: Int? = nil,
                              extra: String = "") throws -> ConnectionSettings {
        let conninfo = "host=127.0.0.1 port=\(port ?? cluster.port) user=\(user ?? clusters.monitorUser) "
            + "dbname=\(database) sslmode=disable connect_timeout=3 \(extra)"
        return try ConnectionSettings.resolve(
            conninfo: conninfo,
            environment: ["PGPASSWORD": password ?? clusters.monitorPassword, "HOME": "/nonexistent"],
            osUser: "nobody", readFile: { try String(contentsOfFile: $0, encoding: .utf8) })
    }

    static func collectorSettings(instance: String = "test", stateDirectory: String? = nil) throws -> CollectorSettings {
        var settings = CollectorSettings(correlation: try CorrelationExtractor())
        settings.instance = instance
        settings.stateDirectory = stateDirectory
        settings.collectorTimeout = .seconds(10)
        // Database visits are SchemaVisitTests' subject; elsewhere they would only add queries and time.
        settings.databases = .none
        return settings
    }

    /// The agent's connection to one server: the pool and the probe, as the executable wires them.
    struct AgentConnection: Sendable {
        let client: PostgresClient
        let probe: ConnectionProbe
    }

    /// Runs `body` with a running agent client for `connection`.
    static func withAgentClient<T: Sendable>(
        _ connection: ConnectionSettings, statementTimeoutMs: Int = 5000,
        _ body: @Sendable (AgentConnection) async throws -> T
    ) async throws -> T {
        var options = PostgresClientFactory.Options()
        options.statementTimeoutMs = statementTimeoutMs
        let client = PostgresClient(configuration: try PostgresClientFactory.configuration(connection, options: options),
                                    backgroundLogger: logger)
        let agent = AgentConnection(client: client, probe: try ConnectionProbe(connection, options: options))
        return try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask { await client.run(); return nil }
            defer { group.cancelAll() }
            return try await body(agent)
        }
    }

    /// A snapshot collector over a running client.
    static func snapshotCollector(_ agent: AgentConnection, settings: CollectorSettings) -> SnapshotCollector {
        SnapshotCollector(settings: settings, client: agent.client, probe: agent.probe, project: "test",
                          agentInfo: AgentInfo(version: "test", hostname: "localhost", instance: settings.instance),
                          logger: logger)
    }

    /// One snapshot, stored: its statement delta state goes in force, as the scheduler does after the
    /// spool took it.
    static func collect(_ collector: SnapshotCollector) async -> SnapshotPayload {
        let payload = await collector.collect(now: .now, wallClock: Date().timeIntervalSince1970)
        collector.commit(batchID: payload.batchID)
        return payload
    }

    /// A superuser (or other) session for driving a workload, with its own `application_name`.
    static func session(_ cluster: TestClusters.Cluster, database: String = "app", user: String? = nil,
                        password: String? = nil, applicationName: String = "integration-test") async throws -> PostgresConnection {
        var config = PostgresConnection.Configuration(
            host: "127.0.0.1", port: cluster.port, username: user ?? clusters.superuser, password: password,
            database: database, tls: .disable)
        config.options.additionalStartupParameters = [("application_name", applicationName)]
        return try await PostgresConnection.connect(configuration: config, id: Int.random(in: 1...1_000_000),
                                                    logger: logger)
    }

    /// Runs `sql` as superuser in `database` and drops the result.
    static func exec(_ cluster: TestClusters.Cluster, _ sql: String, database: String = "app") async throws {
        let connection = try await session(cluster, database: database)
        defer { Task { try? await connection.close() } }
        _ = try await connection.query(PostgresQuery(unsafeSQL: sql), logger: logger).collect()
        try await connection.close()
    }

    /// Polls `condition` until it holds (a condition, not a time: we do not sleep for time to pass).
    static func eventually(_ what: String, attempts: Int = 500,
                           _ condition: () async throws -> Bool) async throws {
        for _ in 0..<attempts {
            if (try? await condition()) == true { return }
            try await Task.sleep(for: .milliseconds(20))
        }
        Issue.record("condition never held: \(what)")
        throw CancellationError()
    }

    /// Restarts a cluster with a clean shutdown (pg_stat_statements keeps its counters across it).
    static func restart(_ cluster: TestClusters.Cluster) throws {
        let status = try TestClusters.runAsPostgres([
            "\(cluster.binDir)/pg_ctl", "-D", cluster.dataDir, "-w", "-m", "fast", "restart",
            "-l", "\(cluster.dataDir)/../restart.log"])
        #expect(status == 0, "pg_ctl restart of \(cluster.name)")
    }

    /// A unique name for objects a test creates.
    static func unique(_ prefix: String) -> String {
        "\(prefix)_\(UInt32.random(in: 0...UInt32.max))"
    }
}
