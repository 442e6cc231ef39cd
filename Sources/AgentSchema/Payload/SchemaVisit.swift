/// One visit of one database's tables, indexes and sequences (an element of `schema` in the payload).
///
/// The agent visits the databases in turn, each at most every `schema_interval_seconds`, so a snapshot
/// carries the visits that ran in its cycle (often none). Counters are per-visit deltas: the change since
/// the previous visit of the same database whose snapshot was stored.
package struct SchemaVisit: Codable, Sendable, Equatable {
    /// The database visited.
    package var datname: String
    /// Seconds since the previous visit the deltas are measured from (server clock); nil on a baseline
    /// (first visit, another server, a server restart).
    package var intervalSeconds: Double?
    /// Wall time of the visit, milliseconds (connect to last page).
    package var durationMs: Double
    /// False when the visit ran out of time (`[collectors] schema_timeout_ms`) before it read every
    /// relation; what it read still ships.
    package var complete: Bool
    /// User tables in the database (all of them, not only those sent).
    package var tablesTotal: Int
    /// User indexes in the database.
    package var indexesTotal: Int
    /// Relations left out because a session holds or awaits an `AccessExclusiveLock` on them (a
    /// migration): reading their size would queue the agent behind it.
    package var skippedLocked: Int
    /// The top tables by activity, then every table past a warning line (``TableRow/reasons``).
    package var tables: [TableRow] = []
    /// The tables not in ``tables``, summed, so totals add up.
    package var tablesOther: RelationOther?
    /// The top indexes by scans, then every invalid, duplicate or unused index up to a cap.
    package var indexes: [IndexRow] = []
    /// The indexes not in ``indexes``, summed.
    package var indexesOther: RelationOther?
    /// Sequences past 75 % of their range.
    package var sequences: [SequenceRow] = []
    /// Sequences whose value the monitoring role may not read (no `SELECT` or `USAGE` on them).
    package var sequencesHidden: Int?
    /// How ``TableRow/bloat`` was estimated: `pgstattuple_approx` or `dead_tuples` (see docs/payloads.md).
    package var bloatMethod: String?

    package init(datname: String, durationMs: Double, complete: Bool, tablesTotal: Int, indexesTotal: Int,
                 skippedLocked: Int) {
        self.datname = datname
        self.durationMs = durationMs
        self.complete = complete
        self.tablesTotal = tablesTotal
        self.indexesTotal = indexesTotal
        self.skippedLocked = skippedLocked
    }

    enum CodingKeys: String, CodingKey {
        case datname
        case intervalSeconds = "interval_seconds"
        case durationMs = "duration_ms"
        case complete
        case tablesTotal = "tables_total"
        case indexesTotal = "indexes_total"
        case skippedLocked = "skipped_locked"
        case tables
        case tablesOther = "tables_other"
        case indexes
        case indexesOther = "indexes_other"
        case sequences
        case sequencesHidden = "sequences_hidden"
        case bloatMethod = "bloat_method"
    }
}

/// One user table: `pg_stat_user_tables` and `pg_statio_user_tables` counters with their deltas, tuple
/// counts, maintenance times, sizes and ages.
package struct TableRow: Codable, Sendable, Equatable {
    package var relid: Int64
    package var schemaname: String
    package var relname: String
    /// Why it is sent: `top` (among the most active), `dead_tuples`, `freeze_age`, `multixact_age`.
    package var reasons: [String]
    /// Scans, tuples, maintenance counts and times, heap/index/TOAST blocks, keyed by the views' column
    /// names, and their deltas (nil on a baseline, for a new table or after a reset).
    package var counters: CounterSet
    package var nLiveTup: Int64?
    package var nDeadTup: Int64?
    package var nModSinceAnalyze: Int64?
    package var nInsSinceVacuum: Int64?
    /// Epoch seconds of the last manual and automatic vacuum and analyze.
    package var lastVacuum: Double?
    package var lastAutovacuum: Double?
    package var lastAnalyze: Double?
    package var lastAutoanalyze: Double?
    /// Main fork (with free space and visibility maps), all indexes, TOAST (with its index), bytes.
    package var tableBytes: Int64?
    package var indexesBytes: Int64?
    package var toastBytes: Int64?
    /// `age(relfrozenxid)` and `mxid_age(relminmxid)`.
    package var frozenXidAge: Int64?
    package var minMxidAge: Int64?
    /// `n_dead_tup / (n_live_tup + n_dead_tup)`, percent.
    package var deadTuplePercent: Double?
    /// `pgstattuple_approx` figures when that method was used for this table.
    package var bloat: BloatEstimate?

    package init(relid: Int64, schemaname: String, relname: String, counters: CounterSet) {
        self.relid = relid
        self.schemaname = schemaname
        self.relname = relname
        self.reasons = []
        self.counters = counters
    }

    enum CodingKeys: String, CodingKey {
        case relid, schemaname, relname, reasons, counters
        case nLiveTup = "n_live_tup"
        case nDeadTup = "n_dead_tup"
        case nModSinceAnalyze = "n_mod_since_analyze"
        case nInsSinceVacuum = "n_ins_since_vacuum"
        case lastVacuum = "last_vacuum"
        case lastAutovacuum = "last_autovacuum"
        case lastAnalyze = "last_analyze"
        case lastAutoanalyze = "last_autoanalyze"
        case tableBytes = "table_bytes"
        case indexesBytes = "indexes_bytes"
        case toastBytes = "toast_bytes"
        case frozenXidAge = "frozen_xid_age"
        case minMxidAge = "min_mxid_age"
        case deadTuplePercent = "dead_tuple_percent"
        case bloat
    }
}

