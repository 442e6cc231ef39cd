/// What `postgres-agent spool status` shows and the `agent` section of each payload reports.
package struct SpoolStatus: Codable, Sendable, Equatable {
    /// Payloads waiting to be sent.
    package var depth: Int
    /// Their compressed size, bytes.
    package var payloadBytes: Int
    /// The database and its write-ahead log on disk, bytes.
    package var fileBytes: Int
    /// When the oldest waiting payload was spooled (epoch seconds), if any.
    package var oldestCreatedAt: Double?
    /// Payloads evicted by the size cap or the free-space floor since the spool was created.
    package var evictedBatches: Int
    /// Their compressed bytes.
    package var evictedBytes: Int
    /// Payloads the listener refused for good (413, 400 with a reason), kept for inspection inside the
    /// cap.
    package var deadLetters: Int
    /// Dead letters evicted by the size cap or the free-space floor since the spool was created.
    package var evictedDeadLetters: Int
    /// Payloads refused because they could not be made to fit (larger than the cap, or no room above
    /// the free-space floor).
    package var refusedBatches: Int
    /// Damaged spool files moved aside at start (their payloads are lost; the files are kept).
    package var corruptFilesSetAside: Int

    package init(depth: Int, payloadBytes: Int, fileBytes: Int, oldestCreatedAt: Double?, evictedBatches: Int,
                 evictedBytes: Int, deadLetters: Int, evictedDeadLetters: Int = 0, refusedBatches: Int = 0,
                 corruptFilesSetAside: Int = 0) {
        self.depth = depth
        self.payloadBytes = payloadBytes
        self.fileBytes = fileBytes
        self.oldestCreatedAt = oldestCreatedAt
        self.evictedBatches = evictedBatches
        self.evictedBytes = evictedBytes
        self.deadLetters = deadLetters
        self.evictedDeadLetters = evictedDeadLetters
        self.refusedBatches = refusedBatches
        self.corruptFilesSetAside = corruptFilesSetAside
    }

    enum CodingKeys: String, CodingKey {
        case depth
        case payloadBytes = "payload_bytes"
        case fileBytes = "file_bytes"
        case oldestCreatedAt = "oldest_created_at"
        case evictedBatches = "evicted_batches"
        case evictedBytes = "evicted_bytes"
        case deadLetters = "dead_letters"
        case evictedDeadLetters = "evicted_dead_letters"
        case refusedBatches = "refused_batches"
        case corruptFilesSetAside = "corrupt_files_set_aside"
    }
}
