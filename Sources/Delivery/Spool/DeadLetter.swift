/// A payload the listener refused for good, as `spool status --dead-letters` lists it (never its body).
package struct DeadLetter: Sendable, Equatable, Codable {
    /// The payload's `batch_id`.
    package var batchID: String
    /// `snapshot` or `logs`, as stored.
    package var kind: String
    /// The server instance it came from.
    package var instance: String
    /// When it was spooled, epoch seconds.
    package var createdAt: Double
    /// Its compressed size, bytes.
    package var size: Int
    /// The HTTP status of the refusal.
    package var status: Int
    /// The listener's reason (capped, printable), or `HTTP NNN`.
    package var reason: String
    /// When it was moved to the dead letters, epoch seconds.
    package var movedAt: Double

    enum CodingKeys: String, CodingKey {
        case batchID = "batch_id"
        case kind, instance
        case createdAt = "created_at"
        case size, status, reason
        case movedAt = "moved_at"
    }
}
