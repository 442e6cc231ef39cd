import AgentCore
import ArgumentParser
import Foundation
import Logging
import LogPipeline
import ServiceLifecycle
import UnixSignals

/// `postgres-agent logs tail PATH --output FILE --state-dir DIR`: follows a log source through rotations
/// and restarts, appending one JSON event per line to a file, exactly once (the checkpoint in the state
/// directory records how much of the output it covers). Stops on SIGTERM or SIGINT.
struct LogsTailCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tail",
        abstract: "Follow a log file, directory or glob; append JSON events to a file, exactly once."
    )

    @OptionGroup var formatOptions: LogFormatOptions

    @Option(help: "The file the events are appended to.")
    var output: String

    @Option(help: "Where the checkpoint is kept.")
    var stateDir: String

    @Flag(help: "Without a checkpoint, read the current file from its start (default: from its end).")
    var fromStart = false

    @Option(help: "Pause after catching up with the file, in milliseconds.")
    var pollIntervalMs = 250

    @Option(help: "Quiet time after which waiting stderr entries are complete, in milliseconds.")
    var quietPeriodMs = 1_000

    @Argument(help: "A log file, a directory of log files, or a glob.")
    var path: String

    func validate() throws {
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
        let sink: JSONLinesLogSink
        do {
            sink = try JSONLinesLogSink(outputPath: output, stateDirectory: stateDir)
        } catch {
            FileHandle.standardError.write(Data("postgres-agent: \(error)\n".utf8))
            throw ExitCode(73)
        }
        let follower = LogFollower(
            scanner: LogSourceScanner(path: path, format: options.format), options: options,
            classifier: try formatOptions.classifier(), sink: sink, clock: ContinuousClock(),
            pollInterval: .milliseconds(pollIntervalMs), logger: logger)
        let group = ServiceGroup(configuration: .init(
            services: [.init(service: follower, successTerminationBehavior: .gracefullyShutdownGroup)],
            gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }
}
