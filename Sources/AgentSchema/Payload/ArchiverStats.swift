/// The WAL archiver (`pg_stat_archiver`, `database.archiver` in the payload): its counters and the last
/// segment archived and failed.
package struct ArchiverStats: Codable, Sendable, Equatable {
    /// `archived_count` and `failed_count`, and their deltas (reset with the view's `stats_reset`).
    package var counters: CounterSet
    /// `last_archived_wal`: the name of the last segment archived.
    package var lastArchivedWal: String?
    /// `last_archived_time`, epoch seconds (server clock).
    package var lastArchivedTime: Double?
    /// `last_failed_wal`: the name of the last segment whose archiving failed.
    package var lastFailedWal: String?
    /// `last_failed_time`, epoch seconds (server clock).
    package var lastFailedTime: Double?

    /// The archiver's counters; the segment fields start absent.
    package init(counters: CounterSet) { self.counters = counters }

    enum CodingKeys: String, CodingKey {
        case counters
        case lastArchivedWal = "last_archived_wal"
        case lastArchivedTime = "last_archived_time"
        case lastFailedWal = "last_failed_wal"
        case lastFailedTime = "last_failed_time"
    }
}
