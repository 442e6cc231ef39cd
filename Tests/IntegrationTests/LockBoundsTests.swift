import AgentSchema
@testable import Collectors
import Foundation
import PostgresNIO
import TestSupport
import Testing

/// Many lock waiters against a real server: the locks part keeps the chains that waited longest, counts
/// the rest so the totals add up, and finds every blocker with one `pg_blocking_pids()` pass.
///
/// In ``CollectorIntegrationTests`` (an extension, so serialized with its other lock test: no other
/// test's waiters are on the server meanwhile, and the counts can be exact). Everything runs in a
/// database of its own, so `pg_stat_statements` shows exactly the queries this test's collector ran.
extension CollectorIntegrationTests {
    /// Waiters on the one row of the long chain.
    static let longChainWaiters = 60
    /// Further chains: a holder and two waiters each.
    static let shortChains = 4

    @Test("locks: 60 waiters on a row and four more chains give the top chains and counts that add up",
          arguments: Harness.preloaded)
    func lockBounds(cluster: TestClusters.Cluster) async throws {
        let database = Harness.unique("lock_bounds")
        let table = "bounded"
        let prefix = "lockbounds-\(UInt32.random(in: 0...UInt32.max))"
        try await Harness.exec(cluster, "CREATE DATABASE \(database)")
        try await Harness.exec(cluster, "CREATE TABLE \(table) (id int PRIMARY KEY, v int NOT NULL)", database: database)
        try await Harness.exec(cluster, "INSERT INTO \(table) SELECT g, 0 FROM generate_series(1, \(Self.shortChains + 1)) g",
                               database: database)

        let observer = try await Harness.session(cluster, applicationName: "\(prefix)-observer")
        // Holder 0 holds row 1 (the long chain), holder k row k + 1.
        var holders: [PostgresConnection] = []
        for k in 0...Self.shortChains {
            holders.append(try await Harness.session(cluster, database: database, applicationName: "\(prefix)-holder\(k)"))
        }
        var longWaiters: [PostgresConnection] = []
        for _ in 0..<Self.longChainWaiters {
            longWaiters.append(try await Harness.session(cluster, database: database, applicationName: "\(prefix)-long"))
        }
        var shortWaiters: [[PostgresConnection]] = []
        for k in 1...Self.shortChains {
            var pair: [PostgresConnection] = []
            for _ in 0..<2 {
                pair.append(try await Harness.session(cluster, database: database, applicationName: "\(prefix)-short\(k)"))
            }
            shortWaiters.append(pair)
        }
        for (k, holder) in holders.enumerated() {
            _ = try await holder.query("BEGIN", logger: Harness.logger).collect()
            _ = try await holder.query(PostgresQuery(unsafeSQL: "UPDATE \(table) SET v = v + 1 WHERE id = \(k + 1)"),
                                       logger: Harness.logger).collect()
        }

        let failure = await withThrowingTaskGroup(of: Void.self) { group -> (any Error)? in
            var failure: (any Error)?
            do {
                // The first waiter alone, so that it has waited longest: it holds the row's tuple lock and
                // waits for holder 0's transaction; the other 59 queue for the tuple lock behind it.
                let firstLong = longWaiters[0]
                group.addTask { try await Self.update(firstLong, table: table, row: 1) }
                try await Harness.eventually("the first waiter waits") {
                    try await Self.waiting(observer, app: "\(prefix)-long") == 1
                }
                for waiter in longWaiters.dropFirst() {
                    group.addTask { try await Self.update(waiter, table: table, row: 1) }
                }
                try await Harness.eventually("\(Self.longChainWaiters) waiters wait") {
                    try await Self.waiting(observer, app: "\(prefix)-long") == Self.longChainWaiters
                }
                // Then the short chains, one waiter after the other: each chain's longest wait is shorter
                // than the one before.
                for (index, pair) in shortWaiters.enumerated() {
                    for (count, waiter) in pair.enumerated() {
                        group.addTask { try await Self.update(waiter, table: table, row: index + 2) }
                        try await Harness.eventually("short chain \(index + 1) has \(count + 1) waiters") {
                            try await Self.waiting(observer, app: "\(prefix)-short\(index + 1)") == count + 1
                        }
                    }
                }
                try await Self.checkBounds(cluster, database: database, table: table, prefix: prefix, observer: observer)
            } catch {
                failure = error
            }
            // Whatever happened, let every waiter through so the group can end.
            for holder in holders { _ = try? await holder.query("ROLLBACK", logger: Harness.logger).collect() }
            do { try await group.waitForAll() } catch { failure = failure ?? error }
            return failure
        }
        for connection in holders + longWaiters + shortWaiters.flatMap({ $0 }) + [observer] {
            try? await connection.close()
        }
        try await Harness.exec(cluster, "DROP DATABASE \(database) WITH (FORCE)")
        if let failure { throw failure }
    }

