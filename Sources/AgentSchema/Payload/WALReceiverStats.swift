/// The WAL receiver of a standby (`pg_stat_wal_receiver`, `database.wal_receiver` in the payload); a
/// primary has none.
package struct WALReceiverStats: Codable, Sendable, Equatable {
    /// `status`: `streaming`, `waiting`, `starting`, `restarting` or `stopping`.
    package var status: String?
    /// `sender_host`: the primary's host name, address or socket directory.
    package var senderHost: String?
    /// `sender_port`.
    package var senderPort: Int?
    /// `slot_name`: the primary's replication slot this standby uses.
    package var slotName: String?
    /// WAL received and flushed but not yet replayed, bytes: `flushed_lsn` − `pg_last_wal_replay_lsn()`.
    package var replayLagBytes: Double?
    /// Seconds since the last message from the primary arrived (`last_msg_receipt_time`).
    package var lastMsgReceiptAgeSeconds: Double?
    /// Seconds since the primary last reported its WAL end (`latest_end_time`).
    package var latestEndAgeSeconds: Double?

    /// A receiver with every field absent.
    package init() {}

    enum CodingKeys: String, CodingKey {
        case status
        case senderHost = "sender_host"
        case senderPort = "sender_port"
        case slotName = "slot_name"
        case replayLagBytes = "replay_lag_bytes"
        case lastMsgReceiptAgeSeconds = "last_msg_receipt_age_seconds"
        case latestEndAgeSeconds = "latest_end_age_seconds"
    }
}
