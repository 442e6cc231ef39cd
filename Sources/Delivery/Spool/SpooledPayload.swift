package import AgentSchema

/// One payload waiting in the spool, as stored: gzip-compressed JSON.
package struct SpooledPayload: Sendable, Equatable {
    /// Its row id: spool order.
    package var id: Int64
    /// The payload's `batch_id`, sent as `Idempotency-Key`.
    package var batchID: String
    /// What the body holds; nil for a kind this version does not know (spooled by a newer agent before
    /// a downgrade), which is sent all the same: the listener reads the body's own `kind`.
    package var kind: PayloadKind?
    /// The `[postgres:NAME]` instance it belongs to.
    package var instance: String
    /// When it was spooled, epoch seconds.
    package var createdAt: Double
    /// The gzip-compressed JSON body.
    package var body: [UInt8]
    /// Send attempts so far.
    package var attempts: Int

    package init(id: Int64, batchID: String, kind: PayloadKind?, instance: String, createdAt: Double, body: [UInt8],
                 attempts: Int) {
        self.id = id
        self.batchID = batchID
        self.kind = kind
        self.instance = instance
        self.createdAt = createdAt
        self.body = body
        self.attempts = attempts
    }
}
