package import AgentConfiguration
package import AgentSchema
package import SQLRedaction

/// What the collectors of one monitored server need to know, taken from the agent configuration by the
/// composition root (so this module does not depend on how configuration is loaded).
package struct CollectorSettings: Sendable {
    /// The instance name (`default`, or NAME of `[postgres:NAME]`).
    package var instance: String = "default"
    /// How many statements `pg_statements` carries before the `other` row. Default `100`.
    package var topStatements: Int = 100
    /// Query texts are cut to this many UTF-8 bytes. Default `4096`.
    package var queryTextMaxBytes: Int = 4096
    /// Replace literals in query texts by placeholders. Default `true`.
    package var redactQueryLiterals: Bool = true
    /// Finds correlation ids in `application_name`.
    package var correlation: CorrelationExtractor
    /// Each collector's deadline. Default `10` seconds.
    package var collectorTimeout: Duration = .seconds(10)
    /// Database sizes are measured at most this often (seconds). Default `600`.
    package var databaseSizeIntervalSeconds: Double = 600
    /// Our own `application_name`, so the activity collector can leave the agent's sessions out.
    package var applicationName: String = "bitville-monitor"
    /// Where delta state survives restarts; nil keeps it in memory only.
    package var stateDirectory: String?
    /// The data directory to measure disk usage of, when the operator sets it (else the server is asked).
    package var dataDirectory: String?

    /// Whose tables, indexes and sequences are visited (`[postgres] databases`). Default `auto`.
    package var databases: DatabaseSelection = .auto
    /// Left out of `auto` (`[postgres] exclude_databases`).
    package var excludeDatabases: [String] = []
    /// How often each database is visited, seconds; `0` visits every due database every cycle
    /// (`collect --once`). Default `600`.
    package var schemaIntervalSeconds: Double = 600
    /// Tables per visit by activity (`[collectors] top_tables`). Default `50`.
    package var topTables: Int = 50
    /// Indexes per visit by scans (`[collectors] top_indexes`). Default `50`.
    package var topIndexes: Int = 50
    /// What the visits of one cycle may take in all (`[collectors] schema_timeout_ms`). Default 30 s.
    package var schemaTimeout: Duration = .seconds(30)
    /// The connections the agent may hold to this server (`[postgres] max_connections`, 1 or 2). With 2,
    /// visits use their own connection beside the pool's one; with 1, only the pool's database is visited.
    package var connectionBudget: Int = 2

    /// The file of the visits' delta state in ``stateDirectory``. `collect --once` uses its own, so that it
    /// never discards or commits what the daemon staged. Default `schema-<instance>.sqlite`.
    package var schemaStateFileName: String { schemaStateFileOverride ?? "schema-\(instance).sqlite" }
    /// Set by `collect --once`: see ``schemaStateFileName``.
    package var schemaStateFileOverride: String?

    /// Whether `/metrics` is served (`[metrics] listen`): only then does a cycle also read every numeric
    /// setting and count `pg_locks` per database and mode, for `pg_settings_*` and `pg_locks_count`.
    package var readsMetricsOnlyParts = false
    /// How many statements `/metrics` shows (`[metrics] top_statements`), ranked by cumulative execution
    /// time; 0 when `/metrics` is off or shows none.
    package var metricsTopStatements = 0

    package init(correlation: CorrelationExtractor) {
        self.correlation = correlation
    }

    /// The redactor these settings ask for.
    package var redactor: SQLRedactor { SQLRedactor(redactLiterals: redactQueryLiterals) }

    /// Caps and redacts a query text the way every collector must before it leaves the agent.
    package func cleanQuery(_ text: String?) -> (text: String?, truncated: Bool) {
        guard let text else { return (nil, false) }
        let capped = QueryText.truncate(text, maxBytes: queryTextMaxBytes)
        return (redactor.redact(capped.text), capped.truncated)
    }
}
