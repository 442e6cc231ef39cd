/// One non-idle backend from `pg_stat_activity` (`pg_activity` in the payload); the longest-running
/// ones only, see ``ActivitySummary/pgActivityOmitted``.
package struct ActivityRow: Codable, Sendable, Equatable {
    package var pid: Int
    package var usename: String?
    package var datname: String?
    package var applicationName: String?
    package var state: String?
    /// The statement, capped at `query_text_max_bytes` and redacted per `[privacy]`.
    package var query: String?
    /// True when `query` was cut (by the server's `track_activity_query_size` or by our cap).
    package var queryTruncated: Bool?
    /// Epoch seconds.
    package var queryStart: Double?
    package var stateChange: Double?
    package var xactStart: Double?
    package var backendStart: Double?
    package var backendType: String?
    package var waitEventType: String?
    package var waitEvent: String?
    package var queryID: Int64?
    /// The web request's correlation id, from `application_name` and `[correlation] pattern`.
    package var correlationID: String?
    /// Client address, or nil for a Unix socket.
    package var clientAddr: String?
    /// Seconds the current statement has been running at collection (server clock).
    package var queryDurationSeconds: Double?
    /// `age(backend_xmin)`: how far this backend holds back vacuum, in transactions.
    package var xminAge: Int64?
    /// True when the monitoring role may not see this backend's details (it lacks `pg_monitor`).
    package var insufficientPrivilege: Bool?

    package init(pid: Int) { self.pid = pid }

    enum CodingKeys: String, CodingKey {
        case pid, usename, datname
        case applicationName = "application_name"
        case state, query
        case queryTruncated = "query_truncated"
        case queryStart = "query_start"
        case stateChange = "state_change"
        case xactStart = "xact_start"
        case backendStart = "backend_start"
        case backendType = "backend_type"
        case waitEventType = "wait_event_type"
        case waitEvent = "wait_event"
        case queryID = "query_id"
        case correlationID = "correlation_id"
        case clientAddr = "client_addr"
        case queryDurationSeconds = "query_duration_seconds"
        case xminAge = "xmin_age"
        case insufficientPrivilege = "insufficient_privilege"
    }
}

/// Counts over all backends, idle ones included (`activity_summary` in the payload).
package struct ActivitySummary: Codable, Sendable, Equatable {
    /// All backends, of every type.
    package var total: Int
    /// Client backends only.
    package var clientBackends: Int
    /// Client backends by `state` (`active`, `idle`, `idle in transaction`, …).
    package var byState: [String: Int]
    /// Backends by `wait_event_type:wait_event`, waiting ones only.
    package var byWaitEvent: [String: Int]
    /// Backends by `backend_type`.
    package var byBackendType: [String: Int]
    /// `max_connections`.
    package var maxConnections: Int
    /// Client backends whose `application_name` carries a correlation id.
    package var correlatedBackends: Int
    /// Non-idle backends left out of `pg_activity` because it carries at most a fixed number of rows (the
    /// longest-running first): `pg_activity` rows + this = every non-idle backend but the agent's own.
    /// Always set by the collector; optional only so that payloads without it still decode.
    package var pgActivityOmitted: Int?

    package init(total: Int, clientBackends: Int, byState: [String: Int], byWaitEvent: [String: Int],
                 byBackendType: [String: Int], maxConnections: Int, correlatedBackends: Int) {
        self.total = total
        self.clientBackends = clientBackends
        self.byState = byState
        self.byWaitEvent = byWaitEvent
        self.byBackendType = byBackendType
        self.maxConnections = maxConnections
        self.correlatedBackends = correlatedBackends
    }

    enum CodingKeys: String, CodingKey {
        case total
        case clientBackends = "client_backends"
        case byState = "by_state"
        case byWaitEvent = "by_wait_event"
        case byBackendType = "by_backend_type"
        case maxConnections = "max_connections"
        case correlatedBackends = "correlated_backends"
        case pgActivityOmitted = "pg_activity_omitted"
    }
}
