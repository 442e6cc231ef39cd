/// One logical replication subscription of this server (`database.subscriptions` in the payload), from
/// `pg_stat_subscription` (one row per worker, summed up here) and `pg_stat_subscription_stats` (PG 15+).
///
/// `pg_subscription` is shared by all databases, so every database's subscriptions are here.
package struct SubscriptionRow: Codable, Sendable, Equatable {
    /// `subname`: unique within its database only.
    package var subname: String
    /// The database the subscription belongs to.
    package var datname: String?
    /// Worker processes running for it: the apply worker, parallel apply workers (PG 16+) and table
    /// synchronization workers. 0 for a disabled subscription.
    package var workers: Int
    /// `received_lsn` of the apply worker, as the server writes an LSN (`0/1A2B3C8`): a position in the
    /// publisher's WAL, to compare with the publisher's own (the subscriber cannot tell how far behind it is).
    package var receivedLsn: String?
    /// Seconds since the last message from the publisher arrived (the most recent of its workers).
    package var lastMsgReceiptAgeSeconds: Double?
    /// `pg_stat_subscription_stats` (PG 15+): `apply_error_count`, `sync_error_count`, and from PG 18 the
    /// `confl_*` conflict counts, and their deltas (reset with the view's `stats_reset`).
    package var counters: CounterSet?

    /// A subscription with `workers` workers; the other fields start absent.
    package init(subname: String, workers: Int) {
        self.subname = subname
        self.workers = workers
    }

    enum CodingKeys: String, CodingKey {
        case subname, datname, workers
        case receivedLsn = "received_lsn"
        case lastMsgReceiptAgeSeconds = "last_msg_receipt_age_seconds"
        case counters
    }
}
