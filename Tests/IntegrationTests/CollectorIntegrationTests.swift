import AgentSchema
@testable import Collectors
import Foundation
import PostgresNIO
import TestSupport
import Testing

/// The collectors against real servers, PG 14 through 18, as the `pg_monitor`-only role.
///
/// Serialized: some tests reset `pg_stat_statements` or restart a cluster, which other tests on the same
/// cluster would otherwise see.
@Suite(.serialized, .timeLimit(.minutes(3))) struct CollectorIntegrationTests {
    @Test("activity and locks: a chain of three with correlation ids", arguments: Harness.preloaded)
    func lockChainWithCorrelation(cluster: TestClusters.Cluster) async throws {
        let table = Harness.unique("lock_target")
        try await Harness.exec(cluster, "CREATE TABLE \(table) (id int)")
        let holder = try await Harness.session(cluster, applicationName: "bitville-aaaa1111")
        let waiter = try await Harness.session(cluster, applicationName: "bitville-bbbb2222")
        let third = try await Harness.session(cluster, applicationName: "bitville-cccc3333")
        let observer = try await Harness.session(cluster)

        // holder: AccessShare; waiter: AccessExclusive (blocked by holder); third: AccessShare, queued
        // behind waiter's request (a soft block only pg_blocking_pids() reports).
        _ = try await holder.query("BEGIN", logger: Harness.logger).collect()
        _ = try await holder.query(PostgresQuery(unsafeSQL: "SELECT count(*) FROM \(table)"), logger: Harness.logger).collect()
        _ = try await waiter.query("BEGIN", logger: Harness.logger).collect()

        _ = try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                _ = try await waiter.query(PostgresQuery(unsafeSQL: "LOCK TABLE \(table) IN ACCESS EXCLUSIVE MODE"),
                                       logger: Harness.logger).collect()
                _ = try await waiter.query("COMMIT", logger: Harness.logger).collect()
            }
            try await Harness.eventually("waiter waits") {
                try await Self.waitingCount(observer) == 1
            }
            group.addTask {
                _ = try await third.query(PostgresQuery(unsafeSQL: "SELECT count(*) FROM \(table)"),
                                      logger: Harness.logger).collect()
            }
            try await Harness.eventually("third waits") {
                try await Self.waitingCount(observer) == 2
            }

            let payload = try await Harness.withAgentClient(try Harness.agentSettings(cluster)) { agent in
                let collector = Harness.snapshotCollector(agent, settings: try Harness.collectorSettings())
                return await Harness.collect(collector)
            }

            let pids = try await Self.pids(observer, apps: ["bitville-aaaa1111", "bitville-bbbb2222", "bitville-cccc3333"])
            let locks = try #require(payload.locks)
            #expect(locks.count == 2, "one row per blocked backend")
            let waiterRow = try #require(locks.first { $0.blockedPid == pids["bitville-bbbb2222"] })
            #expect(waiterRow.blockingPid == pids["bitville-aaaa1111"])
            #expect(waiterRow.blockedCorrelationID == "bbbb2222")
            #expect(waiterRow.blockingCorrelationID == "aaaa1111")
            #expect(waiterRow.lockType == "relation")
            #expect(waiterRow.lockMode == "AccessExclusiveLock")
            #expect(waiterRow.relation == table)
            #expect(waiterRow.rootBlockingPid == pids["bitville-aaaa1111"])
            #expect(waiterRow.blockedStatement == "LOCK TABLE \(table) IN ACCESS EXCLUSIVE MODE")
            #expect((waiterRow.waitSeconds ?? -1) >= 0)
            let thirdRow = try #require(locks.first { $0.blockedPid == pids["bitville-cccc3333"] })
            #expect(thirdRow.blockingPid == pids["bitville-bbbb2222"])
            #expect(thirdRow.rootBlockingPid == pids["bitville-aaaa1111"])
            #expect(thirdRow.chainDepth == 3)

            let activity = try #require(payload.pgActivity)
            let waiting = activity.filter { $0.waitEventType == "Lock" }
            #expect(Set(waiting.compactMap(\.correlationID)) == ["bbbb2222", "cccc3333"])
            let holderRow = try #require(activity.first { $0.pid == pids["bitville-aaaa1111"] })
            #expect(holderRow.state == "idle in transaction")
            #expect(holderRow.correlationID == "aaaa1111")
            #expect(!activity.contains {
                $0.applicationName == "bitville-monitor" && $0.usename == Harness.clusters.monitorUser
            }, "the agent leaves its own sessions out")
            let summary = try #require(payload.activitySummary)
            #expect(summary.maxConnections == 300)
            #expect(summary.byWaitEvent["Lock:relation"] == 2)
            #expect(summary.correlatedBackends >= 3)
            #expect(payload.errors.isEmpty, "\(payload.errors)")
            try PayloadSchema.expectValid([try PayloadSchema.json(payload)], "PG \(cluster.major) snapshot with a lock chain")

            _ = try await holder.query("ROLLBACK", logger: Harness.logger).collect()
            try await group.waitForAll()
        }
        for connection in [holder, waiter, third, observer] { try await connection.close() }
        try await Harness.exec(cluster, "DROP TABLE \(table)")
    }

    @Test("statements: exact deltas, top N plus other, filtered fetch", arguments: Harness.preloaded)
    func statementDeltas(cluster: TestClusters.Cluster) async throws {
        let table = Harness.unique("stmt_probe")
        try await Harness.exec(cluster, "CREATE TABLE \(table) (id int)")
        // The agent connects to a database of its own, so that its reads are counted apart from those of the
        // agents other suites run on the same server with the same role.
        let own = Harness.unique("stmt_agent")
        try await Harness.exec(cluster, "CREATE DATABASE \(own)", database: "postgres")
        defer { Task { try? await Harness.exec(cluster, "DROP DATABASE \(own) WITH (FORCE)", database: "postgres") } }
        try await Harness.exec(cluster, "CREATE EXTENSION pg_stat_statements", database: own)
        try await Harness.exec(cluster, "SELECT pg_stat_statements_reset()")
        var topOne = try Harness.collectorSettings(instance: "top-one")
        topOne.topStatements = 1
        let topOneSettings = topOne
        try await Harness.withAgentClient(try Harness.agentSettings(cluster, database: own)) { agent in
            let collector = Harness.snapshotCollector(agent, settings: try Harness.collectorSettings())
            let topOneCollector = Harness.snapshotCollector(agent, settings: topOneSettings)
            let baseline = await Harness.collect(collector)
            _ = await Harness.collect(topOneCollector)
            #expect(baseline.statementsInfo?.baseline == true)
            #expect(baseline.pgStatements?.isEmpty == true)

            try await Self.runProbe(cluster, table: table, times: 25)
            // Thirty other statements, once each: entries the filter must leave out later on.
            let session = try await Harness.session(cluster)
            for columns in 1...30 {
                let list = (1...columns).map(String.init).joined(separator: ", ")
                _ = try await session.query(PostgresQuery(unsafeSQL: "SELECT \(list)"), logger: Harness.logger).collect()
            }
            try await session.close()
            let second = await Harness.collect(collector)
            #expect(second.errors.isEmpty, "\(second.errors)")
            let rows = try #require(second.pgStatements)
            let info = try #require(second.statementsInfo)
            #expect(info.baseline == false)
            #expect((info.intervalSeconds ?? 0) > 0)
            let probe = try #require(rows.first { $0.query?.contains(table) == true })
            #expect(probe.calls == 25)
            #expect(probe.rows == 25)
            #expect(probe.query == "SELECT count(*) FROM \(table) WHERE id = $1")
            #expect(probe.usename == Harness.clusters.superuser)
            #expect(probe.datname == "app")
            #expect(rows.reduce(0) { $0 + $1.calls } == info.totalCalls)

            // Top 1 plus `other`: the totals still add up.
            let limited = await Harness.collect(topOneCollector)
            let limitedRows = try #require(limited.pgStatements)
            let limitedInfo = try #require(limited.statementsInfo)
            #expect(limitedRows.count == 2)
            #expect(limitedRows.last?.isOther == true)
            #expect((limitedRows.last?.otherEntries ?? 0) >= 1)
            #expect(limitedRows.reduce(0) { $0 + $1.calls } == limitedInfo.totalCalls)
            try PayloadSchema.expectValid([baseline, second, limited].map(PayloadSchema.json),
                                          "PG \(cluster.major) snapshots: baseline, deltas, top N with other")
            #expect(abs(limitedRows.reduce(0) { $0 + $1.totalExecTime } - limitedInfo.totalExecTime) < 1e-6)

            #expect(info.textsFetched >= 1, "the probe's text was new")

            // Nothing ran: the probe's entry did not move, so it is not even fetched.
            let third = await Harness.collect(collector)
            #expect(third.pgStatements?.contains { $0.query?.contains(table) == true } == false)
            // Only the agent's own queries moved (one per collector, the settings one included), and those
            // of the suites running beside this one on the same server: fewer than are tracked, and only
            // those were fetched. How many fewer depends on those suites (a CI run saw 47 of 81 changed
            // while they ran), so no ratio is asserted.
            let changed = third.statementsInfo?.changedEntries ?? 99
            #expect(changed < (third.statementsInfo?.trackedEntries ?? 0))

            // The probe runs again: its text comes from the cache, no text is fetched.
            try await Self.runProbe(cluster, table: table, times: 5)
            let fourth = await Harness.collect(collector)
            let again = try #require(fourth.pgStatements?.first { $0.query?.contains(table) == true })
            #expect(again.calls == 5)
            #expect(again.query == "SELECT count(*) FROM \(table) WHERE id = $1")
            // Its text was known, so fewer texts were fetched than entries changed. Not none: the suites
            // running beside this one on the same server may add statements whose texts are new (a local
            // run with every suite at once saw 3).
            let fourthInfo = try #require(fourth.statementsInfo)
            #expect(fourthInfo.textsFetched < fourthInfo.changedEntries, "\(fourthInfo)")

            // The server filters by fingerprint: pg_stat_statements itself shows how many rows the
            // agent's filtered read returned, which is the changed entries (and the time row), not all.
            let before = try await Self.filteredReads(cluster, database: own)
            let fifth = await Harness.collect(collector)
            let after = try await Self.filteredReads(cluster, database: own)
            let fifthInfo = try #require(fifth.statementsInfo)
            #expect(after.calls - before.calls == 1)
            let returned = after.rows - before.rows
            #expect(returned <= Int64(fifthInfo.changedEntries) + 1, "\(returned) rows for \(fifthInfo.changedEntries) changed")
            #expect(Int64(fifthInfo.trackedEntries ?? 0) >= returned + 20,
                    "\(returned) rows returned of \(fifthInfo.trackedEntries ?? 0) tracked")
        }
        try await Harness.exec(cluster, "DROP TABLE \(table)")
    }

    /// The calls and rows of the agent's filtered read of pg_stat_statements in `database`, as the server
    /// counts them.
    static func filteredReads(_ cluster: TestClusters.Cluster, database: String) async throws -> (calls: Int64, rows: Int64) {
        let connection = try await Harness.session(cluster)
        let rows = try await connection.query(PostgresQuery(unsafeSQL:
            "SELECT sum(calls)::int8, sum(rows)::int8 FROM pg_stat_statements WHERE query LIKE '%NOT IN (SELECT unnest(%' "
            + "AND dbid = (SELECT oid FROM pg_database WHERE datname = '\(database)')"),
            logger: Harness.logger).collect()
        try await connection.close()
        let row = try #require(rows.first)
        let (calls, returned) = try row.decode((Int64?, Int64?).self)
        return (calls ?? 0, returned ?? 0)
    }

    /// A snapshot that never reached the spool must not take its interval with it: the delta state
    /// moves only with a stored payload, so the next one's deltas cover both intervals.
    @Test("statements: a snapshot that was not stored leaves its deltas to the next one", arguments: Harness.preloaded)
    func lostSnapshotKeepsItsInterval(cluster: TestClusters.Cluster) async throws {
        let table = Harness.unique("lost_probe")
        try await Harness.exec(cluster, "CREATE TABLE \(table) (id int)")
        try await Harness.withAgentClient(try Harness.agentSettings(cluster)) { agent in
            let collector = Harness.snapshotCollector(agent, settings: try Harness.collectorSettings())
            _ = await Harness.collect(collector)
            try await Self.runProbe(cluster, table: table, times: 6)
            // Collected, then lost (the spool refused it): not committed.
            let lost = await collector.collect(now: .now, wallClock: Date().timeIntervalSince1970)
            #expect(lost.pgStatements?.first { $0.query?.contains(table) == true }?.calls == 6)
            try await Self.runProbe(cluster, table: table, times: 3)
            let next = await Harness.collect(collector)
            let probe = try #require(next.pgStatements?.first { $0.query?.contains(table) == true })
            #expect(probe.calls == 9, "the lost interval's 6 calls and this one's 3")
            Self.expectNoNegative(next.pgStatements ?? [])
        }
        try await Harness.exec(cluster, "DROP TABLE \(table)")
    }

    /// Settings go out in the first snapshot and after a change (with the old and new values), not in
    /// between; a password in a conninfo-valued setting is masked.
    @Test("settings: sent at start and after a change, with the change, credentials masked", arguments: Harness.preloaded)
    func settingsAtStartAndOnChange(cluster: TestClusters.Cluster) async throws {
        let secret = "pw-\(UInt32.random(in: 0...UInt32.max))"
        try await Harness.exec(cluster, "ALTER SYSTEM RESET work_mem")
        try await Harness.exec(cluster, "ALTER SYSTEM SET primary_conninfo = 'host=replica.example user=rep password=\(secret)'")
        try await Harness.exec(cluster, "SELECT pg_reload_conf()")
        try await Harness.withAgentClient(try Harness.agentSettings(cluster)) { agent in
            let collector = Harness.snapshotCollector(agent, settings: try Harness.collectorSettings())
            var first = await Harness.collect(collector)
            for _ in 0..<100 where first.settings?.contains(where: { $0.name == "primary_conninfo" }) != true {
                try await Task.sleep(for: .milliseconds(20))
                first = await Harness.collect(collector)
            }
            let settings = try #require(first.settings)
            let conninfo = try #require(settings.first { $0.name == "primary_conninfo" })
            #expect(conninfo.value == "host=replica.example user=rep password=***")
            #expect(settings.contains { $0.name == "shared_preload_libraries" && $0.value.contains("pg_stat_statements") })
            #expect(settings.allSatisfy { $0.source != "default" })
            let quiet = await Harness.collect(collector)
            #expect(quiet.settings == nil && quiet.settingsChanged == nil, "unchanged settings are not sent again")
            // The rows are read again only when the server's fingerprint of the view changed.
            let reading = try #require(try await SettingsCollector().read(client: agent.client, unchangedSince: nil, logger: Harness.logger))
            #expect(reading.fingerprint.count == 64)
            #expect(reading.rows.contains { $0.name == "primary_conninfo" && $0.value.hasSuffix("password=***") })
            #expect(reading.numeric.contains { $0.name == "max_connections" && $0.vartype == "integer" })
            let again = try await SettingsCollector().read(client: agent.client, unchangedSince: reading.fingerprint, logger: Harness.logger)
            #expect(again == nil)
            let stale = try await SettingsCollector().read(client: agent.client, unchangedSince: "0", logger: Harness.logger)
            #expect(stale == reading)

            try await Harness.exec(cluster, "ALTER SYSTEM SET work_mem = '7MB'")
            try await Harness.exec(cluster, "SELECT pg_reload_conf()")
            var changed = await Harness.collect(collector)
            for _ in 0..<200 where changed.settingsChanged == nil {
                try await Task.sleep(for: .milliseconds(20))
                changed = await Harness.collect(collector)
            }
            #expect(changed.settingsChanged == [SettingChange(name: "work_mem", old: nil, new: "7168")])
            #expect(changed.settings?.contains { $0.name == "work_mem" && $0.unit == "kB" && $0.source == "configuration file" } == true)
            try PayloadSchema.expectValid([first, quiet, changed].map(PayloadSchema.json), "PG \(cluster.major) settings")
            let text = String(decoding: try JSONEncoder().encode(first), as: UTF8.self)
            #expect(!text.contains(secret))
        }
        try await Harness.exec(cluster, "ALTER SYSTEM RESET work_mem")
        try await Harness.exec(cluster, "ALTER SYSTEM RESET primary_conninfo")
        try await Harness.exec(cluster, "SELECT pg_reload_conf()")
    }

    @Test("statements: a stats reset between cycles gives no negative or inflated delta", arguments: Harness.preloaded)
    func statsReset(cluster: TestClusters.Cluster) async throws {
        let table = Harness.unique("reset_probe")
        try await Harness.exec(cluster, "CREATE TABLE \(table) (id int)")
        try await Harness.withAgentClient(try Harness.agentSettings(cluster)) { agent in
            let collector = Harness.snapshotCollector(agent, settings: try Harness.collectorSettings())
            _ = await Harness.collect(collector)
            try await Self.runProbe(cluster, table: table, times: 10)
            try await Harness.exec(cluster, "SELECT pg_stat_statements_reset()")
            try await Self.runProbe(cluster, table: table, times: 4)
            let after = await Harness.collect(collector)
            let info = try #require(after.statementsInfo)
            #expect(info.resets.contains("stats_reset"))
            let probe = try #require(after.pgStatements?.first { $0.query?.contains(table) == true })
            #expect(probe.calls == 4)
            Self.expectNoNegative(after.pgStatements ?? [])
        }
        try await Harness.exec(cluster, "DROP TABLE \(table)")
    }

    @Test("statements: delta state survives an agent restart; a server restart re-bases", arguments: Harness.preloaded)
    func restarts(cluster: TestClusters.Cluster) async throws {
        let table = Harness.unique("restart_probe")
        let stateDir = FileManager.default.temporaryDirectory.appendingPathComponent(Harness.unique("state")).path
        defer { try? FileManager.default.removeItem(atPath: stateDir) }
        try await Harness.exec(cluster, "CREATE TABLE \(table) (id int)")
        let settings = try Harness.collectorSettings(stateDirectory: stateDir)

        // First agent process: takes the baseline and exits.
        try await Harness.withAgentClient(try Harness.agentSettings(cluster)) { agent in
            let first = await Harness.collect(Harness.snapshotCollector(agent, settings: settings))
            #expect(first.statementsInfo?.baseline == true)
        }
        try await Self.runProbe(cluster, table: table, times: 5)
        // Second agent process: its first snapshot is already a delta.
        try await Harness.withAgentClient(try Harness.agentSettings(cluster)) { agent in
            let collector = Harness.snapshotCollector(agent, settings: settings)
            #expect(collector.hasBaseline)
            let payload = await Harness.collect(collector)
            #expect(payload.statementsInfo?.baseline == false)
            #expect(payload.pgStatements?.first { $0.query?.contains(table) == true }?.calls == 5)

            try Harness.restart(cluster)
            try await Self.runProbe(cluster, table: table, times: 3)
            var afterRestart = await Harness.collect(collector)
            // The pool may first hand out a connection the restart killed; the next cycle reconnects.
            for _ in 0..<5 where afterRestart.server == nil || afterRestart.statementsInfo == nil {
                afterRestart = await Harness.collect(collector)
            }
            let info = try #require(afterRestart.statementsInfo)
            #expect(info.resets.contains("server_restart"))
            let probe = try #require(afterRestart.pgStatements?.first { $0.query?.contains(table) == true })
            #expect(probe.calls == 3, "a clean restart keeps pg_stat_statements counters: 8 − 5")
            Self.expectNoNegative(afterRestart.pgStatements ?? [])
        }
        try await Harness.exec(cluster, "DROP TABLE \(table)")
    }

    @Test("database and host: deltas, sizes, checkpointer, WAL", arguments: Harness.preloaded)
    func databaseAndHost(cluster: TestClusters.Cluster) async throws {
        try await Harness.withAgentClient(try Harness.agentSettings(cluster)) { agent in
            let collector = Harness.snapshotCollector(agent, settings: try Harness.collectorSettings())
            let first = await Harness.collect(collector)
            let firstStats = try #require(first.database)
            let app = try #require(firstStats.databases.first { $0.datname == "app" })
            #expect((app.sizeBytes ?? 0) > 1_000_000, "sizes are measured on the first cycle")
            #expect(app.counters.deltas == nil)
            #expect(firstStats.checkpointer?.totals.isEmpty == false)
            #expect(firstStats.wal?.totals["wal_records"] != nil)
            #expect((firstStats.maxFrozenXidAge ?? -1) >= 0)

            let table = Harness.unique("db_probe")
            let before = try await Self.commits(cluster)
            try await Harness.exec(cluster, "CREATE TABLE \(table) (id int)")
            for i in 0..<7 { try await Harness.exec(cluster, "INSERT INTO \(table) VALUES (\(i))") }
            // PG 14's statistics collector publishes with a delay (up to PGSTAT_STAT_INTERVAL, 500 ms).
            try await Harness.eventually("commits visible in pg_stat_database") {
                try await Self.commits(cluster) >= before + 8
            }
            let second = await Harness.collect(collector)
            let stats = try #require(second.database)
            let appNow = try #require(stats.databases.first { $0.datname == "app" })
            #expect((appNow.counters.deltas?["xact_commit"] ?? 0) >= 8)
            #expect((appNow.counters.deltas?["tup_inserted"] ?? 0) >= 7)
            #expect(appNow.sizeBytes == nil, "not measured again within database_size_interval_seconds")
            #expect((stats.intervalSeconds ?? 0) > 0)

            let host = try #require(second.systemMetrics)
            #expect(host.cpu.count > 0)
            #expect(host.memory.total > 0)
            #expect(second.server?.major == cluster.major)
            #expect(second.errors.isEmpty, "\(second.errors)")
            try await Harness.exec(cluster, "DROP TABLE \(table)")
        }
    }

    // MARK: - helpers

    static func runProbe(_ cluster: TestClusters.Cluster, table: String, times: Int) async throws {
        let connection = try await Harness.session(cluster)
        for i in 0..<times {
            _ = try await connection.query("SELECT count(*) FROM \(unescaped: table) WHERE id = \(Int32(i))",
                                       logger: Harness.logger).collect()
        }
        try await connection.close()
    }

    static func commits(_ cluster: TestClusters.Cluster) async throws -> Int64 {
        let connection = try await Harness.session(cluster, database: "postgres")
        let rows = try await connection.query(
            "SELECT xact_commit FROM pg_stat_database WHERE datname = 'app'", logger: Harness.logger).collect()
        try await connection.close()
        return try rows.first?.decode(Int64.self) ?? 0
    }

    static func waitingCount(_ observer: PostgresConnection) async throws -> Int {
        let rows = try await observer.query(
            "SELECT count(*)::int8 FROM pg_stat_activity WHERE wait_event_type = 'Lock'", logger: Harness.logger).collect()
        return Int(try rows.first?.decode(Int64.self) ?? 0)
    }

    static func pids(_ observer: PostgresConnection, apps: [String]) async throws -> [String: Int] {
        let rows = try await observer.query(
            "SELECT application_name, pid FROM pg_stat_activity WHERE application_name = ANY(\(apps))",
            logger: Harness.logger).collect()
        var result: [String: Int] = [:]
        for row in rows {
            let (app, pid) = try row.decode((String, Int32).self)
            result[app] = Int(pid)
        }
        return result
    }

    static func expectNoNegative(_ rows: [StatementRow]) {
        for row in rows {
            #expect(row.calls >= 0 && row.totalExecTime >= 0 && row.rows >= 0 && row.sharedBlksHit >= 0,
                    "negative delta in \(row.queryid.map(String.init) ?? "other")")
        }
    }
}
