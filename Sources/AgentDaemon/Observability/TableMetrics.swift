import AgentSchema
import Synchronization

/// `pg_stat_user_tables_*` and `pg_statio_user_tables_*` on `/metrics`, under the names, types and labels
/// of the `pg_stat_user_tables` and `pg_statio_user_tables` queries Debian ships with
/// prometheus-postgres-exporter (`examples/queries.yaml`): labels `datname`, `schemaname`, `relname`, and
/// `server`.
///
/// The figures come from the database visits (`[postgres] databases`), so they cover every visited
/// database (the exporter's query sees only the one it is connected to), but only the tables a visit
/// sends: the top N by activity and the ones past a warning line (`[collectors] top_tables`). Each
/// database's tables stand until its next visit replaces them. Counters are the server's totals.
final class TableMetrics: Sendable {
    /// `pg_stat_user_tables` counters exported as `pg_stat_user_tables_<column>`.
    static let counters = [
        "seq_scan", "seq_tup_read", "idx_scan", "idx_tup_fetch", "n_tup_ins", "n_tup_upd", "n_tup_del", "n_tup_hot_upd",
        "vacuum_count", "autovacuum_count", "analyze_count", "autoanalyze_count",
    ]

    /// `pg_statio_user_tables` counters exported as `pg_statio_user_tables_<column>`.
    static let ioCounters = [
        "heap_blks_read", "heap_blks_hit", "idx_blks_read", "idx_blks_hit", "toast_blks_read", "toast_blks_hit",
        "tidx_blks_read", "tidx_blks_hit",
    ]

    /// Gauges of `pg_stat_user_tables`: the tuple estimates, and the last maintenance times as epoch
    /// seconds (0 when never, as the exporter's query writes 1970-01-01).
    static let gauges: [(name: String, help: String, value: @Sendable (TableRow) -> Double?)] = [
        ("n_live_tup", "Estimated number of live rows.", { $0.nLiveTup.map(Double.init) }),
        ("n_dead_tup", "Estimated number of dead rows.", { $0.nDeadTup.map(Double.init) }),
        ("n_mod_since_analyze", "Estimated number of rows changed since last analyze.", { $0.nModSinceAnalyze.map(Double.init) }),
        ("last_vacuum", "Last time this table was manually vacuumed, epoch seconds (0: never).", { $0.lastVacuum ?? 0 }),
        ("last_autovacuum", "Last time autovacuum vacuumed this table, epoch seconds (0: never).", { $0.lastAutovacuum ?? 0 }),
        ("last_analyze", "Last time this table was manually analyzed, epoch seconds (0: never).", { $0.lastAnalyze ?? 0 }),
        ("last_autoanalyze", "Last time autovacuum analyzed this table, epoch seconds (0: never).", { $0.lastAutoanalyze ?? 0 }),
    ]

    /// Every family, with its kind and help.
    static var families: [(String, MetricsRegistry.Kind, String)] {
        counters.map { ("pg_stat_user_tables_\($0)", .counter, "pg_stat_user_tables.\($0), the server's total.") }
            + ioCounters.map { ("pg_statio_user_tables_\($0)", .counter, "pg_statio_user_tables.\($0), the server's total.") }
            + gauges.map { ("pg_stat_user_tables_\($0.name)", .gauge, $0.help) }
    }

    private let registry: MetricsRegistry
    /// The last visit's tables of each server (by `server` label) and database.
    private let visited = Mutex<[String: [String: [TableRow]]]>([:])

    init(registry: MetricsRegistry) {
        self.registry = registry
        for (name, kind, help) in Self.families { registry.declare(name, kind, help: help) }
    }

    /// Takes in the visits of one snapshot of `server` and rewrites that server's series.
    func publish(_ visits: [SchemaVisit], server: String) {
        guard !visits.isEmpty else { return }
        let databases = visited.withLock { visited -> [String: [TableRow]] in
            for visit in visits { visited[server, default: [:]][visit.datname] = visit.tables }
            return visited[server] ?? [:]
        }
        var samples: [String: [(labels: [(String, String)], value: Double)]] = [:]
        for (datname, tables) in databases {
            for table in tables {
                let labels = [("datname", datname), ("relname", table.relname), ("schemaname", table.schemaname),
                              ("server", server)]
                // A counter the server leaves NULL (idx_* of a table without indexes, toast_* and tidx_* of one
                // without TOAST) counted nothing: 0. The exporter writes NaN, which a swift-prometheus
                // counter cannot hold.
                for column in Self.counters {
                    samples["pg_stat_user_tables_\(column)", default: []].append((labels, table.counters.totals[column] ?? 0))
                }
                for column in Self.ioCounters {
                    samples["pg_statio_user_tables_\(column)", default: []].append((labels, table.counters.totals[column] ?? 0))
                }
                for gauge in Self.gauges {
                    guard let value = gauge.value(table) else { continue }
                    samples["pg_stat_user_tables_\(gauge.name)", default: []].append((labels, value))
                }
            }
        }
        for (name, _, _) in Self.families {
            registry.replace(name, with: samples[name] ?? [], scope: ("server", server))
        }
    }

    /// Drops what is kept of `server` (its series are removed by the caller).
    func forget(server: String) {
        visited.withLock { $0[server] = nil }
    }
}
