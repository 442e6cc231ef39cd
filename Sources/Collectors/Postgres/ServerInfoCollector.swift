package import AgentSchema
package import Logging
package import PostgresNIO

/// Reads the server's identity and a few settings every cycle: one cheap query.
package struct ServerInfoCollector: Sendable {
    /// What one read returns: the payload part plus settings other collectors need.
    package struct Result: Sendable {
        package var info: ServerInfo
        package var maxConnections: Int
        /// `track_activity_query_size`: texts this long were cut by the server.
        package var trackActivityQuerySize: Int
    }

    package init() {}

    package func collect(client: PostgresClient, logger: Logger) async throws -> Result {
        let rows = try await client.rows("""
            SELECT current_setting('server_version') AS version,
                   current_setting('server_version_num')::int4 AS version_num,
                   pg_is_in_recovery() AS in_recovery,
                   extract(epoch FROM pg_postmaster_start_time())::float8 AS start_time,
                   extract(epoch FROM clock_timestamp())::float8 AS now,
                   extract(epoch FROM now() - pg_last_xact_replay_timestamp())::float8 AS replay_age,
                   current_setting('max_connections')::int4 AS max_connections,
                   (SELECT setting::int4 FROM pg_settings WHERE name = 'track_activity_query_size') AS track_activity_query_size,
                   (SELECT setting FROM pg_settings WHERE name = 'data_directory') AS data_directory,
                   CASE WHEN has_function_privilege('pg_catalog.pg_control_system()', 'EXECUTE')
                        THEN (SELECT system_identifier::text FROM pg_catalog.pg_control_system()) END
                     AS system_identifier
            """, logger: logger)
        guard let row = rows.first else {
            throw CollectorError(code: .serverError, message: "the server returned no row for its identity")
        }
        var info = ServerInfo(
            version: try row.value("version", as: String.self) ?? "",
            versionNum: Int(try row.value("version_num", as: Int32.self) ?? 0),
            inRecovery: try row.value("in_recovery", as: Bool.self) ?? false,
            startTime: try row.value("start_time", as: Double.self) ?? 0,
            systemIdentifier: try row.value("system_identifier", as: String.self),
            dataDirectory: try row.value("data_directory", as: String.self),
            now: try row.value("now", as: Double.self) ?? 0)
        info.replayAgeSeconds = try row.value("replay_age", as: Double.self)
        return Result(info: info,
                      maxConnections: Int(try row.value("max_connections", as: Int32.self) ?? 0),
                      trackActivityQuerySize: Int(try row.value("track_activity_query_size", as: Int32.self) ?? 1024))
    }
}
