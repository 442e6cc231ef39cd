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
