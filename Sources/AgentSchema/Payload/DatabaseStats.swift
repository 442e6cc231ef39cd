/// Per-database and cluster-wide statistics (`database` in the payload).
///
/// Counter views whose columns differ between majors (`pg_stat_bgwriter`, `pg_stat_checkpointer`,
/// `pg_stat_wal`, `pg_stat_io`, `pg_stat_subscription_stats`) are carried as ``CounterSet``s keyed by the
/// server's own column names.
package struct DatabaseStats: Codable, Sendable, Equatable {
    /// Seconds between the two samples the deltas come from (server clock); nil on a baseline.
    package var intervalSeconds: Double?
    package var databases: [DatabaseRow] = []
    /// `pg_stat_checkpointer` (PG 17+) or the checkpoint columns of `pg_stat_bgwriter` (PG ≤ 16).
    package var checkpointer: CounterSet?
    /// `pg_stat_bgwriter`.
    package var bgwriter: CounterSet?
    /// `pg_stat_wal`.
    package var wal: CounterSet?
    /// `pg_stat_io` (PG 16+; nil before): the rows with a counter above zero.
    package var io: [IOStatsRow]?
    /// `pg_stat_archiver`.
    package var archiver: ArchiverStats?
    /// `pg_stat_wal_receiver`: present on a standby whose WAL receiver runs, nil on a primary.
    package var walReceiver: WALReceiverStats?
    package var replication: [ReplicationRow] = []
    package var replicationSlots: [ReplicationSlotRow] = []
    /// Logical replication subscriptions of every database (`pg_stat_subscription`,
    /// `pg_stat_subscription_stats`), sorted by database and name.
    package var subscriptions: [SubscriptionRow] = []
    /// Age of the oldest open transaction of a client backend, seconds.
    package var oldestXactAgeSeconds: Double?
    /// Largest `age(backend_xmin)` over all backends, in transactions.
    package var oldestXminAge: Int64?
    /// Largest `age(datfrozenxid)`: distance to transaction id wraparound.
    package var maxFrozenXidAge: Int64?
    /// Largest `mxid_age(datminmxid)`.
    package var maxMultiXactAge: Int64?
    /// Running VACUUMs with progress.
    package var vacuums: [VacuumProgressRow] = []
    /// Prepared transactions and the age of the oldest, seconds.
    package var preparedXacts: Int?
    package var oldestPreparedXactAgeSeconds: Double?

    package init() {}

    enum CodingKeys: String, CodingKey {
        case intervalSeconds = "interval_seconds"
        case databases, checkpointer, bgwriter, wal, io, archiver
        case walReceiver = "wal_receiver"
        case replication
        case replicationSlots = "replication_slots"
        case subscriptions
        case oldestXactAgeSeconds = "oldest_xact_age_seconds"
        case oldestXminAge = "oldest_xmin_age"
        case maxFrozenXidAge = "max_frozen_xid_age"
        case maxMultiXactAge = "max_multixact_age"
        case vacuums
        case preparedXacts = "prepared_xacts"
        case oldestPreparedXactAgeSeconds = "oldest_prepared_xact_age_seconds"
    }
}

/// Cumulative counters as the server reports them and, from the second sample on, their interval deltas.
package struct CounterSet: Codable, Sendable, Equatable {
    /// Values as read, keyed by the view's column name.
    package var totals: [String: Double]
    /// Change since the previous sample; nil on a baseline or after a reset of the view.
    package var deltas: [String: Double]?

    package init(totals: [String: Double], deltas: [String: Double]? = nil) {
        self.totals = totals
        self.deltas = deltas
    }
}

