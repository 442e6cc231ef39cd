import Logging
import PostgresNIO

/// The design research's naive cycle (research file, "Pitfall 2" and "Lock Detection Query"): three
/// queries one after the other on one connection, every row fetched and every column decoded:
///
/// - `SELECT * FROM pg_stat_activity WHERE state != 'idle'`
/// - `SELECT * FROM pg_stat_statements` — every entry with its full query text, every cycle (the research
///   sketch adds `ORDER BY total_exec_time DESC LIMIT 100`; an agent that reports per-interval deltas
///   cannot cut the list, since an entry outside the cumulative top 100 can be this interval's top one);
/// - the PostgreSQL wiki's blocking-locks self-join of `pg_locks` and `pg_stat_activity`.
///
/// postgres-nio reads rows in binary format; psycopg (the research's driver) reads text, so its byte
/// counts would differ somewhat (numbers as digits instead of fixed-width binary).
struct NaiveCycle: MonitoringCycle {
    let client: PostgresClient
    let logger: Logger

    static let activity = "SELECT * FROM pg_stat_activity WHERE state != 'idle'"
    static let statements = "SELECT * FROM pg_stat_statements"
    static let locks = """
        SELECT
            blocked_locks.pid AS blocked_pid,
            blocked_activity.usename AS blocked_user,
            blocking_locks.pid AS blocking_pid,
            blocking_activity.usename AS blocking_user,
            blocked_activity.query AS blocked_statement,
            blocking_activity.query AS blocking_statement,
            blocked_activity.application_name AS blocked_app,
            blocking_activity.application_name AS blocking_app
        FROM pg_catalog.pg_locks blocked_locks
        JOIN pg_catalog.pg_stat_activity blocked_activity
            ON blocked_activity.pid = blocked_locks.pid
        JOIN pg_catalog.pg_locks blocking_locks
            ON blocking_locks.locktype = blocked_locks.locktype
            AND blocking_locks.database IS NOT DISTINCT FROM blocked_locks.database
            AND blocking_locks.relation IS NOT DISTINCT FROM blocked_locks.relation
            AND blocking_locks.page IS NOT DISTINCT FROM blocked_locks.page
            AND blocking_locks.tuple IS NOT DISTINCT FROM blocked_locks.tuple
            AND blocking_locks.virtualxid IS NOT DISTINCT FROM blocked_locks.virtualxid
            AND blocking_locks.transactionid IS NOT DISTINCT FROM blocked_locks.transactionid
            AND blocking_locks.classid IS NOT DISTINCT FROM blocked_locks.classid
            AND blocking_locks.objid IS NOT DISTINCT FROM blocked_locks.objid
            AND blocking_locks.objsubid IS NOT DISTINCT FROM blocked_locks.objsubid
            AND blocking_locks.pid != blocked_locks.pid
        JOIN pg_catalog.pg_stat_activity blocking_activity
            ON blocking_activity.pid = blocking_locks.pid
        WHERE NOT blocked_locks.granted;
        """

    func run() async -> CycleOutcome {
        var outcome = CycleOutcome()
        for (name, sql) in [("pg_stat_activity rows", Self.activity),
                            ("pg_stat_statements rows", Self.statements),
                            ("lock join rows", Self.locks)] {
            do {
                let rows = try await fetchAll(sql)
                outcome.counts[name] = rows.count
            } catch {
                outcome.errors.append("\(name): \(String(reflecting: error))")
            }
        }
        return outcome
    }

    /// Every row, every column decoded (like `cur.fetchall()`).
    private func fetchAll(_ sql: String) async throws -> [[DecodedValue]] {
        var rows: [[DecodedValue]] = []
        for try await row in try await client.query(PostgresQuery(unsafeSQL: sql), logger: logger) {
            var values: [DecodedValue] = []
            values.reserveCapacity(row.count)
            for cell in row { values.append(try DecodedValue(cell)) }
            rows.append(values)
        }
        return rows
    }
}
