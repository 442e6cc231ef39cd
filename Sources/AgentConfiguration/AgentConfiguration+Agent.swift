extension AgentConfiguration {
    /// `[agent]`: identity and housekeeping of the agent process.
    ///
    /// Each key can be overridden by `POSTGRES_AGENT_AGENT_<KEY>`.
    package struct Agent: Sendable, Equatable {
        /// `project` (string, default `bitville`): the project id that goes into every payload.
        /// Must not be empty.
        package var project = "bitville"

        /// `interval_seconds` (integer ≥ 1, default `60`): seconds between two snapshots. Tests use 1.
        package var intervalSeconds = 60

        /// `state_dir` (path, default `/var/lib/bitville-postgres-agent`): where the spool, the log
        /// checkpoints and the collectors' delta state live. Must not be empty.
        package var stateDirectory = "/var/lib/bitville-postgres-agent"

        /// `log_level` (`trace`, `debug`, `info`, `notice`, `warning`, `error` or `critical`; default
        /// `info`): the lowest level the agent logs.
        package var logLevel = LogLevel.info

        /// The defaults.
        package init() {}

        /// ``intervalSeconds`` as a duration.
        package var interval: Duration { .seconds(self.intervalSeconds) }
    }

    /// A log level, with the names and order of swift-log's `Logger.Level`.
    package enum LogLevel: String, Sendable, CaseIterable {
        /// Everything, including per-row detail.
        case trace
        /// Diagnostic detail.
        case debug
        /// Normal operation.
        case info
        /// Start-up, shutdown, configuration loaded.
        case notice
        /// Something is wrong but the agent carries on.
        case warning
        /// An operation failed.
        case error
        /// The agent cannot continue.
        case critical
    }
}

extension AgentConfiguration.Agent {
    /// The keys of `[agent]`.
    static let keys = ["project", "interval_seconds", "state_dir", "log_level"]

    /// Applies the section's settings over the defaults.
    init(reading section: ConfigurationSectionReader) throws(AgentConfigurationError) {
        self.init()
        if let value = section.value("project") {
            self.project = try value.nonEmptyString("the project id goes into every payload")
        }
        if let value = section.value("interval_seconds") {
            self.intervalSeconds = try value.integer(unit: "seconds", minimum: 1, maximum: 86_400)
        }
        if let value = section.value("state_dir") {
            self.stateDirectory = try value.nonEmptyString("the directory for the spool, checkpoints and state")
        }
        if let value = section.value("log_level") {
            self.logLevel = try value.choice()
        }
    }
}
