package import AgentSchema

extension AgentConfiguration {
    /// `[logs]`: which PostgreSQL server log to tail and how to parse it.
    ///
    /// Each key can be overridden by `POSTGRES_AGENT_LOGS_<KEY>`.
    package struct Logs: Sendable, Equatable {
        /// `path` (string, default empty): a log file, a directory or a glob; `auto` asks the server where
        /// it writes; `journal` reads the systemd journal (`journal:DIR` a journal directory); empty turns
        /// log tailing off.
        package var path = ""

        /// `format` (`auto`, `stderr`, `csvlog`, `jsonlog`, `syslog`, `docker`, `cri` or `cloudnativepg`;
        /// default `auto`): the log format; `auto` detects it from the file name and content.
        package var format = LogFormat.auto

        /// `prefix` (string, default `auto`): the server's `log_line_prefix`, needed to parse the
        /// `stderr` format; `auto` asks the server (`SHOW log_line_prefix`). Quote it in the INI file
        /// if it contains ` ;` or ` #`.
        package var prefix = "auto"

        /// `timezone` (string, default `auto`): the server's `log_timezone`, an IANA zone name from the tz
        /// database (`Europe/Berlin`, `Asia/Kolkata`) with which local log times become UTC; `auto` asks the
        /// server (`SHOW log_timezone`). Times whose zone cannot be resolved are sent without `timestamp`.
        package var timezone = "auto"

        /// `journal_match` (string, default `SYSLOG_IDENTIFIER=postgres`): with `path = journal`, the
        /// journalctl matches that select the server's entries, separated by spaces
        /// (`_SYSTEMD_UNIT=postgresql@15-main.service` for a unit's stderr).
        package var journalMatch = "SYSLOG_IDENTIFIER=postgres"

        /// The defaults.
        package init() {}

        /// Whether log tailing is on (``path`` is not empty).
        package var isEnabled: Bool { !self.path.isEmpty }

        /// Whether ``path`` names the systemd journal (`journal`, `journal:DIR`).
        package var isJournal: Bool { path == "journal" || path.hasPrefix("journal:") }

        /// With `path = journal:DIR`, the journal directory.
        package var journalDirectory: String? {
            path.hasPrefix("journal:") ? String(path.dropFirst("journal:".count)) : nil
        }
    }

    /// The format of a PostgreSQL log (`log_destination`): the log pipeline's own type.
    package typealias LogFormat = AgentSchema.LogFormat
}

extension AgentConfiguration.Logs {
    /// The keys of `[logs]`.
    static let keys = ["path", "format", "prefix", "timezone", "journal_match"]

    /// Applies the section's settings over the defaults.
    init(reading section: ConfigurationSectionReader) throws(AgentConfigurationError) {
        self.init()
        if let value = section.value("path") {
            self.path = value.raw
        }
        if let value = section.value("format") {
            self.format = try value.choice()
        }
        if let value = section.value("prefix") {
            self.prefix = value.raw
        }
        if let value = section.value("timezone") {
            self.timezone = value.raw
        }
        if let value = section.value("journal_match") {
            guard value.raw.split(separator: " ").allSatisfy({ $0.contains("=") && !$0.hasPrefix("=") }) else {
                throw AgentConfigurationError(code: .invalidValue, key: "logs.journal_match", line: value.line, file: nil,
                                              message: "must be journalctl matches FIELD=value, separated by spaces")
            }
            self.journalMatch = value.raw
        }
    }
}

extension AgentConfiguration {
    /// The log settings of `instance`: `[logs]` with the instance's `log_*` keys over it.
    package func logs(for instance: PostgresInstance) -> Logs {
        var logs = self.logs
        if let path = instance.logOverrides["path"] { logs.path = path }
        if let format = instance.logOverrides["format"].flatMap(LogFormat.init(rawValue:)) { logs.format = format }
        if let prefix = instance.logOverrides["prefix"] { logs.prefix = prefix }
        if let timezone = instance.logOverrides["timezone"] { logs.timezone = timezone }
        return logs
    }
}
