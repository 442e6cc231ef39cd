import AgentSchema
package import AgentConfiguration
import SQLRedaction
import Collectors
package import Delivery
import Foundation
package import Logging
package import LogPipeline
import ServiceLifecycle

/// The log pipeline of one monitored server in the daemon: works out what to tail (asking the server
/// when `prefix` or `path` is `auto`, and asking again with backoff while it is down), then follows the
/// log into the spool, each batch committed with its checkpoint.
package struct LogSourceService: Service {
    package let runtime: InstanceRuntime
    package let logs: AgentConfiguration.Logs
    package let configuration: AgentConfiguration
    package let spool: Spool
    /// Sessions seen by the snapshots and in the log, for entries without an application name.
    package var sessions: SessionDirectory? = nil
    package let hostname: String
    package let metrics: MetricsRegistry
    package let heartbeats: Heartbeats
    /// The clock of the follower's polling and of the backoff while the server cannot be asked.
    package let clock: DaemonClock
    package let logger: Logger

    package func run() async throws {
        let instance = runtime.instance.name
        var options = LogTailer.Options()
        options.format = logs.format
        var path = logs.path
        var dataDirectory = runtime.instance.dataDirectory
        let needsServer = path == "auto" || (logs.prefix == "auto" && logs.format.hasPrefix)
        if logs.prefix != "auto" {
            do { options.prefix = try LogLinePrefix(logs.prefix) } catch {
                throw AgentConfigurationError(code: .invalidValue, key: "logs.prefix", message: "does not compile: \(error)")
            }
        }
        if logs.timezone != "auto" {
            do { options.timeZone = try TimeZoneDatabase().rules(named: logs.timezone) } catch {
                throw AgentConfigurationError(code: .invalidValue, key: "logs.timezone", message: "\(error)")
            }
        }
        options.hostTimeZone = TimeZoneDatabase().local()
        var server: ServerLogSettings?
        if needsServer {
            guard let settings = try await askServer(instance: instance) else { return }
            server = settings
        } else if logs.timezone == "auto" {
            // Path and prefix are given: the log is read even while the server is down, so the zone is asked
            // once, and local times without an offset go without timestamp if it cannot be.
            server = try? await runtime.fetchLogSettings(logger: logger)
        }
        if let server {
            if logs.timezone == "auto", let zone = server.logTimezone {
                do { options.timeZone = try TimeZoneDatabase().rules(named: zone) } catch {
                    logger.warning("the server's log_timezone is not in the tz database: local log times without an offset are sent without timestamp",
                                   metadata: ["instance": "\(instance)", "log_timezone": "\(zone)"])
                }
            }
            options.syslogIdent = server.syslogIdent
            if logs.prefix == "auto" {
                do { options.prefix = try LogLinePrefix(server.logLinePrefix) } catch {
                    logger.error("the server's log_line_prefix does not compile; common prefixes are tried instead",
                                 metadata: ["instance": "\(instance)", "error": "\(error)"])
                }
            }
            dataDirectory = dataDirectory ?? server.dataDirectory
            if path == "auto" {
                switch LogLocator().locate(server.locatorFacts) {
                case let .success(location):
                    logger.info("found the server log", metadata: ["instance": "\(instance)", "path": "\(location.path)",
                                                                   "rule": "\(location.rule)"])
                    path = location.path
                case let .failure(failure):
                    throw AgentConfigurationError(code: .invalidValue, key: "logs.path",
                                                  message: "is auto, but \(failure.reason): \(failure.fix)")
                }
            }
        }
        if logs.isJournal || path == "journal" {
            var journal = JournalTailer.Options()
            journal.directory = logs.journalDirectory
            journal.matches = logs.journalMatch.split(separator: " ").map(String.init)
            if let ident = server?.syslogIdent, logs.journalMatch == AgentConfiguration.Logs().journalMatch {
                journal.matches = ["SYSLOG_IDENTIFIER=\(ident)"]
            }
            journal.prefix = options.prefix ?? LogLinePrefix.postgresDefault
            journal.timeZone = options.timeZone
            logger.info("following the server log in the journal", metadata: [
                "instance": "\(instance)", "directory": "\(journal.directory ?? "system")",
                "matches": "\(journal.matches.joined(separator: " "))",
            ])
            let fixed = journal
            try await follow(name: "journal") { JournalTailer(options: fixed, checkpoint: $0) }
            return
        }
        let scanner = LogSourceScanner(path: path, format: options.format, dataDirectory: dataDirectory)
        logger.info("following the server log", metadata: ["instance": "\(instance)", "path": "\(path)",
                                                            "format": "\(options.format)"])
        let fileOptions = options
        try await follow(name: "\(scanner.kind)") { LogTailer(scanner: scanner, options: fileOptions, checkpoint: $0) }
    }

    /// The most log bytes one batch reads: 1 MiB.
    static let batchBudget = 1 << 20

    /// Follows `source` into the spool, each batch with its checkpoint, reporting progress as metrics and
    /// heartbeats.
    private func follow(name: String, source: @escaping @Sendable (LogCheckpoint?) -> any PolledLogSource) async throws {
        let instance = runtime.instance.name
        let classifier = LogClassifier(redactor: SQLRedactor(redactLiterals: configuration.privacy.redactQueryLiterals),
                                       correlation: try CorrelationExtractor(pattern: configuration.correlation.pattern))
        let agent = AgentInfo(version: AgentVersion.current, hostname: hostname, instance: instance)
        let sink = SpoolLogSink(spool: spool, source: "\(instance):\(logs.path)", project: configuration.agent.project, agent: agent)
        let beatName = "logs:\(instance)"
        let labels = [("instance", instance)]
        let metrics = self.metrics
        let heartbeats = self.heartbeats
        defer { heartbeats.remove(beatName) }
        // A batch must fit the spool many times over, or a small cap would refuse whole batches: a
        // quarter of the cap in log bytes (JSON and gzip keep a payload below that), at most 1 MiB: a
        // batch's events, its JSON and its gzip are all in memory at once, and at 24,000 entries/s 4 MiB
        // batches kept the agent's heap near 40 MiB (BENCHMARKS.md, "Footprint").
        let budget = min(LogSourceService.batchBudget, max(64 << 10, spool.limits.maxBytes / 4))
        let follower = LogFollower(name: name, source: source, classifier: classifier, sessions: sessions ?? SessionDirectory(),
                                   sink: sink, clock: clock, budget: budget, logger: logger) { statistics, lag in
            heartbeats.beat(beatName, allowance: .seconds(120))
            metrics.set("pgagent_log_lines_total", Double(statistics.parse.lines), labels: labels)
            metrics.set("pgagent_log_entries_total", Double(statistics.parse.entries), labels: labels)
            metrics.set("pgagent_log_unparsed_total", Double(statistics.parse.unparsed), labels: labels)
            metrics.set("pgagent_log_rotations_total", Double(statistics.rotations), labels: labels)
            metrics.set("pgagent_log_lag_bytes", Double(lag), labels: labels)
        }
        try await follower.run()
    }

    /// The server's log settings; retried with backoff (1 s … 60 s) while it cannot be asked. Nil at
    /// shutdown.
    private func askServer(instance: String) async throws -> ServerLogSettings? {
        var attempt = 0
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            do {
                return try await runtime.fetchLogSettings(logger: logger)
            } catch {
                attempt += 1
                let delay = Backoff.restarts.ceiling(attempt: attempt)
                if attempt == 1 || attempt % 10 == 0 {
                    logger.warning("cannot ask the server for its log settings; log tailing waits for it", metadata: [
                        "instance": "\(instance)", "error": "\(CollectorError.from(error))", "retry_in_s": "\(delay.components.seconds)",
                    ])
                }
                try? await cancelWhenGracefulShutdown { [clock] in try await clock.sleep(for: delay) }
            }
        }
        return nil
    }
}

/// Printed by ServiceLifecycle: the name only, never settings that may hold secrets.
extension LogSourceService: CustomStringConvertible {
    package var description: String { "log source of \(runtime.instance.name)" }
}
