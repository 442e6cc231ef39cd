package import AgentSchema

/// One of the three parsers behind a common face, so the tailer and `logs parse` need not care which
/// format a file has. Each parser lives in an optional it is mutated through in place (an enum payload
/// would be copied on every call, and its buffers with it).
package struct LogEntryParser: Sendable {
    /// What a parser has counted so far, in the terms `logs parse` reports.
    package struct Statistics: Sendable, Equatable {
        /// Lines (stderr, jsonlog) or rows (csvlog) read.
        package var lines = 0
        /// Entries emitted.
        package var entries = 0
        /// Lines or rows that could not be parsed.
        package var unparsed = 0
        /// Entries cut at the size cap.
        package var truncated = 0
        package init() {}

        /// The counters of two parsers together.
        package static func + (left: Statistics, right: Statistics) -> Statistics {
            var sum = left
            sum.lines += right.lines
            sum.entries += right.entries
            sum.unparsed += right.unparsed
            sum.truncated += right.truncated
            return sum
        }
    }

    /// The format this parser reads.
    package let format: LogFormat
    private var stderr: StderrLogParser?
    private var csv: CSVLogParser?
    private var json: JSONLogParser?
    /// The end of the last complete stderr line fed in.
    private var consumedEnd: Int64 = 0
    /// The stderr line in progress (no newline yet), and where it starts.
    private var partial: [UInt8] = []
    private var partialOffset: Int64 = 0
    /// Set after an overlong stderr line was handed on cut: its rest is dropped up to the newline.
    private var discardingLine = false
    private let maximumEntryBytes: Int

    /// A parser for `format` (not `.auto`: detect first); `prefix` is required for stderr; `timeZone` is
    /// the server's `log_timezone` when known (local times are resolved with it).
    package init(format: LogFormat, prefix: LogLinePrefix?, fileName: String,
                 maximumEntryBytes: Int, timeZone: TimeZoneRules? = nil) {
        self.format = format
        self.maximumEntryBytes = maximumEntryBytes
        switch format {
        case .stderr, .auto:
            self.stderr = StderrLogParser(prefix: prefix ?? LogLinePrefix.postgresDefault, fileName: fileName,
                                          maximumEntryBytes: maximumEntryBytes, timeZone: timeZone)
        case .csvlog:
            self.csv = CSVLogParser(file: fileName, entryCap: maximumEntryBytes, timeZone: timeZone)
        case .jsonlog:
            self.json = JSONLogParser(file: fileName, entryCap: maximumEntryBytes, timeZone: timeZone)
        }
    }

    /// Feeds the next bytes of the file, read at `offset` (right after the previous call's bytes); returns
    /// the entries they completed. Lines may be cut anywhere: csvlog and jsonlog keep the row in progress
    /// themselves, and for stderr the partial last line waits here for its newline (one that grows past the
    /// entry cap is handed on cut, and the rest of it dropped, so memory stays bounded).
    package mutating func consume(_ bytes: UnsafeBufferPointer<UInt8>, offset: Int64) -> [LogEvent] {
        if csv != nil { return csv!.consume(UnsafeRawBufferPointer(bytes), startingAt: offset) }
        if json != nil { return json!.consume(UnsafeRawBufferPointer(bytes), startingAt: offset) }
        return consumeStderr(bytes, offset: offset)
    }

    private mutating func consumeStderr(_ bytes: UnsafeBufferPointer<UInt8>, offset: Int64) -> [LogEvent] {
        var bytes = bytes
        var offset = offset
        var events: [LogEvent] = []
        if discardingLine {
            // The rest of a line that was already handed on cut.
            guard let newline = bytes.firstIndex(of: 0x0A) else { return [] }
            discardingLine = false
            bytes = UnsafeBufferPointer(rebasing: bytes[(newline + 1)...])
            offset += Int64(newline + 1)
            consumedEnd = offset
        }
        if partial.isEmpty {
            // A copytruncate rotation under a writer without O_APPEND leaves a run of NULs before the next
            // line; skipping it here keeps a long run from being taken for an overlong line.
            let run = bytes.prefix { $0 == 0 }.count
            bytes = UnsafeBufferPointer(rebasing: bytes[run...])
            offset += Int64(run)
            if run > 0 { consumedEnd = offset }
        }
        guard let lastNewline = bytes.lastIndex(of: 0x0A) else {
            appendPartial(bytes, offset: offset, into: &events)
            return events
        }
        var start = 0
        if !partial.isEmpty, let firstNewline = bytes.firstIndex(of: 0x0A) {
            partial.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[..<firstNewline]))
            events += partial.withUnsafeBufferPointer { stderr!.consume(line: $0, offset: partialOffset) }
            partial.removeAll(keepingCapacity: partial.capacity <= 65_536)
            start = firstNewline + 1
        }
        if start <= lastNewline {
            let lines = UnsafeBufferPointer(rebasing: bytes[start..<lastNewline])
            let produced = stderr!.consume(lines: lines, offset: offset + Int64(start))
            // Appending would copy every event and release the originals: a tenth of the parse time.
            if events.isEmpty { events = produced } else { events.append(contentsOf: produced) }
        }
        consumedEnd = offset + Int64(lastNewline + 1)
        appendPartial(UnsafeBufferPointer(rebasing: bytes[(lastNewline + 1)...]),
                      offset: consumedEnd, into: &events)
        return events
    }

    private mutating func appendPartial(_ bytes: UnsafeBufferPointer<UInt8>, offset: Int64,
                                        into events: inout [LogEvent]) {
        guard !bytes.isEmpty else { return }
        if partial.isEmpty { partialOffset = offset }
        partial.append(contentsOf: bytes)
        if partial.count > maximumEntryBytes {
            events += partial.withUnsafeBufferPointer { stderr!.consume(line: $0, offset: partialOffset) }
            partial = []
            discardingLine = true
        }
    }

    /// The file has ended for good (rotated away, or the end of `logs parse` input): everything still
    /// open is emitted, and a row still incomplete counts as unparsed.
    package mutating func finish() -> [LogEvent] {
        if stderr != nil {
            var events: [LogEvent] = []
            if !partial.isEmpty {
                events = partial.withUnsafeBufferPointer { stderr!.consume(line: $0, offset: partialOffset) }
                consumedEnd = partialOffset + Int64(partial.count)
                partial = []
            }
            return events + stderr!.flushAll()
        }
        if csv != nil { return csv!.flush() }
        return json!.flush()
    }

    /// The file has been quiet for a while: entries waiting for more lines (stderr only: csvlog and
    /// jsonlog entries are complete when their row is) are complete after all.
    package mutating func completeIdleEntries() -> [LogEvent] {
        stderr != nil ? stderr!.flushAll() : []
    }

    /// Whether entries are waiting for more lines.
    package var hasOpenEntries: Bool {
        (stderr?.openEntryCount ?? 0) > 0
    }

    /// Where a restart must begin reading so that nothing emitted so far is missing: the first line of the
    /// oldest open entry, or the end of the last consumed line or row.
    package var resumeOffset: Int64 {
        if let stderr { return min(stderr.oldestOpenOffset ?? consumedEnd, consumedEnd) }
        if let csv { return csv.resumeOffset }
        return json!.resumeOffset
    }

    /// The counters so far.
    package var statistics: Statistics {
        var result = Statistics()
        if let stderr {
            result.lines = stderr.statistics.lines
            result.entries = stderr.statistics.entries
            result.unparsed = stderr.statistics.unparsedLines
            result.truncated = stderr.statistics.truncatedEntries
        } else if let csv {
            result.lines = csv.rowCount + csv.unparsedCount
            result.entries = csv.rowCount
            result.unparsed = csv.unparsedCount
            result.truncated = csv.truncatedCount
        } else if let json {
            result.lines = json.lineCount + json.unparsedCount
            result.entries = json.lineCount
            result.unparsed = json.unparsedCount
            result.truncated = json.truncatedCount
        }
        return result
    }
}