/// One database of `pg_stat_database`.
package struct DatabaseRow: Codable, Sendable, Equatable {
    package var datname: String
    /// The database's oid (`datid`).
    package var datid: Int64?
    package var numbackends: Int
    /// `pg_database_size()`, only in cycles where sizes are measured (`database_size_interval_seconds`).
    package var sizeBytes: Int64?
    /// `xact_commit`, `xact_rollback`, `blks_read`, `blks_hit`, `tup_*`, `conflicts`, `temp_files`,
    /// `temp_bytes`, `deadlocks`, `blk_read_time`, `blk_write_time`, PG 14's `session_time`,
    /// `active_time`, `idle_in_transaction_time`, `sessions`, `sessions_abandoned`, `sessions_fatal`,
    /// `sessions_killed`, `checksum_failures`, `pg_stat_database_conflicts`' `confl_*`, and their deltas.
    package var counters: CounterSet
    /// `age(datfrozenxid)`.
    package var frozenXidAge: Int64?

    package init(datname: String, numbackends: Int, counters: CounterSet) {
        self.datname = datname
        self.numbackends = numbackends
        self.counters = counters
    }

    enum CodingKeys: String, CodingKey {
        case datname, datid, numbackends
        case sizeBytes = "size_bytes"
        case counters
        case frozenXidAge = "frozen_xid_age"
    }
}

/// One standby streaming from this server (`pg_stat_replication`).
package struct ReplicationRow: Codable, Sendable, Equatable {
    package var pid: Int
    package var applicationName: String?
    package var clientAddr: String?
    package var state: String?
    package var syncState: String?
    /// Bytes between our current WAL position and the standby's replay position.
    package var replayLagBytes: Double?
    package var writeLagSeconds: Double?
    package var flushLagSeconds: Double?
    package var replayLagSeconds: Double?

    package init(pid: Int) { self.pid = pid }

    enum CodingKeys: String, CodingKey {
        case pid
        case applicationName = "application_name"
        case clientAddr = "client_addr"
        case state
        case syncState = "sync_state"
        case replayLagBytes = "replay_lag_bytes"
        case writeLagSeconds = "write_lag_seconds"
        case flushLagSeconds = "flush_lag_seconds"
        case replayLagSeconds = "replay_lag_seconds"
    }
}

/// One replication slot and the WAL it holds back (`pg_replication_slots`).
package struct ReplicationSlotRow: Codable, Sendable, Equatable {
    package var slotName: String
    package var slotType: String?
    package var active: Bool
    /// Bytes of WAL kept for this slot (current LSN − `restart_lsn`).
    package var retainedBytes: Double?
    package var walStatus: String?
    /// `age(xmin)` / `age(catalog_xmin)`, transactions.
    package var xminAge: Int64?
    package var catalogXminAge: Int64?
    /// `pg_stat_replication_slots` (logical slots only; nil for a physical one): `spill_*`, `stream_*`,
    /// `total_txns`, `total_bytes`, and their deltas.
    package var stats: CounterSet?

    package init(slotName: String, active: Bool) {
        self.slotName = slotName
        self.active = active
    }

    enum CodingKeys: String, CodingKey {
        case slotName = "slot_name"
        case slotType = "slot_type"
        case active
        case retainedBytes = "retained_bytes"
        case walStatus = "wal_status"
        case xminAge = "xmin_age"
        case catalogXminAge = "catalog_xmin_age"
        case stats
    }
}

/// A running VACUUM (`pg_stat_progress_vacuum`).
package struct VacuumProgressRow: Codable, Sendable, Equatable {
    package var pid: Int
    package var datname: String?
    /// `schema.table` when resolvable from the connected database, else the oid.
    package var relation: String?
    package var phase: String?
    package var heapBlksTotal: Int64?
    package var heapBlksScanned: Int64?
    package var heapBlksVacuumed: Int64?
    /// Percent of heap blocks scanned.
    package var progressPercent: Double?
    /// True for autovacuum workers.
    package var autovacuum: Bool?
    package var runningSeconds: Double?

    package init(pid: Int) { self.pid = pid }

    enum CodingKeys: String, CodingKey {
        case pid, datname, relation, phase
        case heapBlksTotal = "heap_blks_total"
        case heapBlksScanned = "heap_blks_scanned"
        case heapBlksVacuumed = "heap_blks_vacuumed"
        case progressPercent = "progress_percent"
        case autovacuum
        case runningSeconds = "running_seconds"
    }
}
