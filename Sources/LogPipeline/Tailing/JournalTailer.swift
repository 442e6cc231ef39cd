package import AgentSchema
import Foundation

/// Follows the server's log in the systemd journal through `journalctl --output=json --follow`, filtered
/// by a match (`SYSLOG_IDENTIFIER=postgres`, or `_SYSTEMD_UNIT=postgresql@15-main.service` for a unit's
/// stderr), and hands over complete entries with a checkpoint: the journal cursor, stored with its batch
/// like a file offset. A restart resumes with `--after-cursor`; entries that completed after that cursor
/// in the previous run are skipped (by their first record's `__REALTIME_TIMESTAMP`), so none is repeated.
///
/// When journalctl stops (not installed, no permission for the journal, killed), the reason is kept in
/// ``lastError`` and it is started again after ``Options/restartDelay``.
package struct JournalTailer: PolledLogSource {
    /// How to read the journal.
    package struct Options: Sendable {
        /// The journalctl binary.
        package var executable = "/usr/bin/journalctl"
        /// A journal directory to read instead of the system's (`--directory`); nil: the system journal.
        package var directory: String?
        /// journalctl matches (`FIELD=value`); several of one field mean any of them.
        package var matches = ["SYSLOG_IDENTIFIER=postgres"]
        /// The server's `log_line_prefix`.
        package var prefix = LogLinePrefix.postgresDefault
        /// The server's `log_timezone`.
        package var timeZone: TimeZoneRules?
        /// The longest entry kept whole.
        package var maximumEntryBytes = 1 << 20
        /// After this long without new records, entries still waiting for lines are complete.
        package var quietPeriod: Duration = .seconds(1)
        /// Without a checkpoint, start with new entries only (a new install does not ship the history).
        package var startAtEnd = true
        /// The pause before journalctl is started again after it stopped.
        package var restartDelay: Duration = .seconds(5)

        package init() {}
    }

    package let options: Options
    package private(set) var statistics = LogTailer.Statistics()
    package private(set) var lastStart: String?
    /// Why journalctl stopped last (its exit status and error output), if it did.
    package private(set) var lastError: String?

    private var process: JournalProcess?
    private var framer: LogRecordFramer
    private var parser: JournalLogParser
    private var checkpoint: LogCheckpoint?
    /// Entries already emitted (their first records' times) after the checkpoint's record.
    private var emitted: Set<Int64>
    private var skipping: Set<Int64>
    private var nextStart: Duration = .zero
    private var lastDataAt: Duration = .zero
    private var buffer = [UInt8](repeating: 0, count: 256 << 10)
    private var position: Int64 = 0

    package init(options: Options, checkpoint: LogCheckpoint?) {
        self.options = options
        self.checkpoint = checkpoint?.cursor == nil ? nil : checkpoint
        emitted = Set(self.checkpoint?.emittedOffsets ?? [])
        skipping = emitted
        framer = LogRecordFramer(framing: JournalLogParser.framing, cap: options.maximumEntryBytes)
        parser = JournalLogParser(prefix: options.prefix, fileName: "journal", maximumEntryBytes: options.maximumEntryBytes,
                                  timeZone: options.timeZone)
    }

    package var isReading: Bool { process != nil }
    package var lagBytes: Int64 { 0 }

    /// The journalctl arguments for the current checkpoint.
    var arguments: [String] {
        var arguments = ["--output=json", "--all", "--no-pager", "--follow", "--quiet"]
        if let directory = options.directory { arguments.append("--directory=\(directory)") }
        if let cursor = checkpoint?.cursor {
            // --follow alone would show only the last 10 entries after the cursor.
            arguments += ["--after-cursor=\(cursor)", "--no-tail"]
        } else {
            arguments.append(options.startAtEnd ? "--lines=0" : "--lines=all")
        }
        return arguments + options.matches
    }

    package mutating func poll(now: Duration, budget: Int = 4 << 20) -> LogTailer.Batch {
        if process == nil {
            guard now >= nextStart else { return LogTailer.Batch(events: [], checkpoint: checkpoint, reachedEnd: true) }
            start(now: now)
            guard process != nil else { return LogTailer.Batch(events: [], checkpoint: checkpoint, reachedEnd: true) }
        }
        var events: [LogEvent] = []
        var read = 0
        var reachedEnd = false
        while read < budget {
            let outcome = buffer.withUnsafeMutableBytes { process!.read(into: $0) }
            switch outcome {
            case let .bytes(count):
                read += count
                statistics.bytesRead += Int64(count)
                lastDataAt = now
                buffer.withUnsafeBufferPointer { bytes in
                    framer.feed(UnsafeBufferPointer(rebasing: bytes[0..<count]), at: position) { parser.consume($0, into: &events) }
                }
                position += Int64(count)
            case .empty:
                reachedEnd = true
            case .ended:
                let (status, message) = process!.finish()
                process = nil
                statistics.readErrors += 1
                lastError = "journalctl exited with status \(status)" + (message.isEmpty ? "" : ": \(message)")
                nextStart = now + options.restartDelay
                // The next journalctl starts after the checkpoint's cursor: the entries still open are read
                // again from their first record, and those emitted since are skipped.
                framer = LogRecordFramer(framing: JournalLogParser.framing, cap: options.maximumEntryBytes)
                parser = JournalLogParser(prefix: options.prefix, fileName: "journal", maximumEntryBytes: options.maximumEntryBytes,
                                          timeZone: options.timeZone)
                skipping = emitted
                reachedEnd = true
            }
            if reachedEnd { break }
        }
        if reachedEnd, process != nil, now - lastDataAt >= options.quietPeriod {
            parser.completeOpenEntries(into: &events)
        }
        events = events.filter { event in
            guard let offset = event.source?.offset, skipping.contains(offset) else { return true }
            statistics.skippedDuplicates += 1
            return false
        }
        for event in events { if let offset = event.source?.offset { emitted.insert(offset) } }
        statistics.parse.lines = parser.counts.records
        statistics.parse.entries = parser.counts.entries
        statistics.parse.unparsed = parser.counts.unparsed
        statistics.parse.truncated = parser.counts.truncated
        if let (cursor, offset) = parser.checkpointCursor() {
            emitted = emitted.filter { $0 > offset }
            skipping = skipping.filter { $0 > offset }
            checkpoint = LogCheckpoint(journalCursor: cursor, realtime: offset, emitted: emitted.sorted())
        } else if var saved = checkpoint {
            saved.emittedOffsets = emitted.sorted()
            checkpoint = saved
        }
        return LogTailer.Batch(events: events, checkpoint: checkpoint, reachedEnd: reachedEnd)
    }

    private mutating func start(now: Duration) {
        do {
            process = try JournalProcess(executable: options.executable, arguments: arguments)
            statistics.filesOpened += 1
            lastDataAt = now
            lastStart = checkpoint?.cursor.map { "journal after cursor \($0)" }
                ?? (options.startAtEnd ? "journal: new entries only (no checkpoint)" : "journal from its start (no checkpoint)")
        } catch {
            lastError = "cannot start \(options.executable): \(error.localizedDescription)"
            statistics.readErrors += 1
            nextStart = now + options.restartDelay
        }
    }
}
