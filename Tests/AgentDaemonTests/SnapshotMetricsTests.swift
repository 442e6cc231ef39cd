import AgentDaemon
import AgentSchema
import Foundation
import Testing

/// What a snapshot puts on `/metrics` beyond the database-wide families: per-table statistics from the
/// visits, the statements, replication lag and the postmaster's start.
@Suite struct SnapshotMetricsTests {
    static let server = "127.0.0.1:5432"

    static func payload(inRecovery: Bool = false, replayAge: Double? = nil) -> SnapshotPayload {
        var payload = SnapshotPayload(timestamp: 1_000, project: "p",
                                      agent: AgentInfo(version: "t", hostname: "h", instance: "main"))
        var info = ServerInfo(version: "17.2", versionNum: 170_002, inRecovery: inRecovery, startTime: 900,
                              systemIdentifier: nil, dataDirectory: nil, now: 1_000)
        info.replayAgeSeconds = replayAge
        payload.server = info
        return payload
    }

    static func total(_ queryid: Int64, calls: Double, ms: Double, query: String? = nil) -> StatementTotal {
        StatementTotal(queryid: queryid, user: "app", datname: "shop", query: query, calls: calls, totalExecTimeMs: ms,
                       rows: calls, blkReadTimeMs: 0, blkWriteTimeMs: 0)
    }

    static func table(_ name: String, inserted: Double, dead: Int64) -> TableRow {
        var row = TableRow(relid: 1, schemaname: "public", relname: name,
                           counters: CounterSet(totals: ["n_tup_ins": inserted, "heap_blks_hit": 7]))
        row.nDeadTup = dead
        return row
    }

    static func visit(_ datname: String, _ tables: [TableRow]) -> SchemaVisit {
        var visit = SchemaVisit(datname: datname, durationMs: 1, complete: true, tablesTotal: tables.count, indexesTotal: 0,
                                skippedLocked: 0)
        visit.tables = tables
        return visit
    }

    static func labels(_ pairs: (String, String)...) -> [(String, String)] { pairs }

    @Test func statementCountersAreTheServersTotalsAndDropOnlyWithThem() async {
        let registry = MetricsRegistry()
        let metrics = SnapshotMetrics(registry: registry, multipleServers: false, statementTextLength: 13)
        let key = Self.labels(("user", "app"), ("datname", "shop"), ("queryid", "-42"), ("server", Self.server))
        var payload = Self.payload()
        payload.statementTotals = [Self.total(-42, calls: 10, ms: 2_500, query: "SELECT a,\n  b FROM t WHERE x = $1")]
        metrics.publish(payload, server: Self.server)
        #expect(registry.value("pg_stat_statements_calls_total", labels: key) == 10)
        #expect(registry.value("pg_stat_statements_seconds_total", labels: key) == 2.5)
        let text = await registry.render()
        #expect(text.contains(#"pg_stat_statements_query_id{queryid="-42",query="SELECT a, b F",server="127.0.0.1:5432"} 1"#),
                "one line, cut to 13 characters")

        // A baseline or a failed statements part (no totals) leaves the series as they were.
        payload.statementTotals = nil
        metrics.publish(payload, server: Self.server)
        #expect(registry.value("pg_stat_statements_calls_total", labels: key) == 10)

        // The server's counters grew, then were reset: the counter follows both ways.
        payload.statementTotals = [Self.total(-42, calls: 15, ms: 3_000)]
        metrics.publish(payload, server: Self.server)
        #expect(registry.value("pg_stat_statements_calls_total", labels: key) == 15)
        payload.statementTotals = [Self.total(-42, calls: 2, ms: 100)]
        metrics.publish(payload, server: Self.server)
        #expect(registry.value("pg_stat_statements_calls_total", labels: key) == 2)
        #expect(!(await registry.render()).contains("pg_stat_statements_query_id{"), "no text known, no text series")

