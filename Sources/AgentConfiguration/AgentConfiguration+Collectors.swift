extension AgentConfiguration {
    /// `[collectors]`: limits and deadlines of the PostgreSQL and host collectors.
    ///
    /// Each key can be overridden by `POSTGRES_AGENT_COLLECTORS_<KEY>`.
    package struct Collectors: Sendable, Equatable {
        /// `top_statements` (integer ≥ 1, default `100`): how many statements, by total time, the
        /// statements collector reports per interval; the rest are summed into one `other` row.
        package var topStatements = 100

        /// `query_text_max_bytes` (integer ≥ 64, default `4096`): query texts longer than this are
        /// truncated (on a UTF-8 character boundary) before they are sent.
        package var queryTextMaxBytes = 4096

        /// `timeout_ms` (integer ≥ 1, default `10000`): each collector's deadline per cycle, in
        /// milliseconds; a collector that misses it yields an entry in `errors`.
        package var timeoutMilliseconds = 10000

        /// `database_size_interval_seconds` (integer ≥ 1, default `600`): how often database sizes
        /// are measured (they are expensive on large clusters).
        package var databaseSizeIntervalSeconds = 600

        /// `baseline_window_ms` (integer ≥ 0, default `1000`): for `collect --once` when a collector had
        /// no usable baseline in the first sample, how long to wait before the sample that is printed.
        package var baselineWindowMilliseconds = 1000

        /// `top_tables` (integer ≥ 0, default `50`): how many tables per database visit, by activity in the
        /// interval, the `schema` part lists; tables past a warning line are added, the rest summed into
        /// `tables_other`.
        package var topTables = 50

        /// `top_indexes` (integer ≥ 0, default `50`): the same for indexes, by scans; invalid, duplicate
        /// and unused indexes are added up to the same number again.
        package var topIndexes = 50

        /// `schema_timeout_ms` (integer ≥ 1000, default `30000`): how long the visits of one snapshot cycle
        /// may take in all, in milliseconds. A visit that runs out ships what it read (`complete: false`)
        /// and the databases not reached are visited next cycle. Each query is also bounded by
        /// `[postgres] statement_timeout_ms`.
        package var schemaTimeoutMilliseconds = 30000

        /// The defaults.
        package init() {}

        /// ``timeoutMilliseconds`` as a duration.
        package var timeout: Duration { .milliseconds(self.timeoutMilliseconds) }

        /// ``databaseSizeIntervalSeconds`` as a duration.
        package var databaseSizeInterval: Duration { .seconds(self.databaseSizeIntervalSeconds) }

        /// ``baselineWindowMilliseconds`` as a duration.
        package var baselineWindow: Duration { .milliseconds(self.baselineWindowMilliseconds) }
    }
}

extension AgentConfiguration.Collectors {
    /// The keys of `[collectors]`.
    static let keys = [
        "top_statements", "query_text_max_bytes", "timeout_ms", "database_size_interval_seconds", "baseline_window_ms",
        "top_tables", "top_indexes", "schema_timeout_ms",
    ]

    /// Applies the section's settings over the defaults.
    init(reading section: ConfigurationSectionReader) throws(AgentConfigurationError) {
        self.init()
        if let value = section.value("top_statements") {
            self.topStatements = try value.integer(minimum: 1, maximum: 10_000)
        }
        if let value = section.value("query_text_max_bytes") {
            self.queryTextMaxBytes = try value.integer(unit: "bytes", minimum: 64, maximum: 1_048_576)
        }
        if let value = section.value("timeout_ms") {
            self.timeoutMilliseconds = try value.integer(unit: "milliseconds", minimum: 1, maximum: 3_600_000)
        }
        if let value = section.value("database_size_interval_seconds") {
            self.databaseSizeIntervalSeconds = try value.integer(unit: "seconds", minimum: 1, maximum: 604_800)
        }
        if let value = section.value("top_tables") {
            self.topTables = try value.integer(minimum: 0, maximum: 10_000)
        }
        if let value = section.value("top_indexes") {
            self.topIndexes = try value.integer(minimum: 0, maximum: 10_000)
        }
        if let value = section.value("schema_timeout_ms") {
            self.schemaTimeoutMilliseconds = try value.integer(unit: "milliseconds", minimum: 1000, maximum: 3_600_000)
        }
        if let value = section.value("baseline_window_ms") {
            self.baselineWindowMilliseconds = try value.integer(unit: "milliseconds", minimum: 0, maximum: 60_000)
        }
    }
}
