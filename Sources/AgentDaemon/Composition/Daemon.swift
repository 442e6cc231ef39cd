package import AgentConfiguration
import AgentSchema
package import Collectors
import LogPipeline
package import Delivery
import Foundation
package import Logging
package import ServiceLifecycle
import Synchronization
import UnixSignals

/// `postgres-agent run` as a value: the composed daemon, built from a configuration and an environment.
///
/// One ServiceGroup holds, per monitored server, a snapshot scheduler and a log source; one spool; the
/// transmitter; the metrics endpoint; the systemd notifier; and the SIGHUP reloader. Each part runs
/// under a ``Supervisor`` that restarts it after a failure or when a reload changes its settings.
///
/// Shutdown (SIGTERM/SIGINT, or the task cancelled): the reloader and schedulers stop, the log sources
/// commit their batch in hand, the transmitter sends for at most ``Options/shutdownDrain`` more.
package struct Daemon: Sendable {
    /// How the daemon runs, beyond its configuration.
    package struct Options: Sendable {
        /// The configuration file, read again at each reload; nil: defaults and the environment only.
        package var configPath: String?
        /// How long sending goes on at shutdown while the spool holds payloads.
        package var shutdownDrain: Duration = .seconds(5)
        /// Whether SIGHUP reloads and SIGTERM/SIGINT stop (off in tests, which call ``reload()``).
        package var handlesSignals = true
        /// The hard limit on a graceful shutdown.
        package var maximumGracefulShutdown: Duration = .seconds(20)
        /// The clock every part waits on (the schedulers' cadence, backoffs, the transmitter, the watchdog
        /// pings, the heartbeats). Tests run the daemon on a manual clock.
        package var clock: DaemonClock = .continuous
        /// How payloads reach the listener; nil: HTTPS (``HTTPPayloadTransport``). Tests script the answers.
        package var transport: (@Sendable (ListenerEndpoint) -> any PayloadTransport)?
        /// When the executable's unused pages are given back (``ExecutablePageOut``); nil: never.
        package var pageOut: ExecutablePageOut.Options? = ExecutablePageOut.Options()

        package init(configPath: String? = nil) {
            self.configPath = configPath
        }
    }

    package let configuration: AgentConfiguration
    package let environment: AgentEnvironment
    package let options: Options
    /// The spool every part writes to and the transmitter drains.
    package let spool: Spool
    /// The configuration in force; reloads publish here.
    package let hub: ConfigurationHub
    /// The self-metrics, and the snapshots' figures under postgres_exporter's names.
    package let metrics: MetricsRegistry
    /// Publishes each snapshot into ``metrics``.
    package let snapshotMetrics: SnapshotMetrics
    /// The live loops' progress, for the watchdog.
    package let heartbeats: Heartbeats
    /// The running transmitter.
    package let slot: TransmitterSlot
    /// Optional parts that are down (the metrics endpoint), for the systemd status.
    package let problems = PartProblems()
    /// `statvfs` with a time limit, for every reader of filesystems: one set of mounts known to hang.
    package let statvfs: StatvfsGuard
    /// The log level in force.
    package let levels: LogLevelControl
    let logger: Logger
    private let group = GroupHandle()

    /// Checks the configuration and opens the state directory and the spool.
    ///
    /// - Throws: ``DaemonStartError``: `configuration` when the configuration does not build or names no
    ///   listener; `stateDirectory` when the state directory or the spool cannot be used.
    package init(configuration: AgentConfiguration, environment: AgentEnvironment, options: Options,
                 levels: LogLevelControl, logger: Logger) throws(DaemonStartError) {
        do {
            try ConfigurationReloader.check(configuration, against: configuration, environment: environment)
        } catch {
            throw DaemonStartError(code: .configuration, message: "\(error)")
        }
        guard configuration.listener.isConfigured else {
            throw DaemonStartError(code: .configuration, message: "listener.url: is empty; set the listener's ingest URL")
        }
        let stateDirectory = configuration.agent.stateDirectory
        do {
            try FileManager.default.createDirectory(atPath: stateDirectory, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o750])
            let opened = try Spool.openSettingAsideDamaged(
                path: SpoolLocation.path(stateDirectory: stateDirectory),
                limits: .init(maxBytes: configuration.spool.maxSizeBytes, minFreeDiskBytes: configuration.spool.minFreeDiskBytes))
            spool = opened.spool
            if let aside = opened.setAside {
                logger.error("the spool was damaged: moved aside, kept for inspection; a fresh spool is used (its payloads are lost)",
                             metadata: ["moved_to": "\(aside)"])
            }
        } catch {
            throw DaemonStartError(code: .stateDirectory, message: "agent.state_dir \(stateDirectory): \(error)")
        }
        self.configuration = configuration
        self.environment = environment
        self.options = options
        self.levels = levels
        self.logger = logger
        hub = ConfigurationHub(configuration)
        metrics = AgentMetrics.registry(spool: spool)
        statvfs = StatvfsGuard(logger: logger)
        snapshotMetrics = SnapshotMetrics(registry: metrics, multipleServers: configuration.postgres.count > 1,
                                          statementTextLength: configuration.metrics.statementTextLength,
                                          statvfs: statvfs.statvfs)
        heartbeats = Heartbeats(clock: options.clock)
        slot = TransmitterSlot()
        AgentMetrics.mirror(slot, into: metrics)
    }

    /// Reads the configuration again and puts it in force if it is sound (what SIGHUP does).
    package func reload() {
        reloader.reload()
    }

    private var reloader: ConfigurationReloader {
        ConfigurationReloader(path: options.configPath, environment: environment, hub: hub, levels: levels,
                              logger: logger)
    }

    /// Runs every part until graceful shutdown.
    package func run() async throws {
        logger.info("postgres-agent started", metadata: [
            "version": "\(AgentVersion.description)", "servers": "\(configuration.postgres.map(\.name).joined(separator: ","))",
            "interval_s": "\(configuration.agent.intervalSeconds)", "state_dir": "\(configuration.agent.stateDirectory)",
        ])
        for finding in SecretFileAudit.findings(configuration, environment: environment.variables) {
            logger.warning("a secret file is open to other users", metadata: [
                "key": "\(finding.key)", "path": "\(finding.path)", "mode": "0\(String(finding.mode & 0o777, radix: 8))",
                "ignored": "\(finding.ignored)", "fix": "\(finding.fix)",
            ])
        }
        var group = ServiceGroupConfiguration(services: services(),
                                              gracefulShutdownSignals: options.handlesSignals ? [.sigterm, .sigint] : [],
                                              logger: logger)
        group.maximumGracefulShutdownDuration = options.maximumGracefulShutdown
        let serviceGroup = ServiceGroup(configuration: group)
        self.group.set(serviceGroup)
        defer { self.group.set(nil) }
        try await serviceGroup.run()
        let depth = (try? await spool.status().depth) ?? -1
        logger.info("postgres-agent stopped", metadata: ["spool_depth": "\(depth)"])
    }

    /// Starts the graceful shutdown of a running daemon, as SIGTERM does: the schedulers stop, the log
    /// sources commit their batch, the transmitter drains for at most ``Options/shutdownDrain``.
    package func shutDown() async {
        await group.current?.triggerGracefulShutdown()
    }

    /// The daemon's services, in start order (ServiceGroup stops them in reverse).
    package func services() -> [ServiceGroupConfiguration.ServiceConfiguration] {
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = []
        let logger = self.logger
        let (metrics, heartbeats, problems) = (self.metrics, self.heartbeats, self.problems)
        // Supervised: a taken port stops the endpoint alone, which is retried (1 s doubling to 60 s).
        problems.set(MetricsEndpoint.partName, nil)
        // Restarted by a reload that changes the address, the web configuration file, or a file it names
        // (a renewed certificate).
        services.append(.init(service: Supervisor(name: MetricsEndpoint.partName, hub: hub, key: {
            MetricsEndpointKey(address: $0.metrics.listenAddress,
                               webConfig: MetricsWebConfig.fingerprint(path: $0.metrics.webConfigFile))
        }, make: { configuration in
            configuration.metrics.listenAddress.map {
                MetricsEndpoint(address: $0, registry: metrics, heartbeats: heartbeats, problems: problems,
                                webConfigFile: configuration.metrics.webConfigFile, logger: logger)
            }
        }, clock: options.clock, logger: logger)))
        let slot = self.slot
        services.append(.init(service: SystemdWatchdog(
            notifier: SystemdNotifier(environment: environment.variables), heartbeats: heartbeats, spool: spool,
            transmitter: { slot.status }, problems: problems, instances: configuration.postgres.count, clock: options.clock,
            logger: logger)))
        services.append(.init(service: transmitterSupervisor()))
        if let pageOut = options.pageOut {
            services.append(.init(service: ExecutablePageOut(options: pageOut, clock: options.clock, logger: logger)))
        }
        for instance in configuration.postgres {
            services.append(contentsOf: instanceSupervisors(name: instance.name).map { .init(service: $0) })
        }
        if options.handlesSignals {
            services.append(.init(service: reloader))
        }
        return services
    }

    private func transmitterSupervisor() -> some Service {
        let (spool, environment, hub, slot, drain, logger) = (spool, environment, hub, slot, options.shutdownDrain, logger)
        let (clock, transport) = (options.clock, options.transport)
        return Supervisor(name: "transmitter", hub: hub, key: { $0.listener }, make: { configuration in
            let endpoint = ListenerEndpoint(url: configuration.listener.url, caFile: configuration.listener.caFile,
                                            timeout: configuration.listener.timeout)
            let transmitter = Transmitter(
                spool: spool, name: endpoint.url,
                transport: { transport?(endpoint) ?? HTTPPayloadTransport(endpoint: endpoint, logger: logger) },
                apiKey: { environment.apiKey(hub.current) }, clock: clock, policy: TransmitterPolicy(),
                shutdownDrain: drain, logger: logger)
            slot.set(transmitter)
            return transmitter
        }, clock: clock, logger: logger)
    }

    private func instanceSupervisors(name: String) -> [any Service] {
        let (spool, environment, hub, metrics, heartbeats, logger) = (spool, environment, hub, metrics, heartbeats, logger)
        let snapshotMetrics = self.snapshotMetrics, statvfs = self.statvfs
        let clock = options.clock
        let stateDirectory = configuration.agent.stateDirectory
        // What the snapshots see of sessions attributes log entries without an application name; it
        // outlives reloads of either part.
        let sessions = SessionDirectory()
        let logs = Supervisor(name: "log tailing of \(name)", hub: hub,
                              key: { DaemonPartSettings.logs(of: name, in: $0) }, make: { configuration in
            guard let instance = configuration.postgres.first(where: { $0.name == name }) else { return nil }
            let logs = configuration.logs(for: instance)
            guard logs.isEnabled else { return nil }
            let runtime = try InstanceRuntime(instance: instance, configuration: configuration,
                                              environment: environment, stateDirectory: nil)
            return LogSourceService(runtime: runtime, logs: logs, configuration: configuration, spool: spool, sessions: sessions,
                                    hostname: environment.hostname, metrics: metrics, heartbeats: heartbeats,
                                    clock: clock, logger: logger)
        }, clock: clock, logger: logger)
        let snapshots = Supervisor(name: "snapshots of \(name)", hub: hub,
                                   key: { DaemonPartSettings.snapshots(of: name, in: $0) }, make: { configuration in
            guard let instance = configuration.postgres.first(where: { $0.name == name }) else { return nil }
            let runtime = try InstanceRuntime(instance: instance, configuration: configuration,
                                              environment: environment, stateDirectory: stateDirectory)
            var scheduler = SnapshotScheduler(runtime: runtime, configuration: configuration, spool: spool, sessions: sessions,
                                              hostname: environment.hostname, metrics: metrics, heartbeats: heartbeats,
                                              clock: clock, logger: logger)
            // Published only where /metrics is served.
            scheduler.snapshotMetrics = configuration.metrics.listenAddress == nil ? nil : snapshotMetrics
            scheduler.statvfs = statvfs.statvfs
            return scheduler
        }, clock: clock, logger: logger)
        return [logs, snapshots]
    }
}

/// The service group of a running daemon, so that ``Daemon/shutDown()`` can reach it.
private final class GroupHandle: Sendable {
    private let group = Mutex<ServiceGroup?>(nil)

    func set(_ group: ServiceGroup?) { self.group.withLock { $0 = group } }
    var current: ServiceGroup? { group.withLock { $0 } }
}

/// Printed by ServiceLifecycle and in errors: never the configuration, which may hold secrets.
extension Daemon: CustomStringConvertible {
    package var description: String { "daemon of \(configuration.postgres.count) server(s)" }
}