        // A statement that left the top N leaves /metrics.
        payload.statementTotals = [Self.total(7, calls: 1, ms: 1)]
        metrics.publish(payload, server: Self.server)
        #expect(registry.value("pg_stat_statements_calls_total", labels: key) == nil)
    }

    @Test func noTextSeriesWhenTheLengthIsZero() async {
        let registry = MetricsRegistry()
        let metrics = SnapshotMetrics(registry: registry, multipleServers: false, statementTextLength: 0)
        var payload = Self.payload()
        payload.statementTotals = [Self.total(1, calls: 1, ms: 1, query: "SELECT 1")]
        metrics.publish(payload, server: Self.server)
        #expect(!(await registry.render()).contains("pg_stat_statements_query_id{"))
    }

    @Test func tablesOfEveryVisitedDatabaseStandUntilTheirNextVisit() {
        let registry = MetricsRegistry()
        let metrics = SnapshotMetrics(registry: registry, multipleServers: false)
        func key(_ datname: String, _ relname: String) -> [(String, String)] {
            Self.labels(("datname", datname), ("relname", relname), ("schemaname", "public"), ("server", Self.server))
        }
        var payload = Self.payload()
        payload.schema = [Self.visit("shop", [Self.table("orders", inserted: 300, dead: 4)])]
        metrics.publish(payload, server: Self.server)
        payload.schema = [Self.visit("crm", [Self.table("leads", inserted: 5, dead: 0)])]
        metrics.publish(payload, server: Self.server)
        // A cycle without visits keeps both databases' tables.
        payload.schema = nil
        metrics.publish(payload, server: Self.server)
        #expect(registry.value("pg_stat_user_tables_n_tup_ins", labels: key("shop", "orders")) == 300)
        #expect(registry.value("pg_stat_user_tables_n_dead_tup", labels: key("shop", "orders")) == 4)
        #expect(registry.value("pg_statio_user_tables_heap_blks_hit", labels: key("crm", "leads")) == 7)
        #expect(registry.value("pg_stat_user_tables_last_vacuum", labels: key("crm", "leads")) == 0, "never vacuumed: 0")

        // shop's next visit no longer sends orders: its series go, crm's stay.
        payload.schema = [Self.visit("shop", [Self.table("items", inserted: 1, dead: 0)])]
        metrics.publish(payload, server: Self.server)
        #expect(registry.value("pg_stat_user_tables_n_tup_ins", labels: key("shop", "orders")) == nil)
        #expect(registry.value("pg_stat_user_tables_n_tup_ins", labels: key("shop", "items")) == 1)
        #expect(registry.value("pg_stat_user_tables_n_tup_ins", labels: key("crm", "leads")) == 5)

        // A server that is no longer watched takes its tables along, and does not bring them back.
        metrics.forget(server: Self.server)
        #expect(registry.value("pg_stat_user_tables_n_tup_ins", labels: key("crm", "leads")) == nil)
        payload.schema = [Self.visit("shop", [Self.table("items", inserted: 2, dead: 0)])]
        metrics.publish(payload, server: Self.server)
        #expect(registry.value("pg_stat_user_tables_n_tup_ins", labels: key("crm", "leads")) == nil)
    }

    @Test func replicationLagIsZeroOnAPrimaryAndTheReplayAgeOnAStandby() {
        let registry = MetricsRegistry()
        let metrics = SnapshotMetrics(registry: registry, multipleServers: false)
        let scope = Self.labels(("server", Self.server))
        metrics.publish(Self.payload(), server: Self.server)
        #expect(registry.value("pg_replication_lag", labels: scope) == 0)
        #expect(registry.value("pg_postmaster_start_time_seconds", labels: scope) == 900)
        metrics.publish(Self.payload(inRecovery: true, replayAge: 12.5), server: Self.server)
        #expect(registry.value("pg_replication_lag", labels: scope) == 12.5)
        metrics.publish(Self.payload(inRecovery: true, replayAge: nil), server: Self.server)
        #expect(registry.value("pg_replication_lag", labels: scope) == nil, "a standby that replayed nothing has no lag to show")
    }

    /// Settings are written again only when the list changed; a change shows at once.
    @Test func aChangedSettingShowsItsNewValue() {
        let registry = MetricsRegistry()
        let metrics = SnapshotMetrics(registry: registry, multipleServers: false)
        let scope = Self.labels(("server", Self.server))
        var payload = Self.payload()
        payload.numericSettings = [NumericSetting(name: "work_mem", setting: "4096", unit: "kB", vartype: "integer")]
        metrics.publish(payload, server: Self.server)
        metrics.publish(payload, server: Self.server)
        #expect(registry.value("pg_settings_work_mem_bytes", labels: scope) == 4_194_304)
        payload.numericSettings = [NumericSetting(name: "work_mem", setting: "8192", unit: "kB", vartype: "integer")]
        metrics.publish(payload, server: Self.server)
        #expect(registry.value("pg_settings_work_mem_bytes", labels: scope) == 8_388_608)
        // After the server was forgotten, the same list is written again.
        metrics.forget(server: Self.server)
        #expect(registry.value("pg_settings_work_mem_bytes", labels: scope) == nil)
        metrics.publish(payload, server: Self.server)
        #expect(registry.value("pg_settings_work_mem_bytes", labels: scope) == 8_388_608)
    }
}
