/// One complete PostgreSQL log entry as a structured event: the `events` of a `logs` payload and the
/// output of `postgres-agent logs parse` (docs/payloads.md, "Log event", contract). Absent values are omitted.
package struct LogEvent: Codable, Sendable, Equatable {
    /// Where an entry came from: the file and the byte offset of its first line.
    package struct Source: Codable, Sendable, Equatable {
        package var file: String
        package var offset: Int64
        package init(file: String, offset: Int64) {
            self.file = file
            self.offset = offset
        }
    }

    /// RFC 3339, UTC, milliseconds (`2026-11-27T13:37:00.123Z`).
    package var timestamp: String?
    package var pid: Int?
    /// The severity as PostgreSQL names it in English (`LOG`, `ERROR`, …), even when `lc_messages`
    /// localised it in the file; the localised word is kept in `localized_severity` when it differs. Nil
    /// when the word is one no catalog we have knows (it is then in `localized_severity` alone).
    package var severity: PostgresSeverity?
    package var localizedSeverity: String?
    package var sqlstate: String?
    package var message: String?
    package var detail: String?
    package var hint: String?
    package var context: String?
    /// The statement that caused the entry (STATEMENT line, csv/json field), redacted per `[privacy]`.
    package var statement: String?
    /// The QUERY of an internal query (PL/pgSQL).
    package var internalQuery: String?
    /// Where in ``statement`` the error is, in characters from 1 (`cursor_position`; stderr's
    /// ` at character N`).
    package var cursorPosition: Int?
    /// Where in ``internalQuery`` the error is, in characters from 1 (`internal_position`).
    package var internalPosition: Int?
    package var location: String?
    package var user: String?
    package var database: String?
    package var applicationName: String?
    package var remoteHost: String?
    package var sessionID: String?
    /// Per-session line number (`%l`).
    package var sessionLine: Int64?
    package var backendType: String?
    package var queryID: Int64?
    package var virtualXID: String?
    package var xid: Int64?
    package var leaderPID: Int?
    /// The web request's correlation id, from the application name.
    package var correlationID: String?
    /// Where `correlationID` came from: the entry's own application name, or its session's (see
    /// ``CorrelationSource``). Absent when there is no id.
    package var correlationSource: CorrelationSource?
    /// The class (see ``LogEventClass``); `unparsed` for lines that belong to no entry.
    package var event: LogEventClass?
    /// Statement duration (slow queries, auto_explain) or session time (disconnection), milliseconds.
    package var durationMs: Double?
    /// Class-specific structured details (a lock wait's holders, a checkpoint's write/sync figures, …).
    package var details: JSONObject?
    /// True when the entry was longer than the configured cap and was cut.
    package var truncated: Bool?
    package var source: Source?

    package init() {}

    enum CodingKeys: String, CodingKey {
        case timestamp, pid, severity
        case localizedSeverity = "localized_severity"
        case sqlstate, message, detail, hint, context, statement
        case internalQuery = "internal_query"
        case cursorPosition = "cursor_position"
        case internalPosition = "internal_position"
        case location, user, database
        case applicationName = "application_name"
        case remoteHost = "remote_host"
        case sessionID = "session_id"
        case sessionLine = "session_line"
        case backendType = "backend_type"
        case queryID = "query_id"
        case virtualXID = "virtual_xid"
        case xid
        case leaderPID = "leader_pid"
        case correlationID = "correlation_id"
        case correlationSource = "correlation_source"
        case event
        case durationMs = "duration_ms"
        case details, truncated, source
    }
}