/// A table's free space as `pgstattuple_approx` measured it.
package struct BloatEstimate: Codable, Sendable, Equatable {
    /// Bytes of the table the estimate covers.
    package var tableBytes: Int64
    /// Free space (`approx_free_space`), bytes and percent of the table.
    package var freeBytes: Int64
    package var freePercent: Double
    /// Dead tuples (`dead_tuple_len`), percent of the table.
    package var deadTuplePercent: Double

    package init(tableBytes: Int64, freeBytes: Int64, freePercent: Double, deadTuplePercent: Double) {
        self.tableBytes = tableBytes
        self.freeBytes = freeBytes
        self.freePercent = freePercent
        self.deadTuplePercent = deadTuplePercent
    }

    enum CodingKeys: String, CodingKey {
        case tableBytes = "table_bytes"
        case freeBytes = "free_bytes"
        case freePercent = "free_percent"
        case deadTuplePercent = "dead_tuple_percent"
    }
}

/// One user index: `pg_stat_user_indexes` and `pg_statio_user_indexes` counters with their deltas, its
/// size and what is wrong with it.
package struct IndexRow: Codable, Sendable, Equatable {
    package var indexrelid: Int64
    package var schemaname: String
    /// The table.
    package var relname: String
    package var indexrelname: String
    /// Why it is sent: `top`, `invalid`, `duplicate`, `unused`.
    package var reasons: [String]
    /// `idx_scan`, `idx_tup_read`, `idx_tup_fetch`, `idx_blks_read`, `idx_blks_hit` and their deltas.
    package var counters: CounterSet
    package var sizeBytes: Int64?
    /// No scan since the statistics were reset, and it enforces no constraint.
    package var unused: Bool
    /// `NOT indisvalid`: a failed `CREATE INDEX CONCURRENTLY`; it costs writes and serves no read.
    package var invalid: Bool
    /// Another index of the same table with the same columns, operator classes, expressions and predicate.
    package var duplicateOf: String?

    package init(indexrelid: Int64, schemaname: String, relname: String, indexrelname: String, counters: CounterSet) {
        self.indexrelid = indexrelid
        self.schemaname = schemaname
        self.relname = relname
        self.indexrelname = indexrelname
        self.reasons = []
        self.counters = counters
        self.unused = false
        self.invalid = false
    }

    enum CodingKeys: String, CodingKey {
        case indexrelid, schemaname, relname, indexrelname, reasons, counters
        case sizeBytes = "size_bytes"
        case unused, invalid
        case duplicateOf = "duplicate_of"
    }
}

/// The relations a visit did not list, summed so totals add up.
package struct RelationOther: Codable, Sendable, Equatable {
    /// How many relations.
    package var count: Int
    /// Their summed sizes (tables: table + indexes + TOAST), bytes.
    package var bytes: Int64
    /// Their summed counter deltas; relations without a delta (new, reset) are in ``count`` only.
    package var deltas: [String: Double]?

    package init(count: Int, bytes: Int64, deltas: [String: Double]?) {
        self.count = count
        self.bytes = bytes
        self.deltas = deltas
    }
}

/// A sequence past 75 % of its range.
package struct SequenceRow: Codable, Sendable, Equatable {
    package var schemaname: String
    package var sequencename: String
    package var lastValue: Int64
    package var maxValue: Int64
    /// How much of the range from `min_value` (or `max_value` for a descending sequence) is used, percent.
    package var usedPercent: Double

    package init(schemaname: String, sequencename: String, lastValue: Int64, maxValue: Int64, usedPercent: Double) {
        self.schemaname = schemaname
        self.sequencename = sequencename
        self.lastValue = lastValue
        self.maxValue = maxValue
        self.usedPercent = usedPercent
    }

    enum CodingKeys: String, CodingKey {
        case schemaname, sequencename
        case lastValue = "last_value"
        case maxValue = "max_value"
        case usedPercent = "used_percent"
    }
}
