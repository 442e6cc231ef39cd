import AgentSchema
import Collectors
import PostgresNIO
import TestSupport
import Testing

/// The `database` part's other views against real servers, PG 14 through 18, as the `pg_monitor`-only
/// role: `pg_stat_io` (PG 16+), the archiver, the WAL receiver, slot statistics and subscriptions.
///
/// Serialized: the slot and the subscription a test creates would show in its neighbours' snapshots.
@Suite(.serialized, .timeLimit(.minutes(3))) struct DatabaseViewsTests {
    @Test("pg_stat_io deltas, the archiver, no WAL receiver on a primary", arguments: Harness.preloaded)
    func ioAndArchiver(cluster: TestClusters.Cluster) async throws {
        let table = Harness.unique("io_probe")
        try await Harness.withAgentClient(try Harness.agentSettings(cluster)) { agent in
            let collector = Harness.snapshotCollector(agent, settings: try Harness.collectorSettings())
            let first = await Harness.collect(collector)
            let firstStats = try #require(first.database)
            #expect(firstStats.walReceiver == nil, "a primary has no WAL receiver")
            let firstArchiver = try #require(firstStats.archiver)
            #expect(firstArchiver.counters.totals["archived_count"] != nil)
            #expect(firstArchiver.counters.totals["failed_count"] != nil)
            #expect(firstArchiver.counters.deltas == nil, "a baseline has no deltas")
            if cluster.major >= 16 {
                let io = try #require(firstStats.io)
                #expect(!io.isEmpty)
                for row in io {
                    #expect(row.counters.deltas == nil, "a baseline has no deltas")
                    #expect(row.counters.totals.values.contains { $0 != 0 }, "rows of zeros are left out")
                    #expect(row.counters.totals["op_bytes"] == nil, "op_bytes is not a counter")
                }
            } else {
                #expect(firstStats.io == nil, "pg_stat_io came with PG 16")
            }

            // Known I/O: a new table of some 5,000 rows is extended by the client backend, in the normal context.
            let before = try await Self.clientRelationExtends(cluster)
            try await Harness.exec(cluster, "CREATE TABLE \(table) (id int, pad text)")
            try await Harness.exec(cluster, "INSERT INTO \(table) SELECT g, repeat('x', 100) FROM generate_series(1, 5000) g")
            if cluster.major >= 16 {
                // A backend flushes its I/O statistics when it exits, after the client has gone.
                try await Harness.eventually("the inserts' extends visible in pg_stat_io") {
                    try await Self.clientRelationExtends(cluster) > before
                }
            }

            let second = await Harness.collect(collector)
            let stats = try #require(second.database)
            #expect(second.errors.isEmpty, "\(second.errors)")
            #expect(stats.walReceiver == nil, "a primary has no WAL receiver")
            let archiver = try #require(stats.archiver)
            #expect(archiver.counters.deltas?["archived_count"] == 0, "archive_mode is off")
            #expect(archiver.counters.deltas?["failed_count"] == 0)
            if cluster.major >= 16 {
                let io = try #require(stats.io)
                for row in io {
                    let deltas = try #require(row.counters.deltas,
                                              "\(row.backendType)/\(row.object)/\(row.context): no reset, so deltas")
                    #expect(deltas.values.allSatisfy { $0 >= 0 })
                    #expect(row.counters.totals.values.contains { $0 != 0 })
                }
                let client = try #require(io.first {
                    $0.backendType == "client backend" && $0.object == "relation" && $0.context == "normal"
                })
                #expect((client.counters.deltas?["extends"] ?? 0) > 0, "the inserts extended the table")
                #expect((client.counters.totals["extends"] ?? 0) >= (client.counters.deltas?["extends"] ?? 0))
            } else {
                #expect(stats.io == nil)
            }
            try PayloadSchema.expectValid([first, second].map(PayloadSchema.json),
                                          "PG \(cluster.major) snapshots with pg_stat_io and the archiver")
        }
        try await Harness.exec(cluster, "DROP TABLE \(table)")
    }

    @Test("slot statistics and subscriptions", arguments: Harness.preloaded)
    func slotsAndSubscriptions(cluster: TestClusters.Cluster) async throws {
        let slot = Harness.unique("agent_test_slot")
        let subscription = Harness.unique("agent_test_sub")
        // The test clusters run with wal_level = replica: a logical slot needs logical, which we do not
        // switch on here. A physical slot then checks that slots without statistics have none.
        let logical = try await Self.text(cluster, "SELECT current_setting('wal_level')") == "logical"
        if logical {
            try await Harness.exec(cluster, "SELECT pg_create_logical_replication_slot('\(slot)', 'test_decoding')")
        } else {
            try await Harness.exec(cluster, "SELECT pg_create_physical_replication_slot('\(slot)')")
        }
        var failure: (any Error)?
        do {
            try await Harness.exec(cluster, """
                CREATE SUBSCRIPTION \(subscription) CONNECTION 'dbname=nonexistent' PUBLICATION p
                WITH (connect = false)
                """)
            try await Harness.withAgentClient(try Harness.agentSettings(cluster)) { agent in
                let collector = Harness.snapshotCollector(agent, settings: try Harness.collectorSettings())
                let first = await Harness.collect(collector)
                let second = await Harness.collect(collector)
                #expect(second.errors.isEmpty, "\(second.errors)")
                let stats = try #require(second.database)

                let slotRow = try #require(stats.replicationSlots.first { $0.slotName == slot })
                if logical {
                    #expect(slotRow.slotType == "logical")
                    let slotStats = try #require(slotRow.stats, "a logical slot has a pg_stat_replication_slots row")
                    #expect(slotStats.totals["total_txns"] != nil)
                    #expect(slotStats.totals["slot_name"] == nil && slotStats.totals["stats_reset"] == nil)
                    let slotDeltas = try #require(slotStats.deltas, "no reset between the two snapshots")
                    #expect(slotDeltas.values.allSatisfy { $0 >= 0 })
                } else {
                    #expect(slotRow.slotType == "physical")
                    #expect(slotRow.stats == nil, "only logical slots have statistics")
                }

                let subscriptionRow = try #require(stats.subscriptions.first { $0.subname == subscription })
                #expect(subscriptionRow.datname == "app")
                #expect(subscriptionRow.workers == 0, "connect = false leaves it disabled")
                #expect(subscriptionRow.receivedLsn == nil)
                if cluster.major >= 15 {
                    let counters = try #require(subscriptionRow.counters)
                    #expect(counters.totals["apply_error_count"] == 0)
                    #expect(counters.totals["sync_error_count"] == 0)
                    #expect(counters.totals["subid"] == nil, "the oid is not a counter")
                    #expect(counters.deltas?["apply_error_count"] == 0)
                    let conflicts = counters.totals.keys.filter { $0.hasPrefix("confl_") }
                    #expect(conflicts.isEmpty == (cluster.major < 18), "PG 18 counts conflicts: \(conflicts)")
                } else {
                    #expect(subscriptionRow.counters == nil, "pg_stat_subscription_stats came with PG 15")
                }
                try PayloadSchema.expectValid([first, second].map(PayloadSchema.json),
                                              "PG \(cluster.major) snapshots with a slot and a subscription")
            }
        } catch {
            failure = error
        }
        try? await Harness.exec(cluster, "ALTER SUBSCRIPTION \(subscription) DISABLE")
        try? await Harness.exec(cluster, "ALTER SUBSCRIPTION \(subscription) SET (slot_name = NONE)")
        try? await Harness.exec(cluster, "DROP SUBSCRIPTION IF EXISTS \(subscription)")
        try await Harness.exec(cluster, "SELECT pg_drop_replication_slot('\(slot)')")
        if let failure { throw failure }
    }

    // MARK: - helpers

    /// Relation blocks that client backends extended in the normal context (`pg_stat_io`, PG 16+; 0 before).
    static func clientRelationExtends(_ cluster: TestClusters.Cluster) async throws -> Int64 {
        guard cluster.major >= 16 else { return 0 }
        let value = try await text(cluster, """
            SELECT coalesce(sum(extends), 0)::text FROM pg_stat_io
            WHERE backend_type = 'client backend' AND object = 'relation' AND context = 'normal'
            """)
        return Int64(value ?? "") ?? 0
    }

    /// The first column of the first row of `sql`, run as superuser in `app`.
    static func text(_ cluster: TestClusters.Cluster, _ sql: String) async throws -> String? {
        let connection = try await Harness.session(cluster)
        let rows = try await connection.query(PostgresQuery(unsafeSQL: sql), logger: Harness.logger).collect()
        try await connection.close()
        return try rows.first?.decode(String.self)
    }
}
