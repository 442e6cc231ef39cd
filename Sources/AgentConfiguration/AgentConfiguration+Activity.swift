extension AgentConfiguration {
    /// `[activity]`: active-session history, the sampling of non-idle client backends between snapshots.
    ///
    /// Each key can be overridden by `POSTGRES_AGENT_ACTIVITY_<KEY>`.
    package struct Activity: Sendable, Equatable {
        /// `sample_interval_ms` (integer 0 … 60,000, default `1000`): how often the non-idle client
        /// backends are sampled, on the connection the snapshots use; each sample counts as this much
        /// database time. `0` turns sampling off.
        package var sampleIntervalMilliseconds = 1000

        /// `top_rows` (integer ≥ 1, default `200`): how many (correlation id, query, state, wait) rows a
        /// snapshot carries; the rest are summed into one `other` row.
        package var topRows = 200

        /// The defaults.
        package init() {}

        /// ``sampleIntervalMilliseconds`` as a duration; nil when sampling is off.
        package var sampleInterval: Duration? {
            sampleIntervalMilliseconds > 0 ? .milliseconds(sampleIntervalMilliseconds) : nil
        }
    }
}

extension AgentConfiguration.Activity {
    /// The keys of `[activity]`.
    static let keys = ["sample_interval_ms", "top_rows"]

    /// Applies the section's settings over the defaults.
    init(reading section: ConfigurationSectionReader) throws(AgentConfigurationError) {
        self.init()
        if let value = section.value("sample_interval_ms") {
            self.sampleIntervalMilliseconds = try value.integer(unit: "milliseconds", minimum: 0, maximum: 60_000)
        }
        if let value = section.value("top_rows") {
            self.topRows = try value.integer(minimum: 1, maximum: 100_000)
        }
    }
}
