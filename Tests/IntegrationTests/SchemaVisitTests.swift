import AgentConfiguration
import AgentSchema
import Collectors
import Foundation
import PostgresNIO
import TestSupport
import Testing

/// Database visits against real servers, PG 14 through 18, as the `pg_monitor`-only role: each test
/// makes its own database, so what it counts is only what it did.
@Suite(.timeLimit(.minutes(4))) struct SchemaVisitTests {
    /// A database of its own, dropped afterwards.
    static func withDatabase(_ cluster: TestClusters.Cluster, _ body: (String) async throws -> Void) async throws {
        let database = Harness.unique("visit")
        try await Harness.exec(cluster, "CREATE DATABASE \(database)", database: "postgres")
        do {
            try await body(database)
        } catch {
            try? await Harness.exec(cluster, "DROP DATABASE \(database) WITH (FORCE)", database: "postgres")
            throw error
        }
        try await Harness.exec(cluster, "DROP DATABASE \(database) WITH (FORCE)", database: "postgres")
    }

    static func settings(_ databases: [String], stateDirectory: String?, topTables: Int = 2,
                         topIndexes: Int = 1) throws -> CollectorSettings {
        var settings = try Harness.collectorSettings(stateDirectory: stateDirectory)
        settings.databases = .listed(databases)
        settings.schemaIntervalSeconds = 0
        settings.topTables = topTables
        settings.topIndexes = topIndexes
        return settings
    }

    static func stateDirectory() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent(Harness.unique("schema-state")).path
    }

    /// Polls the server's own statistics until `table` shows `inserted` tuples inserted (statistics are
    /// flushed by the backends a moment after their transactions).
    static func waitForInserts(_ cluster: TestClusters.Cluster, _ database: String, _ table: String, _ inserted: Int64,
                               column: String = "n_tup_ins") async throws {
        let last = LockedValue<String?>(nil)
        do {
            try await Harness.eventually("\(table) shows \(inserted) in \(column)") {
                let session = try await Harness.session(cluster, database: database)
                defer { Task { try? await session.close() } }
                let rows = try await session.query(PostgresQuery(unsafeSQL:
                    "SELECT \(column) FROM pg_stat_user_tables WHERE relname = '\(table)'"), logger: Harness.logger).collect()
                let value = try rows.first?.decode(Int64.self)
                try await session.close()
                last.update { $0 = value.map(String.init) ?? "no row" }
                return value == inserted
            }
        } catch {
            Issue.record("\(table).\(column) last read \(last.value ?? "never (every attempt failed)")")
            throw error
        }
    }

    static func expectNoNegative(_ visit: SchemaVisit) {
        for table in visit.tables {
            #expect((table.counters.deltas ?? [:]).values.allSatisfy { $0 >= 0 }, "\(table.relname)")
        }
        for index in visit.indexes {
            #expect((index.counters.deltas ?? [:]).values.allSatisfy { $0 >= 0 }, "\(index.indexrelname)")
        }
        #expect((visit.tablesOther?.deltas ?? [:]).values.allSatisfy { $0 >= 0 })
    }

    @Test("tables and indexes: exact deltas, top N plus other adding up, warnings outside the top", arguments: Harness.preloaded)
    func deltasTopAndWarnings(cluster: TestClusters.Cluster) async throws {
        try await Self.withDatabase(cluster) { database in
            for sql in [
                "CREATE TABLE hot (id serial PRIMARY KEY, v int)",
                "CREATE INDEX hot_v ON hot (v)", "CREATE INDEX hot_v_again ON hot (v)",
                "CREATE TABLE cold1 (id int)", "CREATE TABLE cold2 (id int)", "CREATE TABLE cold3 (id int)",
                "CREATE TABLE dead (id int) WITH (autovacuum_enabled = off)",
                "INSERT INTO dead SELECT generate_series(1, 5000)", "DELETE FROM dead WHERE id > 1000",
                "CREATE TABLE inv (a int)", "INSERT INTO inv VALUES (1), (1)",
                // A plain index, then a unique one on the same column: the plain one is the duplicate.
                "CREATE TABLE u (a int)", "CREATE INDEX u_plain ON u (a)", "CREATE UNIQUE INDEX u_unique ON u (a)",
                "INSERT INTO hot (v) SELECT generate_series(1, 100)",
            ] { try await Harness.exec(cluster, sql, database: database) }
            // A unique index built concurrently over duplicates fails and stays behind, invalid.
            try? await Harness.exec(cluster, "CREATE UNIQUE INDEX CONCURRENTLY inv_a ON inv (a)", database: database)
            try await Self.waitForInserts(cluster, database, "hot", 100)
            try await Self.waitForInserts(cluster, database, "dead", 5000)
            // The DELETE's backend reports its 4,000 dead tuples as it exits, which may be after the INSERT's
            // report: a CI run's first visit saw n_dead_tup 0.
            try await Self.waitForInserts(cluster, database, "dead", 4000, column: "n_dead_tup")
            // inv's two rows too: a CI run whose backends flushed them only after the second visit saw
            // them as the third visit's delta.
            try await Self.waitForInserts(cluster, database, "inv", 2)

            let state = Self.stateDirectory()
            defer { try? FileManager.default.removeItem(atPath: state) }
            try await Harness.withAgentClient(try Harness.agentSettings(cluster)) { agent in
                let settings = try Self.settings([database], stateDirectory: state, topIndexes: 3)
                let collector = Harness.snapshotCollector(agent, settings: settings)
                let first = await Harness.collect(collector)
                let baseline = try #require(first.schema?.first, "errors: \(first.errors)")
                #expect(baseline.datname == database)
                #expect(baseline.intervalSeconds == nil)
                #expect(baseline.complete)
                #expect(baseline.tablesTotal == 7)
                #expect(baseline.indexesTotal == 6)
                #expect(baseline.tables.count + (baseline.tablesOther?.count ?? 0) == 7)
                #expect(baseline.indexes.count + (baseline.indexesOther?.count ?? 0) == 6)
                #expect(baseline.indexes.first { $0.indexrelname == "u_plain" }?.duplicateOf == "u_unique")
                #expect(baseline.indexes.first { $0.indexrelname == "u_unique" }?.duplicateOf == nil)
                let dead = try #require(baseline.tables.first { $0.relname == "dead" })
                #expect(dead.reasons.contains("dead_tuples"))
                #expect(dead.nDeadTup == 4000)
                #expect(baseline.indexes.first { $0.indexrelname == "inv_a" }?.reasons.contains("invalid") == true)
                #expect(baseline.indexes.first { $0.indexrelname == "hot_v_again" }?.duplicateOf == "hot_v")
                #expect((baseline.tables.first { $0.relname == "hot" }?.tableBytes ?? 0) > 0)

                try await Harness.exec(cluster, "INSERT INTO hot (v) SELECT generate_series(1, 300)", database: database)
                try await Harness.exec(cluster, "SELECT count(*) FROM cold1", database: database)
                try await Self.waitForInserts(cluster, database, "hot", 400)
                let secondPayload = await Harness.collect(collector)
                let second = try #require(secondPayload.schema?.first)
                // A second visit without an interval was a baseline: its errors say why (CI saw it once, PG 14).
                #expect(second.intervalSeconds != nil, "errors: \(secondPayload.errors)")
                let hot = try #require(second.tables.first)
                #expect(hot.relname == "hot")
                #expect(hot.reasons.first == "top")
                #expect(hot.counters.deltas?["n_tup_ins"] == 300)
                #expect(hot.counters.totals["n_tup_ins"] == 400)
                #expect(second.tables.count + (second.tablesOther?.count ?? 0) == 7)
                #expect(second.tablesOther?.deltas?["n_tup_ins"] == 0)
                Self.expectNoNegative(second)

                // A table dropped and made again under the same name, and a per-table reset: neither
                // gives a negative or inflated delta.
                try await Harness.exec(cluster, "DROP TABLE cold1", database: database)
                try await Harness.exec(cluster, "CREATE TABLE cold1 (id int)", database: database)
                try await Harness.exec(cluster, "INSERT INTO cold1 SELECT generate_series(1, 50)", database: database)
                try await Harness.exec(cluster, "SELECT pg_stat_reset_single_table_counters('hot'::regclass)", database: database)
                try await Self.waitForInserts(cluster, database, "cold1", 50)
                let thirdPayload = await Harness.collect(collector)
                let third = try #require(thirdPayload.schema?.first)
                Self.expectNoNegative(third)
                let sentInserts: Double = third.tables.compactMap { $0.counters.deltas?["n_tup_ins"] }.reduce(0, +)
                let inserted = sentInserts + (third.tablesOther?.deltas?["n_tup_ins"] ?? 0)
                let moved = third.tables.filter { ($0.counters.deltas?["n_tup_ins"] ?? 0) != 0 }.map(\.relname)
                #expect(inserted == 0, "the new cold1's 50 rows have no earlier count to be a delta of; moved: \(moved)")
                let resetHot = third.tables.first { $0.relname == "hot" }
                #expect(resetHot == nil || resetHot?.counters.deltas == nil)
                try PayloadSchema.expectValid([first, secondPayload, thirdPayload].map(PayloadSchema.json),
                                              "visits on \(cluster.name)")
            }
        }
    }

    /// A migration holding an `AccessExclusiveLock`: the visit does not queue behind it, leaves that
    /// table's size out and still measures the others.
    @Test("a table under an AccessExclusiveLock is counted, not sized, and the visit does not wait", arguments: Harness.preloaded)
    func lockedTableIsSkipped(cluster: TestClusters.Cluster) async throws {
        try await Self.withDatabase(cluster) { database in
            for sql in ["CREATE TABLE migrating (id int)", "CREATE TABLE calm (id int)",
                        "INSERT INTO migrating SELECT generate_series(1, 1000)", "INSERT INTO calm SELECT generate_series(1, 500)",
                        // Two partial indexes of one column: comparing their predicates opens the table.
                        "CREATE INDEX m_low ON migrating (id) WHERE id < 10", "CREATE INDEX m_high ON migrating (id) WHERE id > 10",
                        // A sequence the role may read, which the migration alters (ShareRowExclusiveLock).
                        "CREATE SEQUENCE altered", "GRANT SELECT ON SEQUENCE altered TO \(Harness.clusters.monitorUser)"] {
                try await Harness.exec(cluster, sql, database: database)
            }
            try await Self.waitForInserts(cluster, database, "calm", 500)
            try await Self.waitForInserts(cluster, database, "migrating", 1000)
            let migration = try await Harness.session(cluster, database: database)
            _ = try await migration.query("BEGIN", logger: Harness.logger).collect()
            _ = try await migration.query("LOCK TABLE migrating IN ACCESS EXCLUSIVE MODE", logger: Harness.logger).collect()
            _ = try await migration.query("ALTER SEQUENCE altered RESTART WITH 5", logger: Harness.logger).collect()
            do {
                try await Harness.withAgentClient(try Harness.agentSettings(cluster)) { agent in
                    let collector = Harness.snapshotCollector(agent, settings: try Self.settings([database], stateDirectory: nil))
                    let payload = await Harness.collect(collector)
                    let visit = try #require(payload.schema?.first, "errors: \(payload.errors)")
                    #expect(visit.complete)
                    #expect(visit.skippedLocked == 1)
                    let locked = try #require(visit.tables.first { $0.relname == "migrating" })
                    #expect(locked.tableBytes == nil)
                    #expect(locked.nLiveTup == 1000, "statistics need no lock")
                    #expect((visit.tables.first { $0.relname == "calm" }?.tableBytes ?? 0) > 0,
                            "the other tables are sized: the page was not read again without sizes")
                    #expect(payload.errors.filter { $0.collector == "schema" }.isEmpty, "\(payload.errors)")
                }
            } catch {
                try? await migration.close()
                throw error
            }
            _ = try await migration.query("ROLLBACK", logger: Harness.logger).collect()
            try await migration.close()
        }
    }

    @Test("a database that cannot be entered is an error with the fix; the others still ship", arguments: Harness.preloaded)
    func closedDatabase(cluster: TestClusters.Cluster) async throws {
        try await Self.withDatabase(cluster) { open in
            try await Self.withDatabase(cluster) { closed in
                try await Self.withDatabase(cluster) { full in
                    try await Harness.exec(cluster, "REVOKE CONNECT ON DATABASE \(closed) FROM PUBLIC", database: "postgres")
                    // No connection slot left: the server refuses with 53300, as when max_connections is reached.
                    try await Harness.exec(cluster, "ALTER DATABASE \(full) CONNECTION LIMIT 0", database: "postgres")
                    try await Harness.withAgentClient(try Harness.agentSettings(cluster)) { agent in
                        let settings = try Self.settings([closed, "no_such_database", full, open], stateDirectory: nil)
                        let payload = await Harness.collect(Harness.snapshotCollector(agent, settings: settings))
                        #expect(payload.schema?.map(\.datname) == [open])
                        let denied = try #require(payload.errors.first { $0.collector == "schema" && $0.message.contains(closed) })
                        #expect(denied.code == "insufficient_privilege")
                        #expect(denied.hint?.contains("GRANT CONNECT ON DATABASE \(closed)") == true)
                        #expect(payload.errors.contains { $0.code == "not_found" && $0.message.contains("no_such_database") })
                        let refused = try #require(payload.errors.first { $0.collector == "schema" && $0.message.contains(full) })
                        #expect(refused.code == "connection_failed")
                        #expect(refused.message.contains("53300"), "\(refused)")
                        #expect(refused.hint != nil)
                    }
                }
            }
        }
    }

    @Test("delta state survives an agent restart; a visit whose snapshot was lost leaves its interval to the next",
          arguments: Harness.preloaded)
    func stateAcrossRestarts(cluster: TestClusters.Cluster) async throws {
        try await Self.withDatabase(cluster) { database in
            try await Harness.exec(cluster, "CREATE TABLE t (id int)", database: database)
            let state = Self.stateDirectory()
            defer { try? FileManager.default.removeItem(atPath: state) }
            let settings = try Self.settings([database], stateDirectory: state)
            try await Harness.withAgentClient(try Harness.agentSettings(cluster)) { agent in
                let first = await Harness.collect(Harness.snapshotCollector(agent, settings: settings))
                #expect(first.schema?.first?.tablesTotal == 1, "errors: \(first.errors)")
            }
            try await Harness.exec(cluster, "INSERT INTO t SELECT generate_series(1, 70)", database: database)
            try await Self.waitForInserts(cluster, database, "t", 70)
            try await Harness.withAgentClient(try Harness.agentSettings(cluster)) { agent in
                let collector = Harness.snapshotCollector(agent, settings: settings)
                // Collected, then lost (never stored): not committed.
                let lost = await collector.collect(now: .now, wallClock: Date().timeIntervalSince1970)
                let afterRestart = try #require(lost.schema?.first, "errors: \(lost.errors)")
                #expect(lost.errors.isEmpty, "\(lost.errors)")
                #expect(afterRestart.intervalSeconds != nil, "the first visit after a restart is already a delta")
                #expect(afterRestart.tables.first?.counters.deltas?["n_tup_ins"] == 70)
                try await Harness.exec(cluster, "INSERT INTO t SELECT generate_series(1, 5)", database: database)
                try await Self.waitForInserts(cluster, database, "t", 75)
                let nextPayload = await Harness.collect(collector)
                let next = try #require(nextPayload.schema?.first)
                #expect(next.tables.first?.counters.deltas?["n_tup_ins"] == 75, "the lost visit's 70 and this one's 5")
            }
        }
    }

    @Test("bloat by pgstattuple_approx where installed, and a sequence near its end", arguments: Harness.preloaded)
    func bloatAndSequences(cluster: TestClusters.Cluster) async throws {
        try await Self.withDatabase(cluster) { database in
            for sql in [
                "CREATE EXTENSION pgstattuple",
                "CREATE TABLE big (id int, pad text) WITH (autovacuum_enabled = off)",
                "INSERT INTO big SELECT g, repeat('x', 100) FROM generate_series(1, 20000) g",
                "DELETE FROM big WHERE id % 2 = 0",
                "CREATE SEQUENCE nearly MAXVALUE 100", "SELECT setval('nearly', 90)",
                "CREATE SEQUENCE roomy", "SELECT setval('roomy', 90)",
                "GRANT SELECT ON SEQUENCE nearly, roomy TO \(Harness.clusters.monitorUser)",
                "CREATE SEQUENCE hidden MAXVALUE 100", "SELECT setval('hidden', 99)",
            ] { try await Harness.exec(cluster, sql, database: database) }
            // Backends flush their statistics a moment after they end: the table must show its rows.
            try await Self.waitForInserts(cluster, database, "big", 20000)
            try await Self.waitForInserts(cluster, database, "big", 10000, column: "n_tup_del")
            try await Harness.withAgentClient(try Harness.agentSettings(cluster)) { agent in
                let payload = await Harness.collect(Harness.snapshotCollector(
                    agent, settings: try Self.settings([database], stateDirectory: nil)))
                let visit = try #require(payload.schema?.first, "errors: \(payload.errors)")
                #expect(visit.bloatMethod == "pgstattuple_approx")
                let big = try #require(visit.tables.first { $0.relname == "big" })
                let bloat = try #require(big.bloat, "errors: \(payload.errors)")
                #expect(bloat.tableBytes >= 1 << 20)
                #expect(bloat.deadTuplePercent > 20)
                #expect(visit.sequences.map(\.sequencename) == ["nearly"])
                let nearly = try #require(visit.sequences.first)
                #expect(nearly.lastValue == 90 && nearly.maxValue == 100)
                #expect(abs(nearly.usedPercent - 89 * 100 / 99.0) < 0.01)
                #expect(visit.sequencesHidden == 1)
            }
        }
    }
}
