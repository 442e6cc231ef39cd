package import AgentSchema
package import Collectors
import Foundation
import Synchronization

/// The last snapshot of each server on `/metrics`, under the names, types and labels of Debian's
/// prometheus-postgres-exporter (0.11), so dashboards built for it read the agent unchanged.
///
/// A scrape never queries the database: each snapshot cycle publishes its payload here, and
/// `pgagent_snapshot_age_seconds` says how old the figures are. Cumulative server counters are exported
/// as the server's own totals (not the payload's deltas), so a counter goes down only when the server's
/// did (a statistics reset, a restart). Every `pg_` series carries `server` (`host:port`), as the
/// exporter's do; `pg_up` carries it only when the agent watches more than one server.
///
/// Covered so far: `pg_up`, `pg_stat_database_*` (the counters of `pg_stat_database` and
/// `numbackends`), `pg_stat_database_conflicts_*`, `pg_settings_*` (every bool, integer and real
/// setting), `pg_locks_count`, `pg_database_size_bytes`, `pg_stat_activity_count` and
/// `pg_stat_activity_max_tx_duration`, `pg_stat_bgwriter_*_total` (PG 17's `pg_stat_checkpointer`
/// columns under their former names), `pg_stat_archiver_*`, `pg_postmaster_start_time_seconds`,
/// `pg_replication_lag`, `pg_stat_user_tables_*` and `pg_statio_user_tables_*` (``TableMetrics``), and
/// `pg_stat_statements_*` (``StatementMetrics``). The exporter families not yet covered are
/// listed, with the reason, in the test that compares the two (`ExporterNamesTests`).
package final class SnapshotMetrics: Sendable {
    /// `pg_stat_database` counters exported as `pg_stat_database_<column>`.
    static let databaseCounters = [
        "xact_commit", "xact_rollback", "blks_read", "blks_hit", "tup_returned", "tup_fetched", "tup_inserted",
        "tup_updated", "tup_deleted", "conflicts", "temp_files", "temp_bytes", "deadlocks", "blk_read_time",
        "blk_write_time",
    ]

    /// `pg_stat_bgwriter_<name>_total` and the columns it comes from: PG ≤ 16's `pg_stat_bgwriter`
    /// names, then PG 17's `pg_stat_checkpointer` ones.
    static let bgwriterCounters: [(name: String, columns: [String])] = [
        ("checkpoints_timed", ["checkpoints_timed", "num_timed"]),
        ("checkpoints_req", ["checkpoints_req", "num_requested"]),
        ("checkpoint_write_time", ["checkpoint_write_time", "write_time"]),
        ("checkpoint_sync_time", ["checkpoint_sync_time", "sync_time"]),
        ("buffers_checkpoint", ["buffers_checkpoint", "buffers_written"]),
        ("buffers_clean", ["buffers_clean"]),
        ("maxwritten_clean", ["maxwritten_clean"]),
        ("buffers_backend", ["buffers_backend"]),
        ("buffers_backend_fsync", ["buffers_backend_fsync"]),
        ("buffers_alloc", ["buffers_alloc"]),
    ]

    /// `pg_stat_database_conflicts` columns exported as `pg_stat_database_conflicts_<column>`.
    static let conflictCounters = ["confl_tablespace", "confl_lock", "confl_snapshot", "confl_bufferpin", "confl_deadlock"]

    /// The lock modes postgres_exporter lists for every database, with 0 where none is held.
    static let lockModes = [
        "accessexclusivelock", "accesssharelock", "exclusivelock", "rowexclusivelock", "rowsharelock", "sharelock",
        "sharerowexclusivelock", "shareupdateexclusivelock", "sireadlock",
    ]

    /// The states postgres_exporter lists for every database, with 0 where no session is in it.
    static let activityStates = [
        "active", "idle", "idle in transaction", "idle in transaction (aborted)", "fastpath function call", "disabled",
    ]

    /// Every family this publisher writes, with its kind and help.
    static var families: [(String, MetricsRegistry.Kind, String)] {
        var families: [(String, MetricsRegistry.Kind, String)] = [
            ("pg_up", .gauge, "Whether the last snapshot reached the server (1) or not (0)."),
            ("pgagent_snapshot_age_seconds", .gauge, "Seconds since the snapshot the pg_ figures come from, per server."),
            ("pg_stat_database_numbackends", .gauge, "Number of backends currently connected to this database."),
            ("pg_database_size_bytes", .gauge, "Disk space used by the database (measured every database_size_interval_seconds)."),
            ("pg_stat_activity_count", .gauge, "Number of connections in this state."),
            ("pg_stat_activity_max_tx_duration", .gauge, "Longest open transaction of a connection in this state, seconds."),
            ("pg_stat_archiver_archived_count", .counter, "WAL files successfully archived."),
            ("pg_stat_archiver_failed_count", .counter, "Failed attempts to archive WAL files."),
            ("pg_stat_archiver_last_archive_age", .gauge, "Seconds since the last WAL file was archived."),
            ("pg_locks_count", .gauge, "Number of locks held or awaited, per database and mode."),
            ("pg_postmaster_start_time_seconds", .gauge, "Time at which postmaster started, epoch seconds."),
            ("pg_replication_lag", .gauge,
             "Replication lag behind the primary in seconds (since the last replayed transaction); 0 on a primary."),
        ]
        for column in conflictCounters {
            families.append(("pg_stat_database_conflicts_\(column)", .counter,
                             "pg_stat_database_conflicts.\(column), the server's total."))
        }
        for column in databaseCounters {
            families.append(("pg_stat_database_\(column)", .counter, "pg_stat_database.\(column), the server's total."))
        }
        for counter in bgwriterCounters {
            families.append(("pg_stat_bgwriter_\(counter.name)_total", .counter,
                             "pg_stat_bgwriter.\(counter.name) (PG 17+: pg_stat_checkpointer), the server's total."))
        }
        return families
    }

    private let registry: MetricsRegistry
    /// Reads the host's counters under node_exporter's names at each snapshot.
    private let host: NodeMetricsReader
    /// Whether more than one server is watched (then `pg_up` carries `server`).
    private let multipleServers: Bool
    /// The server whose snapshot cycle reads the host: one host, however many servers, so /proc and the
    /// mounts are read once a cycle. The first cycle to ask takes it; it passes on when that one stops.
    private let hostReader = Mutex<String?>(nil)
    /// Epoch seconds of each server's last published snapshot, by `server` label.
    private let published = Mutex<[String: Double]>([:])
    /// The settings each server's `pg_settings_*` series show now.
    private let publishedSettings = Mutex<[String: [NumericSetting]]>([:])
    /// `pg_stat_user_tables_*` and `pg_statio_user_tables_*`, from the database visits.
    private let tables: TableMetrics
    /// `pg_stat_statements_*`.
    private let statements: StatementMetrics

    /// Declares the families in `registry` and refreshes the snapshots' age at each scrape;
    /// `statementTextLength` is `[metrics] statement_text_length`; `statvfs` measures the mounts (the
    /// daemon's ``StatvfsGuard``: a hard NFS mount whose server is gone must not stop the snapshot cycle
    /// that reads the host).
    package init(registry: MetricsRegistry, multipleServers: Bool, statementTextLength: Int = 120,
                 statvfs: @escaping @Sendable (String) -> ProcFileSystem.VolumeStatistics? = ProcFileSystem.systemStatvfs) {
        self.registry = registry
        self.host = NodeMetricsReader(fileSystem: ProcFileSystem(statvfs: statvfs))
        self.multipleServers = multipleServers
        self.tables = TableMetrics(registry: registry)
        self.statements = StatementMetrics(registry: registry, textLength: statementTextLength)
        for (name, kind, help) in Self.families { registry.declare(name, kind, help: help) }
        for family in NodeMetricsReader.families {
            registry.declare(family.name, family.kind == .counter ? .counter : .gauge, help: family.help)
        }
        registry.onScrape { [weak self] registry in self?.refreshAge(registry) }
    }

    /// Sets `pgagent_snapshot_age_seconds` from the time of each server's last snapshot.
    private func refreshAge(_ registry: MetricsRegistry) {
        let now = Date().timeIntervalSince1970
        registry.replace("pgagent_snapshot_age_seconds", with: published.withLock { times in
            times.map { (labels: [("server", $0.key)], value: max(0, now - $0.value)) }
        })
    }

    /// The host's figures under node_exporter 1.5's names (`node_cpu_seconds_total`, `node_memory_*`,
    /// `node_load*`, `node_disk_*`, `node_network_*`, `node_filesystem_*`), read from /proc at each snapshot
    /// (``NodeMetricsReader``), by the one server's cycle that reads the host (see ``hostReader``).
    package func publishHost(from server: String) {
        guard hostReader.withLock({ owner in
            if owner == nil { owner = server }
            return owner == server
        }) else { return }
        var families: [String: [(labels: [(String, String)], value: Double)]] = [:]
        for sample in host.read() {
            if !registry.isDeclared(sample.name), let family = NodeMetricsReader.family(named: sample.name) {
                registry.declare(family.name, family.kind == .counter ? .counter : .gauge, help: family.help)
            }
            families[sample.name, default: []].append((sample.labelPairs, sample.value))
        }
        for name in families.keys.sorted() { registry.replace(name, with: families[name] ?? []) }
    }

    /// Takes the server `server`'s series off `/metrics`: its snapshots stopped (a reload removed the
    /// server or changed its address, or the daemon is stopping). Without this its last figures, `pg_up 1`
    /// among them, would stay for ever.
    package func forget(server: String) {
        published.withLock { $0[server] = nil }
        publishedSettings.withLock { $0[server] = nil }
        tables.forget(server: server)
        hostReader.withLock { owner in if owner == server { owner = nil } }
        registry.removeSeries(carrying: ("server", server))
    }

    /// Mirrors one snapshot of the server `server` (`host:port`).
    package func publish(_ payload: SnapshotPayload, server: String) {
        published.withLock { $0[server] = payload.timestamp }
        let scope = ("server", server)
        registry.set("pg_up", payload.server == nil ? 0 : 1, labels: multipleServers ? [scope] : [])
        guard let info = payload.server else { return }
        replace("pg_postmaster_start_time_seconds", [([scope], info.startTime)], server: server)
        // As the exporter's query: 0 on a primary, nothing on a standby that has replayed nothing yet.
        let lag = info.inRecovery ? info.replayAgeSeconds.map { max(0, $0) } : 0
        replace("pg_replication_lag", lag.map { [([scope], $0)] } ?? [], server: server)
        if let visits = payload.schema { tables.publish(visits, server: server) }
        if let totals = payload.statementTotals { statements.publish(totals, server: server) }

        if let stats = payload.database {
            var backends: [(labels: [(String, String)], value: Double)] = []
            var counters: [String: [(labels: [(String, String)], value: Double)]] = [:]
            var sizes: [(labels: [(String, String)], value: Double)] = []
            for row in stats.databases {
                let labels = [("datid", row.datid.map(String.init) ?? ""), ("datname", row.datname), scope]
                backends.append((labels, Double(row.numbackends)))
                for column in Self.databaseCounters {
                    guard let value = row.counters.totals[column] else { continue }
                    counters["pg_stat_database_\(column)", default: []].append((labels, value))
                }
                for column in Self.conflictCounters {
                    guard let value = row.counters.totals[column] else { continue }
                    counters["pg_stat_database_conflicts_\(column)", default: []].append((labels, value))
                }
                if let size = row.sizeBytes {
                    sizes.append(([("datname", row.datname), scope], Double(size)))
                }
            }
            replace("pg_stat_database_numbackends", backends, server: server)
            for name in Self.databaseCounters.map({ "pg_stat_database_\($0)" })
                + Self.conflictCounters.map({ "pg_stat_database_conflicts_\($0)" }) {
                replace(name, counters[name] ?? [], server: server)
            }
            // Sizes are measured every database_size_interval_seconds: between, the last ones stand.
            if !sizes.isEmpty { replace("pg_database_size_bytes", sizes, server: server) }

            let checkpointer = stats.checkpointer?.totals ?? [:]
            let bgwriter = stats.bgwriter?.totals ?? [:]
            for counter in Self.bgwriterCounters {
                let value = counter.columns.lazy.compactMap { checkpointer[$0] ?? bgwriter[$0] }.first
                replace("pg_stat_bgwriter_\(counter.name)_total", value.map { [([scope], $0)] } ?? [], server: server)
            }
            if let archiver = stats.archiver {
                replace("pg_stat_archiver_archived_count",
                        archiver.counters.totals["archived_count"].map { [([scope], $0)] } ?? [], server: server)
                replace("pg_stat_archiver_failed_count",
                        archiver.counters.totals["failed_count"].map { [([scope], $0)] } ?? [], server: server)
                // As the exporter: the age of the last archived file, 0 when none was.
                let age = archiver.lastArchivedTime.map { max(0, payload.timestamp - $0) } ?? 0
                replace("pg_stat_archiver_last_archive_age", [([scope], age)], server: server)
            }

            if let locks = payload.lockCounts {
                var samples: [(labels: [(String, String)], value: Double)] = []
                let names = Set(stats.databases.map(\.datname)).union(locks.map(\.datname)).sorted()
                for datname in names {
                    let modes = Set(Self.lockModes).union(locks.filter { $0.datname == datname }.map(\.mode))
                    for mode in modes.sorted() {
                        let count = locks.first { $0.datname == datname && $0.mode == mode }?.count ?? 0
                        samples.append(([("datname", datname), ("mode", mode), scope], Double(count)))
                    }
                }
                replace("pg_locks_count", samples, server: server)
            }

            if let activity = payload.activityByDatabase {
                var counts: [(labels: [(String, String)], value: Double)] = []
                var durations: [(labels: [(String, String)], value: Double)] = []
                let names = Set(stats.databases.map(\.datname)).union(activity.map(\.datname)).sorted()
                for datname in names {
                    let states = Set(Self.activityStates).union(activity.filter { $0.datname == datname }.map(\.state))
                    for state in states.sorted() {
                        let entry = activity.first { $0.datname == datname && $0.state == state }
                        let labels = [("datname", datname), scope, ("state", state)]
                        counts.append((labels, Double(entry?.count ?? 0)))
                        durations.append((labels, entry?.maxTransactionSeconds ?? 0))
                    }
                }
                replace("pg_stat_activity_count", counts, server: server)
                replace("pg_stat_activity_max_tx_duration", durations, server: server)
            }
        }

        // Settings seldom change: the same list as the last cycle's leaves their series as they are.
        let settings = payload.numericSettings ?? []
        let settingsChanged = publishedSettings.withLock { published in
            defer { published[server] = settings }
            return published[server] != settings
        }
        for setting in settingsChanged ? settings : [] {
            guard let (name, value) = Self.settingMetric(setting) else { continue }
            if !registry.isDeclared(name) { registry.declare(name, .gauge, help: "Server parameter \(setting.name).") }
            replace(name, [([scope], value)], server: server)
        }
    }

    /// postgres_exporter's name and value for a setting: `pg_settings_<name>`, with `_seconds` or `_bytes`
    /// and the value converted when the setting has a time or size unit (`-1`, "disabled", stays as it
    /// is); `on` is 1 and `off` 0. Nil for a unit the exporter does not know either.
    static func settingMetric(_ setting: NumericSetting) -> (name: String, value: Double)? {
        let base = "pg_settings_" + (setting.name.contains(".")
            ? String(setting.name.map { $0 == "." ? "_" : $0 }) : setting.name)
        let raw: Double
        if setting.vartype == "bool" {
            raw = setting.setting == "on" ? 1 : 0
        } else {
            guard let number = Double(setting.setting) else { return nil }
            raw = number
        }
        if setting.unit.isEmpty { return (base, raw) }
        if let factor = timeUnits[setting.unit] { return (base + "_seconds", raw == -1 ? raw : raw * factor) }
        if let factor = sizeUnits[setting.unit] { return (base + "_bytes", raw == -1 ? raw : raw * factor) }
        return nil
    }

    /// Seconds per unit of a time setting.
    static let timeUnits: [String: Double] = ["ms": 0.001, "s": 1, "min": 60, "h": 3600, "d": 86400]
    /// Bytes per unit of a size setting.
    static let sizeUnits: [String: Double] = [
        "B": 1, "kB": 1024, "MB": 1_048_576, "GB": 1_073_741_824, "TB": 1_099_511_627_776, "1kB": 1024,
        "2kB": 2048, "4kB": 4096, "8kB": 8192, "16kB": 16384, "32kB": 32768, "64kB": 65536,
        "16MB": 16_777_216, "32MB": 33_554_432, "64MB": 67_108_864,
    ]

    /// Sets `name`'s series of `server` and removes the ones of that server that are gone.
    private func replace(_ name: String, _ samples: [(labels: [(String, String)], value: Double)], server: String) {
        registry.replace(name, with: samples, scope: ("server", server))
    }
}
