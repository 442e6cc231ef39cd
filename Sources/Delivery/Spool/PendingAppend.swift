import AgentSchema

/// One append waiting for the writer turn that stores it; its producer is suspended until then.
///
/// Appends that arrive together from several producers (log sources, schedulers) are stored by one
/// transaction, so one fsync serves all of them (``SpoolAppendQueue``).
struct PendingAppend: Sendable {
    let kind: PayloadKind
    let instance: String
    let batchID: String
    /// The gzip body.
    let body: [UInt8]
    let checkpoint: (source: String, value: [UInt8])?
    let createdAt: Double
    /// Resumed exactly once, by the turn that handled the append, after its commit (or its failure).
    let continuation: CheckedContinuation<Result<Int64, SpoolError>, Never>
}
