import AgentCore
import ArgumentParser
import Delivery
import Foundation
import Logging
import LogPipeline
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

    @Argument(help: "A log file, a directory of log files, or a glob.")
    var path: String

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
        options.startAtEnd = !fromStart
        options.quietPeriod = .milliseconds(quietPeriodMs)
        let logger = AgentEnvironment.bootstrapLogging(level: .info)
        let scanner = LogSourceScanner(path: path, format: options.format)
        let classifier = try formatOptions.classifier()
        let follower: any Service
        do {
            if let spool {
                let environment = AgentEnvironment.current()
                let store = try Spool(path: spool, limits: .init(maxBytes: 100 << 20))
                let agent = AgentInfo(version: AgentVersion.current, hostname: environment.hostname, instance: "default")
                let sink = SpoolLogSink(spool: store, source: "default:\(path)", project: "logs-tail", agent: agent)
                follower = LogFollower(scanner: scanner, options: options, classifier: classifier, sink: sink,
                                       clock: ContinuousClock(), pollInterval: .milliseconds(pollIntervalMs), logger: logger)
            } else {
                let sink = try JSONLinesLogSink(outputPath: output!, stateDirectory: stateDir!)
                follower = LogFollower(scanner: scanner, options: options, classifier: classifier, sink: sink,
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
}
