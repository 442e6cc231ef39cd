package import AgentSchema
package import Logging
package import PostgresNIO

/// `locks`: one row per blocked backend, from `pg_blocking_pids()` rather than the wiki's self-join of
/// `pg_locks` (which misses soft blocks in the wait queue and group locking of parallel queries).
///
/// When nothing waits for a lock, this is one query that scans `pg_stat_activity` and calls nothing else:
/// `pg_blocking_pids()` runs only for backends already waiting on a heavyweight lock.
package struct LockCollector: Sendable {
    let settings: CollectorSettings

    package init(settings: CollectorSettings) { self.settings = settings }

    package func collect(client: PostgresClient, logger: Logger) async throws -> [LockRow] {
        let waiting = try await client.rows("""
            SELECT pid, pg_blocking_pids(pid) AS blockers
            FROM pg_stat_activity
            WHERE wait_event_type = 'Lock'
            """, logger: logger)
        var blockers: [Int: [Int]] = [:]
        for row in waiting {
            guard let pid = try row.value("pid", as: Int32.self),
                  let list = try row.value("blockers", as: [Int32].self), !list.isEmpty else { continue }
            blockers[Int(pid)] = list.map(Int.init)
        }
        guard !blockers.isEmpty else { return [] }

        let involved = Set(blockers.keys).union(blockers.values.joined()).map { Int32($0) }
        let details = try await client.rows("""
            SELECT a.pid, a.usename::text AS usename, a.datname::text AS datname, a.application_name,
                   a.state, left(a.query, \(Int32(settings.queryTextMaxBytes + 1))) AS query,
                   l.locktype, l.mode,
                   CASE WHEN l.relation IS NULL THEN NULL
                        WHEN l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
                          THEN l.relation::regclass::text
                        ELSE l.relation::text END AS relation,
                   extract(epoch FROM clock_timestamp() - l.waitstart)::float8 AS wait_seconds
            FROM pg_stat_activity a
            LEFT JOIN LATERAL (
                SELECT locktype, mode, relation, database, waitstart FROM pg_locks
                WHERE pid = a.pid AND NOT granted LIMIT 1) l ON true
            WHERE a.pid = ANY(\(involved))
            """, logger: logger)

        struct Backend {
            var user, database, app, state, query, lockType, mode, relation: String?
            var waitSeconds: Double?
        }
        var backends: [Int: Backend] = [:]
        for row in details {
            guard let pid = try row.value("pid", as: Int32.self) else { continue }
            backends[Int(pid)] = Backend(
                user: try row.value("usename", as: String.self),
                database: try row.value("datname", as: String.self),
                app: try row.value("application_name", as: String.self),
                state: try row.value("state", as: String.self),
                query: settings.cleanQuery(try row.value("query", as: String.self)).text,
                lockType: try row.value("locktype", as: String.self),
                mode: try row.value("mode", as: String.self),
                relation: try row.value("relation", as: String.self),
                waitSeconds: try row.value("wait_seconds", as: Double.self))
        }

        let chains = LockChainBuilder.roots(blockers: blockers)
        var rows: [LockRow] = []
        for (pid, list) in blockers {
            let blocked = backends[pid]
            let blocking = backends[list[0]]
            var row = LockRow(blockedPid: pid, blockingPid: list[0], blockingPids: list)
            row.blockedUser = blocked?.user
            row.blockingUser = blocking?.user
            row.blockedStatement = blocked?.query
            row.blockingStatement = blocking?.query
            row.blockedApp = blocked?.app
            row.blockingApp = blocking?.app
            row.blockedCorrelationID = settings.correlation.extract(from: blocked?.app)
            row.blockingCorrelationID = settings.correlation.extract(from: blocking?.app)
            row.blockingState = blocking?.state
            row.lockType = blocked?.lockType
            row.lockMode = blocked?.mode
            row.relation = blocked?.relation
            row.datname = blocked?.database
            row.waitSeconds = blocked?.waitSeconds
            row.rootBlockingPid = chains[pid]?.root
            row.chainDepth = chains[pid]?.depth
            rows.append(row)
        }
        return rows.sorted { ($0.waitSeconds ?? 0, $1.blockedPid) > ($1.waitSeconds ?? 0, $0.blockedPid) }
    }
}
