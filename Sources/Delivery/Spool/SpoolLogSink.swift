package import AgentSchema
import Foundation
package import LogPipeline

/// The log pipeline's ``LogBatchSink`` on the spool: each batch becomes one `logs` payload, appended in
/// the same SQLite transaction as the tailer's checkpoint, so a restart resumes exactly where the spool
/// ends (docs/architecture.md, "Log offsets move with the spool").
package struct SpoolLogSink: LogBatchSink {
    private let spool: Spool
    private let source: String
    private let project: String
    private let agent: AgentInfo
    private let wallClock: @Sendable () -> Double

    /// - Parameters:
    ///   - spool: the spool.
    ///   - source: the checkpoint's key: the instance and the configured log path.
    ///   - project: `[agent] project`.
    ///   - agent: what the payload says about the sender.
    package init(spool: Spool, source: String, project: String, agent: AgentInfo,
                 wallClock: @escaping @Sendable () -> Double = { Date().timeIntervalSince1970 }) {
        self.spool = spool
        self.source = source
        self.project = project
        self.agent = agent
        self.wallClock = wallClock
    }

    package func lastCheckpoint() async throws -> LogCheckpoint? {
        guard let data = try await spool.checkpoint(source: source) else { return nil }
        // A checkpoint that no longer decodes (damaged, or an older layout) makes the tailer read the
        // current file from its start, counted as a lost checkpoint: a repeat is better than a gap.
        return (try? JSONDecoder().decode(LogCheckpoint.self, from: Data(data))) ?? .unreadable
    }

    package func commit(_ events: [LogEvent], checkpoint: LogCheckpoint) async throws {
        let value = [UInt8](try JSONEncoder().encode(checkpoint))
        guard !events.isEmpty else {
            try await spool.storeCheckpoint(source: source, value: value)
            return
        }
        let payload = LogsPayload(timestamp: wallClock(), project: project, agent: agent, events: events)
        do {
            try await spool.append(kind: .logs, instance: agent.instance, batchID: payload.batchID.uuidString.lowercased(),
                                   json: try payload.jsonBytes(), checkpoint: (source, value))
        } catch let error as SpoolError where error.code == .full || error.code == .payloadTooLarge {
            // Refused and counted (`refused_batches`), its checkpoint stored: the tailer moves on rather
            // than offering a batch that cannot fit again and again.
            return
        }
    }
}
