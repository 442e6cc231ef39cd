/// One row of `pg_stat_io` (PG 16+): the I/O of one backend type on one kind of object in one context
/// (`database.io` in the payload).
///
/// Rows whose counters are all zero or null are left out of the payload; their totals still count for
/// the next interval's deltas.
package struct IOStatsRow: Codable, Sendable, Equatable {
    /// `backend_type`: `client backend`, `checkpointer`, `autovacuum worker`, …
    package var backendType: String
    /// `object`: `relation`, `temp relation`, and `wal` from PG 18.
    package var object: String
    /// `context`: `normal`, `bulkread`, `bulkwrite`, `vacuum`, and `init` from PG 18.
    package var context: String
    /// The view's numeric columns by their own names (`reads`, `writes`, `extends`, `hits`, `fsyncs`,
    /// `read_time`, …; `read_bytes`, `write_bytes`, `extend_bytes` from PG 18), without `op_bytes` (the
    /// block size of PG 16 and 17, not a counter), and their deltas.
    package var counters: CounterSet

    /// A row of `backendType`, `object` and `context` with its counters.
    package init(backendType: String, object: String, context: String, counters: CounterSet) {
        self.backendType = backendType
        self.object = object
        self.context = context
        self.counters = counters
    }

    enum CodingKeys: String, CodingKey {
        case backendType = "backend_type"
        case object, context, counters
    }
}