    /// Runs the update that waits for row `row`'s lock.
    static func update(_ connection: PostgresConnection, table: String, row: Int) async throws {
        _ = try await connection.query(PostgresQuery(unsafeSQL: "UPDATE \(table) SET v = v + 1 WHERE id = \(row)"),
                                       logger: Harness.logger).collect()
    }

    /// Everything waits now, and nothing moves until the holders roll back.
    static func checkBounds(_ cluster: TestClusters.Cluster, database: String, table: String, prefix: String,
                            observer: PostgresConnection) async throws {
        let backends = try await Self.backends(observer, prefix: prefix)
        let holder = { (k: Int) throws -> Int in try #require(backends["\(prefix)-holder\(k)"]?.first?.pid) }
        let holderPids = try (0...Self.shortChains).map(holder)
        let firstWaiter = try #require(backends["\(prefix)-long"]?.first(where: { $0.waitEvent == "transactionid" })?.pid)
        let lastWaiter = try #require(backends["\(prefix)-short\(Self.shortChains)"]?.max(by: { $0.queryStart < $1.queryStart }))
        let totalWaiters = Self.longChainWaiters + 2 * Self.shortChains
        let blockerCounts = try await Self.blockerCounts(observer, prefix: prefix)
        #expect(blockerCounts.count == totalWaiters)

        let limits = {
            var limits = LockCollector.Limits()
            limits.maximumChains = 3
            limits.maximumWaitersPerChain = 10
            limits.maximumBlockingPids = 5
            return limits
        }()
        let settings = try Harness.collectorSettings()
        let lockQuery = "%pg_blocking_pids(pid) AS blockers%"
        let detailQuery = "%WHERE pid = ANY(%"

        try await Harness.withAgentClient(try Harness.agentSettings(cluster, database: database)) { agent in
            // The session's statement_timeout bounds both queries.
            let timeout = try await agent.client.query("SHOW statement_timeout", logger: Harness.logger).collect()
            #expect(try timeout.first?.decode(String.self) == "5s")

            let lockBefore = try await Self.statementCounts(cluster, database: database, like: lockQuery)
            let detailBefore = try await Self.statementCounts(cluster, database: database, like: detailQuery)
            let result = try await LockCollector(settings: settings, limits: limits)
                .collect(client: agent.client, logger: Harness.logger)
            let lockAfter = try await Self.statementCounts(cluster, database: database, like: lockQuery)
            let detailAfter = try await Self.statementCounts(cluster, database: database, like: detailQuery)

            // One pg_blocking_pids() pass for all 68 waiters, and one read of the kept rows' details.
            #expect(lockAfter.calls - lockBefore.calls == 1)
            #expect(lockAfter.rows - lockBefore.rows == Int64(totalWaiters), "one light row per waiter")
            #expect(detailAfter.calls - detailBefore.calls == 1)
            #expect(detailAfter.rows - detailBefore.rows <= Int64(2 * result.rows.count), "only the kept rows' backends")

            // The three chains that waited longest, 10 + 2 + 2 rows; the totals add up.
            let summary = result.summary
            #expect(summary == LocksSummary(waiters: totalWaiters, chains: Self.shortChains + 1,
                                            omittedWaiters: totalWaiters - 14, omittedChains: Self.shortChains + 1 - 3))
            #expect(result.rows.count == 14)
            #expect(result.rows.count + summary.omittedWaiters == summary.waiters)
            let roots = result.rows.compactMap(\.rootBlockingPid)
            var chainOrder: [Int] = []
            for root in roots where chainOrder.last != root { chainOrder.append(root) }
            #expect(chainOrder == Array(holderPids.prefix(3)), "longest wait first, each chain's rows together")
            #expect(chainOrder.count + summary.omittedChains == summary.chains)

            let long = result.rows.filter { $0.rootBlockingPid == holderPids[0] }
            #expect(long.count == 10)
            #expect(long.allSatisfy { $0.chainWaiters == Self.longChainWaiters })
            #expect(long.map { $0.waitSeconds ?? -1 } == long.map { $0.waitSeconds ?? -1 }.sorted(by: >))
            let first = try #require(long.first)
            #expect(first.blockedPid == firstWaiter)
            #expect(first.blockingPid == holderPids[0])
            #expect(first.blockingPids == [holderPids[0]])
            #expect(first.lockType == "transactionid")
            #expect(first.lockMode == "ShareLock")
            #expect(first.chainDepth == 2)
            #expect(first.blockingState == "idle in transaction")
            #expect(first.blockedStatement?.hasPrefix("UPDATE \(table) SET") == true)
            #expect(first.datname == database)
            for row in long.dropFirst() {
                #expect(row.lockType == "tuple")
                #expect(row.relation == table)
                #expect(row.blockingPid == firstWaiter, "the tuple lock's holder comes first")
                #expect((row.chainDepth ?? 0) >= 3)
            }
            for row in result.rows {
                let total = try #require(blockerCounts[row.blockedPid])
                #expect(row.blockingPids.count <= 5)
                #expect(row.blockingPids.count + (row.blockingPidsOmitted ?? 0) == total,
                        "pid \(row.blockedPid): \(row.blockingPids.count) + \(row.blockingPidsOmitted ?? 0) of \(total)")
            }
            #expect(result.rows.contains { ($0.blockingPidsOmitted ?? 0) > 0 }, "a queue of 60 names more than 5")
            for k in 1...2 {
                let short = result.rows.filter { $0.rootBlockingPid == holderPids[k] }
                #expect(short.count == 2)
                #expect(short.allSatisfy { $0.chainWaiters == 2 })
                #expect(short.first?.blockingPid == holderPids[k])
            }

