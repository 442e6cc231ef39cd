import AgentSchema
import Synchronization

/// One append waiting for the transaction that stores it, and then its outcome.
///
/// Appends that arrive together from several producers (log sources, schedulers) are stored by one
/// transaction, so one fsync serves all of them (``SpoolAppendQueue``).
final class PendingAppend: Sendable {
    let kind: PayloadKind
    let instance: String
    let batchID: String
    /// The gzip body.
    let body: [UInt8]
    let checkpoint: (source: String, value: [UInt8])?
    let createdAt: Double
    private let outcome = Mutex<Result<Int64, SpoolError>?>(nil)

    init(kind: PayloadKind, instance: String, batchID: String, body: [UInt8],
         checkpoint: (source: String, value: [UInt8])?, createdAt: Double) {
        self.kind = kind
        self.instance = instance
        self.batchID = batchID
        self.body = body
        self.checkpoint = checkpoint
        self.createdAt = createdAt
    }

    /// Set once, by the transaction that handled it, after its commit (or its failure).
    var result: Result<Int64, SpoolError>? {
        get { outcome.withLock { $0 } }
        set { outcome.withLock { $0 = newValue } }
    }
}
