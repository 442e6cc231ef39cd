package import AgentSchema
package import Logging
package import PostgresNIO

/// `locks` and `locks_summary`: the blocked backends of the chains that waited longest, from
/// `pg_blocking_pids()` rather than the wiki's self-join of `pg_locks` (which misses soft blocks in the
/// wait queue and group locking of parallel queries), and counts of all of them.
///
/// Bounded whatever the server holds: 10,000 waiters cost one `pg_blocking_pids()` call each, in one
/// statement with one read of `pg_locks`, and give at most ``Limits/maximumChains`` ×
/// ``Limits/maximumWaitersPerChain`` rows. The lists `pg_blocking_pids()` returns grow with the queue
/// (everyone queued ahead with a conflicting request blocks too: n waiters on one row name n²/2 pids), so
/// the server cuts them before they cross the wire. Query texts and names are read afterwards, and only
/// for the rows kept.
///
/// When nothing waits for a lock, this is one query that scans `pg_stat_activity` and calls nothing
/// else: `pg_blocking_pids()` runs only for backends already waiting on a heavyweight lock, and
/// `pg_locks` is not read at all. Both queries are bounded by the session's `statement_timeout`
/// (``PostgresClientFactory/startupParameters(_:options:)``) and the collector's deadline.
package struct LockCollector: Sendable {
    /// How much of the blocking graph a snapshot carries.
    package struct Limits: Sendable, Equatable {
        /// Chains kept, longest wait first. Default `50`.
        package var maximumChains = 50
        /// Rows kept per chain, longest wait first. Default `10`.
        package var maximumWaitersPerChain = 10
        /// Pids of `pg_blocking_pids()` kept per row (`blocking_pids`). Default `100`.
        package var maximumBlockingPids = 100

        package init() {}
    }

    /// What one collection returns: the rows and the counts over every waiter.
    package struct Result: Sendable {
        package var rows: [LockRow]
        package var summary: LocksSummary
    }

    let settings: CollectorSettings
    let limits: Limits

    package init(settings: CollectorSettings, limits: Limits = Limits()) {
        self.settings = settings
        self.limits = limits
    }

    package func collect(client: PostgresClient, logger: Logger) async throws -> Result {
        // `OFFSET 0` keeps the subquery from being flattened, so `pg_blocking_pids()` is evaluated once
        // per waiting backend however often its result is used. The `EXISTS` is a one-time filter: with
        // no waiter, `pg_lock_status()` is never executed.
        let waiting = try await client.rows("""
            WITH waiting AS MATERIALIZED (
                SELECT pid, blockers[1:\(Int32(max(1, limits.maximumBlockingPids)))] AS blockers,
                       cardinality(blockers) AS blocker_count
                FROM (SELECT pid, pg_blocking_pids(pid) AS blockers
                      FROM pg_stat_activity
                      WHERE wait_event_type = 'Lock'
                      OFFSET 0) AS s
                WHERE cardinality(blockers) > 0
            ), awaited AS (
                SELECT DISTINCT ON (pid) pid, locktype, mode, relation, database, waitstart
                FROM pg_locks
                WHERE NOT granted AND EXISTS (SELECT FROM waiting)
                ORDER BY pid, waitstart
            )
            SELECT w.pid, w.blockers, w.blocker_count, a.locktype, a.mode,
                   CASE WHEN a.relation IS NULL THEN NULL
                        WHEN a.database = (SELECT oid FROM pg_database WHERE datname = current_database())
                          THEN a.relation::regclass::text
                        ELSE a.relation::text END AS relation,
                   extract(epoch FROM clock_timestamp() - a.waitstart)::float8 AS wait_seconds
            FROM waiting w LEFT JOIN awaited a USING (pid)
            """, logger: logger)

        struct Awaited {
            var blockerCount: Int
            var lockType, mode, relation: String?
            var waitSeconds: Double?
        }
        var blockers: [Int: [Int]] = [:]
        var awaited: [Int: Awaited] = [:]
        var waitSeconds: [Int: Double] = [:]
        for row in waiting {
            guard let pid = try row.value("pid", as: Int32.self),
                  let list = try row.value("blockers", as: [Int32].self), !list.isEmpty else { continue }
            blockers[Int(pid)] = list.map(Int.init)
            let wait = try row.value("wait_seconds", as: Double.self)
            awaited[Int(pid)] = Awaited(
                blockerCount: Int(try row.value("blocker_count", as: Int32.self) ?? Int32(list.count)),
                lockType: try row.value("locktype", as: String.self),
                mode: try row.value("mode", as: String.self),
                relation: try row.value("relation", as: String.self),
                waitSeconds: wait)
            if let wait { waitSeconds[Int(pid)] = wait }
        }

        let selection = LockChainBuilder.select(
            blockers: blockers, waitSeconds: waitSeconds,
            maximumChains: limits.maximumChains, maximumWaitersPerChain: limits.maximumWaitersPerChain)
        let summary = LocksSummary(waiters: selection.totalWaiters, chains: selection.totalChains,
                                   omittedWaiters: selection.omittedWaiters, omittedChains: selection.omittedChains)
        let shown = selection.chains.flatMap(\.waiters)
        guard !shown.isEmpty else { return Result(rows: [], summary: summary) }

        // Names and texts of the rows kept only: each kept waiter and its first blocker.
        let involved = Set(shown).union(shown.compactMap { blockers[$0]?.first }).sorted().map { Int32($0) }
        let details = try await client.rows("""
            SELECT pid, usename::text AS usename, datname::text AS datname, application_name, state,
                   left(query, \(Int32(settings.queryTextMaxBytes + 1))) AS query
            FROM pg_stat_activity
            WHERE pid = ANY(\(involved))
            """, logger: logger)

        struct Backend {
            var user, database, app, state, query: String?
        }
        var backends: [Int: Backend] = [:]
        for row in details {
            guard let pid = try row.value("pid", as: Int32.self) else { continue }
            backends[Int(pid)] = Backend(
                user: try row.value("usename", as: String.self),
                database: try row.value("datname", as: String.self),
                app: try row.value("application_name", as: String.self),
                state: try row.value("state", as: String.self),
                query: settings.cleanQuery(try row.value("query", as: String.self)).text)
        }

        var rows: [LockRow] = []
        rows.reserveCapacity(shown.count)
        for chain in selection.chains {
            for pid in chain.waiters {
                guard let list = blockers[pid] else { continue }
                let blocked = backends[pid]
                let blocking = backends[list[0]]
                let lock = awaited[pid]
                var row = LockRow(blockedPid: pid, blockingPid: list[0], blockingPids: list)
                if let total = lock?.blockerCount, total > list.count { row.blockingPidsOmitted = total - list.count }
                row.blockedUser = blocked?.user
                row.blockingUser = blocking?.user
                row.blockedStatement = blocked?.query
                row.blockingStatement = blocking?.query
                row.blockedApp = blocked?.app
                row.blockingApp = blocking?.app
                row.blockedCorrelationID = settings.correlation.extract(from: blocked?.app)
                row.blockingCorrelationID = settings.correlation.extract(from: blocking?.app)
                row.blockingState = blocking?.state
                row.lockType = lock?.lockType
                row.lockMode = lock?.mode
                row.relation = lock?.relation
                row.datname = blocked?.database
                row.waitSeconds = lock?.waitSeconds
                row.rootBlockingPid = selection.links[pid]?.root
                row.chainDepth = selection.links[pid]?.depth
                row.chainWaiters = chain.waiterCount
                rows.append(row)
            }
        }
        return Result(rows: rows, summary: summary)
    }
}
