import AgentConfiguration
import AgentSchema
import AgentDaemon
import ArgumentParser
import Collectors
import Delivery
import Foundation
import Logging
import LogPipeline
import PostgresNIO
import ServiceLifecycle
import UnixSignals

/// `postgres-agent logs tail PATH (--output FILE --state-dir DIR | --spool FILE)`: follows a log source
/// through rotations and restarts and hands every entry on exactly once: appended as a JSON line to a
/// file (the checkpoint in the state directory records how much of the output it covers), or as `logs`
/// payloads into a spool, each committed with its checkpoint in one transaction. Stops on SIGTERM or
/// SIGINT.
struct LogsTailCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tail",
        abstract: "Follow a log file, directory or glob; append JSON events to a file, exactly once."
    )

    @OptionGroup var formatOptions: LogFormatOptions

    @Option(help: "The file the events are appended to, one JSON object per line.")
    var output: String?

    @Option(help: "Where the checkpoint of --output is kept.")
    var stateDir: String?

    @Option(help: "Instead of --output: the spool (SQLite) the events go into as logs payloads.")
    var spool: String?

    @Flag(help: "Without a checkpoint, read the current file from its start (default: from its end).")
    var fromStart = false

    @Option(help: "Pause after catching up with the file, in milliseconds.")
    var pollIntervalMs = 250

    @Option(help: "Quiet time after which waiting stderr entries are complete, in milliseconds.")
    var quietPeriodMs = 1_000

    @Option(help: ArgumentHelp(
        "Ask this server (libpq conninfo or URI, no password) for its log_line_prefix and, without PATH, its log directory.",
        discussion: "Without --dsn, the configured server of --config or the PG* variables are asked when PATH is missing."))
    var dsn: String?

    @Option(help: "Configuration file (INI), for the server to ask.")
    var config: String?

    @Argument(help: "A log file, a directory of log files, or a glob. Default: the server's log directory.")
    var path: String?

    func validate() throws {
        guard (output != nil && stateDir != nil && spool == nil) || (output == nil && stateDir == nil && spool != nil) else {
            throw ValidationError("give either --output and --state-dir, or --spool")
        }
        guard pollIntervalMs > 0, quietPeriodMs > 0 else {
            throw ValidationError("--poll-interval-ms and --quiet-period-ms must be positive")
        }
    }

    func run() async throws {
        var options = LogTailer.Options()
        options.format = try formatOptions.logFormat()
        options.prefix = try formatOptions.compiledPrefix()
        options.timeZone = try formatOptions.timeZoneRules()
        options.startAtEnd = !fromStart
        options.quietPeriod = .milliseconds(quietPeriodMs)
        options.hostTimeZone = TimeZoneDatabase().local()
        let logger = AgentEnvironment.bootstrapLogging(level: .info)
        var path = self.path
        var dataDirectory: String?
        if path == nil || (options.prefix == nil && (dsn != nil || config != nil)) {
            // prefix = auto: the server knows its prefix and where it writes.
            let server = try await askServer(logger: logger)
            if options.prefix == nil, options.format.hasPrefix {
                do { options.prefix = try LogLinePrefix(server.logLinePrefix) } catch {
                    throw ValidationError("the server's log_line_prefix does not compile: \(error)")
                }
            }
            dataDirectory = server.dataDirectory
            options.syslogIdent = server.syslogIdent
            if options.timeZone == nil, let zone = server.logTimezone {
                do { options.timeZone = try TimeZoneDatabase().rules(named: zone) } catch {
                    logger.warning("the server's log_timezone is not in the tz database: local times without an offset are left out",
                                   metadata: ["log_timezone": "\(zone)", "error": "\(error)"])
                }
            }
            if path == nil {
                switch LogLocator().locate(server.locatorFacts) {
                case let .success(location):
                    logger.info("found the server log", metadata: ["path": "\(location.path)", "rule": "\(location.rule)"])
                    path = location.path
                case let .failure(failure):
                    throw ValidationError("\(failure.reason): give PATH, or \(failure.fix)")
                }
            }
            logger.info("asked the server", metadata: ["log_line_prefix": "\(server.logLinePrefix)",
                                                       "path": "\(path ?? "-")"])
        }
        guard let path else { throw ValidationError("give PATH, --dsn or --config") }
        let scanner = LogSourceScanner(path: path, format: options.format, dataDirectory: dataDirectory)
        let classifier = try formatOptions.classifier()
        let sessions = SessionDirectory()
        let follower: any Service
        do {
            if let spool {
                let environment = AgentEnvironment.current()
                let store = try Spool(path: spool, limits: .init(maxBytes: 100 << 20))
                let agent = AgentInfo(version: AgentVersion.current, hostname: environment.hostname, instance: "default")
                let sink = SpoolLogSink(spool: store, source: "default:\(path)", project: "logs-tail", agent: agent)
                follower = LogFollower(scanner: scanner, options: options, classifier: classifier, sessions: sessions, sink: sink,
                                       clock: ContinuousClock(), pollInterval: .milliseconds(pollIntervalMs), logger: logger)
            } else {
                let sink = try JSONLinesLogSink(outputPath: output!, stateDirectory: stateDir!)
                follower = LogFollower(scanner: scanner, options: options, classifier: classifier, sessions: sessions, sink: sink,
                                       clock: ContinuousClock(), pollInterval: .milliseconds(pollIntervalMs), logger: logger)
            }
        } catch {
            FileHandle.standardError.write(Data("postgres-agent: \(error)\n".utf8))
            throw ExitCode(73)
        }
        let group = ServiceGroup(configuration: .init(
            services: [.init(service: follower, successTerminationBehavior: .gracefullyShutdownGroup)],
            gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }

    /// The log settings of the configured (or `--dsn`) server.
    private func askServer(logger: Logger) async throws -> ServerLogSettings {
        let environment = AgentEnvironment.current()
        var configuration = try environment.loadConfigurationOrExit(path: config)
        if let dsn { try DSNOverride.apply(dsn, to: &configuration) }
        guard let instance = configuration.postgres.first else { throw ValidationError("no server configured") }
        let runtime: InstanceRuntime
        do {
            runtime = try InstanceRuntime(instance: instance, configuration: configuration, environment: environment,
                                          stateDirectory: nil)
        } catch {
            FileHandle.standardError.write(Data("postgres-agent: bad configuration: \(error)\n".utf8))
            throw ExitStatus.configuration
        }
        do {
            return try await runtime.fetchLogSettings(logger: logger)
        } catch {
            FileHandle.standardError.write(Data(
                "postgres-agent: cannot ask the server for its log settings: \(CollectorError.from(error))\n".utf8))
            throw ExitCode(69)
        }
    }
}
