import AgentSchema
import AgentConfiguration
import AgentDaemon
import ArgumentParser
import Collectors
import Foundation
import Logging
import PostgresNIO

/// `postgres-agent collect --once`: one snapshot per configured server as JSON on stdout. Sends nothing.
struct CollectCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "collect",
        abstract: "Collect one snapshot and print it as JSON on stdout (a dry run: nothing is sent).",
        discussion: """
            Deltas need two samples, and the snapshot printed is always complete: when a collector had no \
            usable baseline in the first sample (no saved state, another server's, a reset, the host's \
            rates), the agent samples again [collectors] baseline_window_ms later and prints that.
            """)

    @Flag(help: "Collect one snapshot and exit.")
    var once = false

    @Option(help: "Configuration file (INI). Without it: defaults, POSTGRES_AGENT_* and PG* variables.")
    var config: String?

    @Option(help: ArgumentHelp(
        "Connection string for one server (libpq conninfo or postgresql:// URI); replaces the configured servers.",
        discussion: "Never put a password here: use PGPASSWORD, ~/.pgpass or password_file."))
    var dsn: String?

    @Option(help: "Only this instance ([postgres:NAME]).")
    var instance: String?

    @Flag(help: "Indent the JSON.")
    var pretty = false

    func validate() throws {
        guard once else {
            throw ValidationError("collect needs --once (the long-running agent is `postgres-agent run`)")
        }
    }

    func run() async throws {
        let environment = AgentEnvironment.current()
        var configuration = try environment.loadConfigurationOrExit(path: config)
        let logger = AgentEnvironment.bootstrapLogging(level: configuration.agent.logLevel)

        if let dsn { try DSNOverride.apply(dsn, to: &configuration) }
        var instances = configuration.postgres
        if let instance {
            instances = instances.filter { $0.name == instance }
            guard !instances.isEmpty else {
                throw ValidationError("no [postgres:\(instance)] in the configuration")
            }
        }

        let stateDirectory = Self.usableStateDirectory(configuration.agent.stateDirectory, logger: logger)
        var runtimes: [InstanceRuntime] = []
        do {
            for instance in instances {
                var runtime = try InstanceRuntime(instance: instance, configuration: configuration,
                                                  environment: environment, stateDirectory: stateDirectory)
                // Both samples visit every database: the printed one must carry each one's tables.
                runtime.settings.schemaIntervalSeconds = 0
                // Its own visit state: a daemon on the same host keeps staging and committing its own.
                runtime.settings.schemaStateFileOverride = "schema-\(instance.name)-once.sqlite"
                runtimes.append(runtime)
            }
        } catch {
            FileHandle.standardError.write(Data("postgres-agent: bad configuration: \(error)\n".utf8))
            throw ExitStatus.configuration
        }

        let encoder = JSONEncoder()
        encoder.outputFormatting = pretty ? [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
                                          : [.sortedKeys, .withoutEscapingSlashes]
        for runtime in runtimes {
            let payload = try await Self.collectOnce(runtime, configuration: configuration,
                                                     hostname: environment.hostname, logger: logger)
            var data = try encoder.encode(payload)
            data.append(UInt8(ascii: "\n"))
            FileHandle.standardOutput.write(data)
        }
    }

    static func collectOnce(_ runtime: InstanceRuntime, configuration: AgentConfiguration, hostname: String,
                            logger: Logger) async throws -> SnapshotPayload {
        let window = configuration.collectors.baselineWindow
        return try await runtime.withClient(logger: logger) { client in
            let collector = try runtime.makeCollector(client: client, project: configuration.agent.project,
                                                      hostname: hostname, logger: logger)
            // Each snapshot is "stored" once it is returned for printing: its delta state goes in force.
            let first = await collector.collect(now: .now, wallClock: Date().timeIntervalSince1970)
            collector.commit(batchID: first.batchID)
            guard let reason = Self.missingBaseline(first) else { return first }
            logger.debug("a collector had no baseline: sampling again", metadata: ["reason": "\(reason)", "window_ms": "\(window)"])
            try await Task.sleep(for: window)
            let second = await collector.collect(now: .now, wallClock: Date().timeIntervalSince1970)
            collector.commit(batchID: second.batchID)
            return second
        }
    }

    /// Why `payload` is not a complete snapshot, if it is not: a collector had no usable baseline (no
    /// saved state, state of another server, a reset), so its deltas, rates or percentages are missing.
    static func missingBaseline(_ payload: SnapshotPayload) -> String? {
        if let info = payload.statementsInfo {
            if info.baseline { return "statements: no saved state for this server" }
            if !info.resets.isEmpty { return "statements: \(info.resets.joined(separator: ", "))" }
        }
        if let database = payload.database, database.intervalSeconds == nil { return "database: no previous sample" }
        if let visit = payload.schema?.first(where: { $0.intervalSeconds == nil }) {
            return "schema: no previous visit of \(visit.datname)"
        }
        if let host = payload.systemMetrics, host.intervalSeconds == nil { return "host: no previous sample (cpu.percent)" }
        return nil
    }

    /// The state directory if we can write there; nil (deltas from a baseline) otherwise.
    static func usableStateDirectory(_ path: String, logger: Logger) -> String? {
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o750])
            guard access(path, W_OK) == 0 else { throw CocoaError(.fileWriteNoPermission) }
            return path
        } catch {
            logger.info("state_dir is not writable: deltas come from a baseline this run",
                        metadata: ["state_dir": "\(path)"])
            return nil
        }
    }
}
