import AgentSchema
package import Logging
package import PostgresNIO

/// Takes one activity sample: the non-idle client backends, the agent's own left out. One light query on
/// `pg_stat_activity` (no query text), on the client the snapshots use: it never opens a connection of
/// its own.
package struct ActivitySampler: Sendable {
    let settings: CollectorSettings

    package init(settings: CollectorSettings) {
        self.settings = settings
    }

    /// The sample, each backend's application name reduced to its correlation id.
    package func sample(client: PostgresClient, logger: Logger) async throws -> [SampledBackend] {
        let ownApp = settings.applicationName
        let rows = try await client.rows("""
            SELECT pid, state, wait_event_type, wait_event, query_id, application_name
            FROM pg_stat_activity
            WHERE backend_type = 'client backend' AND state IS DISTINCT FROM 'idle' AND pid <> pg_backend_pid()
              AND NOT (application_name = \(ownApp) AND usename = current_user)
            """, logger: logger)
        var backends: [SampledBackend] = []
        backends.reserveCapacity(rows.count)
        for row in rows {
            let app = try row.value("application_name", as: String.self)
            let id = settings.correlation.extract(from: app)
            backends.append(SampledBackend(
                pid: Int(try row.value("pid", as: Int32.self) ?? 0), state: try row.value("state", as: String.self),
                waitEventType: try row.value("wait_event_type", as: String.self), waitEvent: try row.value("wait_event", as: String.self),
                queryID: try row.value("query_id", as: Int64.self).flatMap { $0 == 0 ? nil : $0 },
                correlationID: id, applicationName: id == nil ? (app?.isEmpty == false ? app : nil) : nil))
        }
        return backends
    }
}
