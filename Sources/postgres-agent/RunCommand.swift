import AgentConfiguration
import AgentDaemon
import ArgumentParser
import Logging

/// `postgres-agent run --config FILE`: the daemon (docs/architecture.md). The composition lives in
/// ``Daemon``; this command reads the environment, bootstraps the JSON log handler and maps start-up
/// failures to exit codes (78 configuration, 73 state directory, 1 a failure while running).
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the agent: collect, tail the logs, spool and send, until SIGTERM (SIGHUP reloads)."
    )

    @Option(help: "Configuration file (INI). Without it: defaults and POSTGRES_AGENT_* variables.")
    var config: String?

    @Option(help: "How long sending goes on at shutdown while the spool holds payloads, seconds.")
    var shutdownDrainSeconds = 5

    @Option(help: "When the executable's unused pages are first given back to the system (then every 10 minutes), seconds after start; 0: never.")
    var pageOutAfterSeconds = 60

    func run() async throws {
        let environment = AgentEnvironment.current()
        let configuration = try environment.loadConfigurationOrExit(path: config)
        let levels = LogLevelControl(Logger.Level(rawValue: configuration.agent.logLevel.rawValue) ?? .info)
        LoggingSystem.bootstrap { label in JSONLogHandler(label: label, control: levels) }
        let logger = Logger(label: "postgres-agent")

        var options = Daemon.Options(configPath: config)
        options.shutdownDrain = .seconds(shutdownDrainSeconds)
        if pageOutAfterSeconds > 0 {
            options.pageOut?.warmUp = .seconds(pageOutAfterSeconds)
        } else {
            options.pageOut = nil
        }
        let daemon: Daemon
        do {
            daemon = try Daemon(configuration: configuration, environment: environment, options: options,
                                levels: levels, logger: logger)
        } catch {
            switch error.code {
            case .configuration:
                logger.critical("bad configuration", metadata: ["error": "\(error.message)"])
                throw ExitStatus.configuration
            case .stateDirectory:
                logger.critical("the state directory or the spool cannot be used", metadata: ["error": "\(error.message)"])
                throw ExitCode(73)
            }
        }
        do {
            try await daemon.run()
        } catch {
            logger.critical("the agent stopped on an error", metadata: ["error": "\(error)"])
            throw ExitCode(1)
        }
    }
}
