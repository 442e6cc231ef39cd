package import AgentSchema

/// Where complete log entries go, together with the checkpoint that covers them.
///
/// The two must be stored atomically: after a crash the stored checkpoint must describe exactly the
/// stored events, so that the tailer resumes with no gap and no repeat. The spool (delivery) will commit
/// both in one SQLite transaction; ``JSONLinesLogSink`` does it with a file length kept in the checkpoint.
package protocol LogBatchSink: Sendable {
    /// The checkpoint stored with the last committed batch, if any.
    func lastCheckpoint() async throws -> LogCheckpoint?

    /// Stores `events` and `checkpoint` as one unit.
    func commit(_ events: [LogEvent], checkpoint: LogCheckpoint) async throws
}
