import AgentConfiguration
import AgentDaemon
import ArgumentParser
import Delivery
import Foundation
import Logging
import ServiceLifecycle
import UnixSignals

/// `postgres-agent spool send [--config FILE] [--until-empty]`: sends what the spool holds to the
/// configured listener, with the daemon's transmitter (backoff, circuit breaker, dead letters). Stops on
/// SIGTERM/SIGINT, or, with `--until-empty`, once the spool is empty. For draining a spool by hand (the
/// daemon, `run`, sends continuously).
struct SpoolSendCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "send",
        abstract: "Send the spooled payloads to the configured listener (oldest first, nothing lost)."
    )

    @Option(help: "The configuration file ([agent] state_dir, [listener] url, api_key_file, ca_file).")
    var config: String?

    @Flag(help: "Exit once the spool is empty (exit 75 if the listener refuses the key or the URL answers 404, 405, …).")
    var untilEmpty = false

    func run() async throws {
        let environment = AgentEnvironment.current()
        let configuration = try environment.loadConfigurationOrExit(path: config)
        let logger = AgentEnvironment.bootstrapLogging(level: configuration.agent.logLevel)
        let listener = configuration.listener
        guard listener.isConfigured else {
            throw ValidationError("no listener: set [listener] url (or POSTGRES_AGENT_LISTENER_URL)")
        }
        let spool: Spool
        do {
            spool = try Spool(path: SpoolLocation.path(stateDirectory: configuration.agent.stateDirectory),
                              limits: .init(maxBytes: configuration.spool.maxSizeBytes,
                                            minFreeDiskBytes: configuration.spool.minFreeDiskBytes))
        } catch {
            FileHandle.standardError.write(Data("postgres-agent: \(error)\n".utf8))
            throw ExitCode(74)
        }
        // The key is read anew before each try, so replacing the key file after a 401 is enough.
        let transmitter = Transmitter(
            spool: spool, endpoint: .init(url: listener.url, caFile: listener.caFile, timeout: listener.timeout),
            apiKey: { environment.apiKey(configuration) }, clock: ContinuousClock(), logger: logger)
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [.init(service: transmitter)]
        if untilEmpty {
            services.append(.init(service: EmptySpoolWatch(spool: spool, transmitter: transmitter),
                                  successTerminationBehavior: .gracefullyShutdownGroup))
        }
        let group = ServiceGroup(configuration: .init(services: services, gracefulShutdownSignals: [.sigterm, .sigint],
                                                      logger: logger))
        try await group.run()
        let status = transmitter.status
        FileHandle.standardError.write(Data(
            "postgres-agent: sent \(status.sent), retried \(status.retries), dead-lettered \(status.deadLettered)\n".utf8))
        if untilEmpty, status.authenticationRejected || status.misdirectedStatus != nil { throw ExitCode(75) }
    }
}

/// Ends `spool send --until-empty`: returns once the spool is empty, the listener refuses the key, or
/// the URL answers "wrong place".
private struct EmptySpoolWatch: Service {
    let spool: Spool
    let transmitter: Transmitter<ContinuousClock>

    func run() async throws {
        while !Task.isShuttingDownGracefully {
            let sender = transmitter.status
            if try await spool.status().depth == 0 || sender.authenticationRejected || sender.misdirectedStatus != nil { return }
            try await Task.sleep(for: .milliseconds(100))
        }
    }
}
