/// Where a log event's correlation id came from.
package enum CorrelationSource: String, Sendable, Codable, Equatable {
    /// The entry itself carried the application name: `%a` in the prefix, or a csvlog/jsonlog field.
    case entry
    /// Inferred: the entry names no application, and its pid belonged at that time to a session whose
    /// application name the agent knows, from the log's `connection authorized` line or from
    /// `pg_stat_activity`.
    case session
}