            // Activity: the 10 longest-running non-idle backends, the others counted.
            let server = try await ServerInfoCollector().collect(client: agent.client, logger: Harness.logger)
            let activity = try await ActivityCollector(settings: settings, maximumRows: 10)
                .collect(client: agent.client, server: server, logger: Harness.logger)
            #expect(activity.rows.count == 10)
            let busy = Self.longChainWaiters + 2 * Self.shortChains + Self.shortChains + 1
            #expect((activity.summary.pgActivityOmitted ?? -1) >= busy - 10)
            let starts = activity.rows.map { $0.queryStart ?? .infinity }
            #expect(starts == starts.sorted())
            #expect(starts.allSatisfy { $0 <= lastWaiter.queryStart }, "the most recent waiter is left out first")
            #expect(!activity.rows.contains { $0.pid == lastWaiter.pid })
            #expect(activity.rows.allSatisfy { $0.query != nil || $0.insufficientPrivilege == true })

            // The whole snapshot with the default limits: every chain fits, 10 rows of the long one.
            let payload = await Harness.collect(Harness.snapshotCollector(agent, settings: settings))
            // (The statements part reports its extension missing: it is not created in this database.)
            #expect(!payload.errors.contains { ["locks", "activity"].contains($0.collector) }, "\(payload.errors)")
            #expect(payload.locks?.count == 10 + 2 * Self.shortChains)
            #expect(payload.locksSummary == LocksSummary(waiters: totalWaiters, chains: Self.shortChains + 1,
                                                         omittedWaiters: Self.longChainWaiters - 10, omittedChains: 0))
            #expect(payload.activitySummary?.pgActivityOmitted == 0)
            try PayloadSchema.expectValid([try PayloadSchema.json(payload)], "PG \(cluster.major) snapshot with 68 lock waiters")
        }
    }

    /// Backends of this test waiting for a lock, by `application_name`.
    static func waiting(_ observer: PostgresConnection, app: String) async throws -> Int {
        let rows = try await observer.query(
            "SELECT count(*)::int8 FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND application_name = \(app)",
            logger: Harness.logger).collect()
        return Int(try rows.first?.decode(Int64.self) ?? 0)
    }

    struct Backend: Sendable { var pid: Int; var waitEvent: String?; var queryStart: Double }

    /// This test's backends by `application_name`.
    static func backends(_ observer: PostgresConnection, prefix: String) async throws -> [String: [Backend]] {
        let rows = try await observer.query(
            """
            SELECT application_name, pid, wait_event, extract(epoch FROM query_start)::float8
            FROM pg_stat_activity WHERE application_name LIKE \(prefix + "-%")
            """, logger: Harness.logger).collect()
        var result: [String: [Backend]] = [:]
        for row in rows {
            let (app, pid, event, start) = try row.decode((String, Int32, String?, Double?).self)
            result[app, default: []].append(Backend(pid: Int(pid), waitEvent: event, queryStart: start ?? 0))
        }
        return result
    }

    /// How many pids `pg_blocking_pids()` names for each of this test's waiters (stable while they wait).
    static func blockerCounts(_ observer: PostgresConnection, prefix: String) async throws -> [Int: Int] {
        let rows = try await observer.query(
            """
            SELECT pid, cardinality(pg_blocking_pids(pid))::int8 FROM pg_stat_activity
            WHERE wait_event_type = 'Lock' AND application_name LIKE \(prefix + "-%")
            """, logger: Harness.logger).collect()
        var result: [Int: Int] = [:]
        for row in rows {
            let (pid, count) = try row.decode((Int32, Int64).self)
            result[Int(pid)] = Int(count)
        }
        return result
    }

    /// Calls and rows of the statements like `pattern` run in `database`, as `pg_stat_statements` counts them.
    static func statementCounts(_ cluster: TestClusters.Cluster, database: String,
                                like pattern: String) async throws -> (calls: Int64, rows: Int64) {
        let connection = try await Harness.session(cluster)
        let rows = try await connection.query(
            """
            SELECT coalesce(sum(calls), 0)::int8, coalesce(sum(rows), 0)::int8 FROM pg_stat_statements
            WHERE dbid = (SELECT oid FROM pg_database WHERE datname = \(database)) AND query LIKE \(pattern)
            """, logger: Harness.logger).collect()
        try await connection.close()
        let row = try #require(rows.first)
        let (calls, returned) = try row.decode((Int64, Int64).self)
        return (calls, returned)
    }
}
