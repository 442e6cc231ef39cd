/// How many sessions of one database are in one state, and the longest open transaction among them:
/// what postgres_exporter's `pg_stat_activity_count` and `pg_stat_activity_max_tx_duration` show. Kept
/// for `/metrics`; not part of the payload (see ``SnapshotPayload/activityByDatabase``).
package struct DatabaseActivity: Sendable, Equatable {
    package var datname: String
    /// `pg_stat_activity.state`.
    package var state: String
    package var count: Int
    /// `now() - xact_start` of the oldest open transaction, seconds; 0 when none is open.
    package var maxTransactionSeconds: Double

    package init(datname: String, state: String, count: Int, maxTransactionSeconds: Double) {
        self.datname = datname
        self.state = state
        self.count = count
        self.maxTransactionSeconds = maxTransactionSeconds
    }
}
