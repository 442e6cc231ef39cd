/// The server's own cumulative counters of one statement among the snapshot's top N, summed over its
/// `pg_stat_statements` entries of the same role, database and query id (top-level and nested): for the
/// `pg_stat_statements_*` counters on `/metrics`, which go down only when the server's do. Not part of
/// the payload (see ``SnapshotPayload/statementTotals``), which carries per-interval deltas instead.
package struct StatementTotal: Sendable, Equatable {
    /// `pg_stat_statements.queryid`, as the server prints it (signed).
    package var queryid: Int64
    /// The role's name, or its oid as text when the name is not known.
    package var user: String
    /// The database's name, or its oid as text when the name is not known.
    package var datname: String
    /// The normalised text as the payload carries it (capped and redacted as `[privacy]` says); nil when
    /// it was not fetched.
    package var query: String?
    /// `calls`.
    package var calls: Double
    /// `total_exec_time`, milliseconds.
    package var totalExecTimeMs: Double
    /// `rows`.
    package var rows: Double
    /// `blk_read_time` (PG 17+: `shared_blk_read_time`), milliseconds.
    package var blkReadTimeMs: Double
    /// `blk_write_time` (PG 17+: `shared_blk_write_time`), milliseconds.
    package var blkWriteTimeMs: Double

    package init(queryid: Int64, user: String, datname: String, query: String?, calls: Double,
                 totalExecTimeMs: Double, rows: Double, blkReadTimeMs: Double, blkWriteTimeMs: Double) {
        self.queryid = queryid
        self.user = user
        self.datname = datname
        self.query = query
        self.calls = calls
        self.totalExecTimeMs = totalExecTimeMs
        self.rows = rows
        self.blkReadTimeMs = blkReadTimeMs
        self.blkWriteTimeMs = blkWriteTimeMs
    }
}
