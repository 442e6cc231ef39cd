import AgentSchema
import AgentConfiguration
import SQLRedaction
import ArgumentParser
import Foundation
import LogPipeline

/// The options `logs parse` and `logs tail` share: format, prefix, redaction.
struct LogFormatOptions: ParsableArguments {
    @Option(help: "The log format: auto, stderr, csvlog, jsonlog, syslog, docker, cri, cloudnativepg or journal (journalctl --output=json; auto detects it per file).")
    var format: String = "auto"

    @Option(help: ArgumentHelp("The server's log_line_prefix, for stderr logs.",
                               discussion: "Without it, common prefixes are tried on the first lines of each file."))
    var prefix: String?

    @Option(help: ArgumentHelp("The server's log_timezone (an IANA zone name: Europe/Berlin, Asia/Kolkata).",
                               discussion: "Local log times are turned into UTC with it; without it only UTC and numeric offsets are exact."))
    var timezone: String?

    @Flag(help: "Keep the literals of statements (password-bearing statements are masked anyway).")
    var keepLiterals = false

    /// The parsed format, or a usage error naming the bad value.
    func logFormat() throws -> AgentConfiguration.LogFormat {
        guard let format = AgentConfiguration.LogFormat(rawValue: format) else {
            throw ValidationError("--format must be auto, stderr, csvlog, jsonlog, syslog, docker, cri, cloudnativepg or journal")
        }
        return format
    }

    /// The compiled prefix, if one was given, or a usage error that says where it is wrong.
    func compiledPrefix() throws -> LogLinePrefix? {
        guard let prefix else { return nil }
        do { return try LogLinePrefix(prefix) } catch { throw ValidationError("--prefix: \(error)") }
    }

    /// The zone's rules, if one was given, or a usage error naming what is wrong.
    func timeZoneRules() throws -> TimeZoneRules? {
        guard let timezone else { return nil }
        do { return try TimeZoneDatabase().rules(named: timezone) } catch {
            throw ValidationError("--timezone: \(error)")
        }
    }

    /// The classifier: the configured default correlation pattern, redaction unless `--keep-literals`.
    func classifier() throws -> LogClassifier {
        LogClassifier(redactor: SQLRedactor(redactLiterals: !keepLiterals), correlation: try CorrelationExtractor())
    }

    /// Sessions learned from the log itself (`log_connections`), for entries without an application name.
    func sessionTracker() throws -> SessionTracker {
        SessionTracker()
    }
}
