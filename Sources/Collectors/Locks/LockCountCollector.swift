package import AgentSchema
package import Logging
package import PostgresNIO

/// `pg_locks` counted per database and mode, one small aggregate per cycle, for `pg_locks_count`.
package struct LockCountCollector: Sendable {
    package init() {}

    package func collect(client: PostgresClient, logger: Logger) async throws -> [LockCount] {
        try await client.withOpenConnection { connection in
            let rows = try await connection.query("""
                SELECT d.datname::text, lower(l.mode), count(*)::int8
                FROM pg_locks l JOIN pg_database d ON d.oid = l.database
                GROUP BY 1, 2 ORDER BY 1, 2
                """, logger: logger)
            var counts: [LockCount] = []
            for try await (datname, mode, count) in rows.decode((String, String, Int64).self) {
                counts.append(LockCount(datname: datname, mode: mode, count: Int(count)))
            }
            // A cancelled task's row stream ends early without an error.
            try Task.checkCancellation()
            return counts
        }
    }
}
