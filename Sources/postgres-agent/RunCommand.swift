import AgentCore
import ArgumentParser
import Collectors
import Delivery
import Foundation
import Logging
import ServiceLifecycle
import UnixSignals

/// `postgres-agent run --config FILE`: the daemon (DESIGN.md). One ServiceGroup holds, per monitored
/// server, a snapshot scheduler and a log follower; one spool; the transmitter; the metrics endpoint;
/// the systemd notifier; and the SIGHUP reloader. Logs are JSON lines on stderr (journald passes them
/// on to Graylog as they are).
///
/// SIGTERM/SIGINT: the reloader and schedulers stop, the log followers commit their batch in hand, the
/// transmitter sends for at most 5 more seconds, and the process exits 0.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the agent: collect, tail the logs, spool and send, until SIGTERM (SIGHUP reloads)."
    )

    @Option(help: "Configuration file (INI). Without it: defaults and POSTGRES_AGENT_* variables.")
    var config: String?

    @Option(help: "How long sending goes on at shutdown while the spool holds payloads, seconds.")
    var shutdownDrainSeconds = 5

    func run() async throws {
        let environment = AgentEnvironment.current()
        let configuration = try environment.loadConfiguration(path: config)
        let levels = LogLevelControl(Logger.Level(rawValue: configuration.agent.logLevel.rawValue) ?? .info)
        LoggingSystem.bootstrap { label in JSONLogHandler(label: label, control: levels) }
        let logger = Logger(label: "postgres-agent")

        do {
            try ConfigurationReloader.check(configuration, against: configuration, environment: environment)
        } catch {
            logger.critical("bad configuration", metadata: ["error": "\(error)"])
            throw ExitStatus.configuration
        }
        guard configuration.listener.isConfigured else {
            logger.critical("bad configuration", metadata: ["error": "listener.url: is empty; set the listener's ingest URL"])
            throw ExitStatus.configuration
        }
        let stateDirectory = configuration.agent.stateDirectory
        let spool: Spool
        do {
            try FileManager.default.createDirectory(atPath: stateDirectory, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o750])
            spool = try Spool(path: SpoolLocation.path(stateDirectory: stateDirectory),
                              limits: .init(maxBytes: configuration.spool.maxSizeBytes,
                                            minFreeDiskBytes: configuration.spool.minFreeDiskBytes))
        } catch {
            logger.critical("the state directory or the spool cannot be used", metadata: [
                "state_dir": "\(stateDirectory)", "error": "\(error)",
            ])
            throw ExitCode(73)
        }

        let hub = ConfigurationHub(configuration)
        let metrics = AgentMetrics.registry(spool: spool)
        let heartbeats = Heartbeats()
        let slot = TransmitterSlot()
        AgentMetrics.mirror(slot, into: metrics)
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = []
        if let address = configuration.metrics.listenAddress {
            services.append(.init(service: MetricsEndpoint(address: address, registry: metrics, heartbeats: heartbeats,
                                                           logger: logger)))
        }
        services.append(.init(service: SystemdWatchdog(
            notifier: SystemdNotifier(environment: environment.variables), heartbeats: heartbeats, spool: spool,
            transmitter: { slot.status }, instances: configuration.postgres.count, logger: logger)))
        let drain = Duration.seconds(shutdownDrainSeconds)
        services.append(.init(service: Supervisor(
            name: "transmitter", hub: hub, key: { $0.listener },
            make: { configuration in
                let transmitter = Transmitter(
                    spool: spool,
                    endpoint: .init(url: configuration.listener.url, caFile: configuration.listener.caFile,
                                    timeout: configuration.listener.timeout),
                    apiKey: { environment.apiKey(hub.current) }, clock: ContinuousClock(),
                    shutdownDrain: drain, logger: logger)
                slot.set(transmitter)
                return transmitter
            }, logger: logger)))
        for instance in configuration.postgres {
            let name = instance.name
            services.append(.init(service: Supervisor(
                name: "log tailing of \(name)", hub: hub,
                key: { configuration in Self.logKey(configuration, instance: name) },
                make: { configuration in
                    guard let instance = configuration.postgres.first(where: { $0.name == name }) else { return nil }
                    let logs = configuration.logs(for: instance)
                    guard logs.isEnabled else { return nil }
                    let runtime = try InstanceRuntime(instance: instance, configuration: configuration,
                                                      environment: environment, stateDirectory: nil)
                    return LogSourceService(runtime: runtime, logs: logs, configuration: configuration, spool: spool,
                                            hostname: environment.hostname, metrics: metrics, heartbeats: heartbeats,
                                            logger: logger)
                }, logger: logger)))
            services.append(.init(service: Supervisor(
                name: "snapshots of \(name)", hub: hub,
                key: { configuration in Self.snapshotKey(configuration, instance: name) },
                make: { configuration in
                    guard let instance = configuration.postgres.first(where: { $0.name == name }) else { return nil }
                    let runtime = try InstanceRuntime(instance: instance, configuration: configuration,
                                                      environment: environment, stateDirectory: stateDirectory)
                    return SnapshotScheduler(runtime: runtime, configuration: configuration, spool: spool,
                                             hostname: environment.hostname, metrics: metrics, heartbeats: heartbeats,
                                             logger: logger)
                }, logger: logger)))
        }
        services.append(.init(service: ConfigurationReloader(path: config, environment: environment, hub: hub,
                                                             levels: levels, logger: logger)))
        logger.info("postgres-agent started", metadata: [
            "version": "\(AgentVersion.current)", "servers": "\(configuration.postgres.map(\.name).joined(separator: ","))",
            "interval_s": "\(configuration.agent.intervalSeconds)", "state_dir": "\(stateDirectory)",
        ])
        var groupConfiguration = ServiceGroupConfiguration(services: services, gracefulShutdownSignals: [.sigterm, .sigint],
                                                           logger: logger)
        groupConfiguration.maximumGracefulShutdownDuration = .seconds(20)
        do {
            try await ServiceGroup(configuration: groupConfiguration).run()
        } catch {
            logger.critical("the agent stopped on an error", metadata: ["error": "\(error)"])
            throw ExitCode(1)
        }
        logger.info("postgres-agent stopped", metadata: ["spool_depth": "\((try? spool.status().depth) ?? -1)"])
    }

    /// What one server's log follower is built from: a reload that changes any of it restarts it.
    struct LogPartSettings: Equatable, Sendable {
        var server: AgentConfiguration.PostgresInstance?
        var logs: AgentConfiguration.Logs?
        var privacy: AgentConfiguration.Privacy
        var correlation: AgentConfiguration.Correlation
        var project: String
    }

    /// What one server's snapshot scheduler is built from.
    struct SnapshotPartSettings: Equatable, Sendable {
        var server: AgentConfiguration.PostgresInstance?
        var intervalSeconds: Int
        var project: String
        var collectors: AgentConfiguration.Collectors
        var privacy: AgentConfiguration.Privacy
        var correlation: AgentConfiguration.Correlation
    }

    static func logKey(_ configuration: AgentConfiguration, instance: String) -> LogPartSettings {
        let server = configuration.postgres.first { $0.name == instance }
        return LogPartSettings(server: server, logs: server.map { configuration.logs(for: $0) },
                               privacy: configuration.privacy, correlation: configuration.correlation,
                               project: configuration.agent.project)
    }

    static func snapshotKey(_ configuration: AgentConfiguration, instance: String) -> SnapshotPartSettings {
        SnapshotPartSettings(server: configuration.postgres.first { $0.name == instance },
                             intervalSeconds: configuration.agent.intervalSeconds, project: configuration.agent.project,
                             collectors: configuration.collectors, privacy: configuration.privacy,
                             correlation: configuration.correlation)
    }
}
