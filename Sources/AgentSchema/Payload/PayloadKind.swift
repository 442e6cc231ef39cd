/// The `kind` of a schema-1 payload: what its body holds.
package enum PayloadKind: String, Sendable, Hashable, CaseIterable, Codable {
    /// One snapshot of a server and its host (``SnapshotPayload``).
    case snapshot
    /// A batch of log events (``LogsPayload``).
    case logs
}
