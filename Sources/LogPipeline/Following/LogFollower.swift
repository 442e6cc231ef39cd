package import Logging
import ServiceLifecycle

/// The long-running log pipeline of one source: tail, classify (and redact), hand batches to the sink.
///
/// Each turn polls the tailer for at most `budget` bytes, classifies what came out and commits it with its
/// checkpoint; it polls again at once while the file has more, and after `pollInterval` when it has
/// caught up. The next read waits for the previous commit, so a slow sink slows reading down rather than
/// filling memory. It stops at graceful shutdown, after the batch in hand is committed.
package struct LogFollower<Sink: LogBatchSink, C: Clock>: Service where C.Duration == Duration {
    private let makeSource: @Sendable (LogCheckpoint?) -> any PolledLogSource
    private let name: String
    private let classifier: LogClassifier
    private let sessions: SessionDirectory?
    private let sink: Sink
    private let clock: C
    private let pollInterval: Duration
    private let budget: Int
    private let logger: Logger
    private let progress: @Sendable (LogTailer.Statistics, Int64) -> Void

    /// - Parameters:
    ///   - scanner: the files to follow.
    ///   - options: how to read them.
    ///   - classifier: classification, correlation and redaction.
    ///   - sessions: gives entries without an application name their session's (nil: none).
    ///   - sink: where batches and checkpoints go.
    ///   - clock: the clock for waiting and for the quiet period.
    ///   - pollInterval: the pause after catching up with the file.
    ///   - budget: the most bytes read per batch.
    ///   - progress: told after each commit the tailer's counters and its lag (bytes behind the current
    ///     file's end), for the self-metrics.
    package init(scanner: LogSourceScanner, options: LogTailer.Options, classifier: LogClassifier,
                 sessions: SessionDirectory? = nil, sink: Sink,
                 clock: C, pollInterval: Duration = .milliseconds(250), budget: Int = 4 << 20, logger: Logger,
                 progress: @escaping @Sendable (LogTailer.Statistics, Int64) -> Void = { _, _ in }) {
        self.init(name: "\(scanner.kind)", source: { LogTailer(scanner: scanner, options: options, checkpoint: $0) },
                  classifier: classifier, sessions: sessions, sink: sink, clock: clock, pollInterval: pollInterval, budget: budget,
                  logger: logger, progress: progress)
    }

    /// A follower of any source: `source` makes it, resuming at the stored checkpoint (the systemd
    /// journal, ``JournalTailer``); `name` says what it follows.
    package init(name: String, source: @escaping @Sendable (LogCheckpoint?) -> any PolledLogSource, classifier: LogClassifier,
                 sessions: SessionDirectory? = nil, sink: Sink, clock: C, pollInterval: Duration = .milliseconds(250),
                 budget: Int = 4 << 20, logger: Logger,
                 progress: @escaping @Sendable (LogTailer.Statistics, Int64) -> Void = { _, _ in }) {
        self.progress = progress
        self.makeSource = source
        self.name = name
        self.classifier = classifier
        self.sessions = sessions
        self.sink = sink
        self.clock = clock
        self.pollInterval = pollInterval
        self.budget = budget
        self.logger = logger
    }

    package func run() async throws {
        var tailer = makeSource(try await sink.lastCheckpoint())
        let origin = clock.now
        var committed: LogCheckpoint?
        var reported = LogTailer.Statistics()
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            let wasReading = tailer.isReading
            var batch = tailer.poll(now: origin.duration(to: clock.now), budget: budget)
            if !wasReading, let start = tailer.lastStart { logger.info("log tailing started", metadata: ["start": "\(start)"]) }
            for index in batch.events.indices { classifier.classify(&batch.events[index]) }
            sessions?.attribute(&batch.events, correlation: classifier.correlation)
            if let checkpoint = batch.checkpoint, !batch.events.isEmpty || checkpoint != committed {
                try await sink.commit(batch.events, checkpoint: checkpoint)
                committed = checkpoint
            }
            report(tailer.statistics, error: tailer.lastError, since: &reported)
            progress(tailer.statistics, batch.reachedEnd ? 0 : tailer.lagBytes)
            if batch.reachedEnd {
                try? await clock.sleep(for: pollInterval)
            }
        }
    }

    /// Logs rotations, truncations, lost checkpoints and read errors as they happen.
    private func report(_ statistics: LogTailer.Statistics, error: String?, since reported: inout LogTailer.Statistics) {
        if statistics.readErrors != reported.readErrors {
            logger.warning("reading the log failed; it is tried again", metadata: ["source": "\(name)", "error": "\(error ?? "read error")"])
        }
        if statistics.rotations != reported.rotations || statistics.truncations != reported.truncations
            || statistics.lostCheckpoints != reported.lostCheckpoints {
            logger.info("log source changed", metadata: [
                "rotations": "\(statistics.rotations)", "truncations": "\(statistics.truncations)",
                "copies_read": "\(statistics.copiesRead)", "lost_checkpoints": "\(statistics.lostCheckpoints)",
            ])
        }
        reported = statistics
    }
}

/// Printed by ServiceLifecycle: the source only.
extension LogFollower: CustomStringConvertible {
    package var description: String { "log follower of \(name)" }
}
