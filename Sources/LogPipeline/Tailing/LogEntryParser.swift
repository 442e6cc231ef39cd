package import AgentSchema

/// The parse stage of one file: the ``LogRecordFramer`` cuts its bytes into records and the format's
/// ``LogFormatParser`` turns them into entries, so that the tailer and `logs parse` need not care which
/// format a file has.
package struct LogEntryParser: Sendable {
    /// What the stage has counted so far, in the terms `logs parse` reports.
    package struct Statistics: Sendable, Equatable {
        /// Lines (stderr, jsonlog) or rows (csvlog) read.
        package var lines = 0
        /// Entries emitted.
        package var entries = 0
        /// Lines, rows or stretches of bytes that could not be parsed.
        package var unparsed = 0
        /// Entries cut at the size cap.
        package var truncated = 0
        /// syslog: lines of other programs (not errors, not events).
        package var foreign = 0
        package init() {}

        /// The counters of two parsers together.
        package static func + (left: Statistics, right: Statistics) -> Statistics {
            var sum = left
            sum.lines += right.lines
            sum.entries += right.entries
            sum.unparsed += right.unparsed
            sum.truncated += right.truncated
            sum.foreign += right.foreign
            return sum
        }
    }

    /// The format this parser reads.
    package let format: LogFormat
    private var framer: LogRecordFramer
    private var parser: any LogFormatParser

    /// A parser for `format` (not `.auto`: detect first); `prefix` is required for stderr; `timeZone` is
    /// the server's `log_timezone` when known (local times are resolved with it).
    /// - Parameters:
    ///   - syslogIdent: syslog only: `syslog_ident`, the program name of the server's lines.
    ///   - hostTimeZone: syslog only: the zone RFC 3164 times are in (the host's).
    ///   - referenceTime: syslog only: now, for the year RFC 3164 times leave out.
    package init(format: LogFormat, prefix: LogLinePrefix?, fileName: String,
                 maximumEntryBytes: Int, timeZone: TimeZoneRules? = nil, syslogIdent: String = "postgres",
                 hostTimeZone: TimeZoneRules? = nil, referenceTime: Int64 = 0) {
        self.format = format
        switch format {
        case .stderr, .auto:
            parser = StderrLogParser(prefix: prefix ?? LogLinePrefix.postgresDefault, fileName: fileName,
                                     maximumEntryBytes: maximumEntryBytes, timeZone: timeZone)
        case .csvlog:
            parser = CSVLogParser(file: fileName, entryCap: maximumEntryBytes, timeZone: timeZone)
        case .jsonlog:
            parser = JSONLogParser(file: fileName, entryCap: maximumEntryBytes, timeZone: timeZone)
        case .docker:
            parser = ContainerLogParser(wrapping: .dockerJSON, prefix: prefix ?? LogLinePrefix.postgresDefault, fileName: fileName,
                                        maximumEntryBytes: maximumEntryBytes, timeZone: timeZone)
        case .cri:
            parser = ContainerLogParser(wrapping: .cri, prefix: prefix ?? LogLinePrefix.postgresDefault, fileName: fileName,
                                        maximumEntryBytes: maximumEntryBytes, timeZone: timeZone)
        case .journal:
            parser = JournalLogParser(prefix: prefix ?? LogLinePrefix.postgresDefault, fileName: fileName,
                                      maximumEntryBytes: maximumEntryBytes, timeZone: timeZone)
        case .cloudnativepg:
            parser = CloudNativePGLogParser(fileName: fileName, maximumEntryBytes: maximumEntryBytes, timeZone: timeZone)
        case .syslog:
            parser = SyslogLogParser(prefix: prefix ?? LogLinePrefix.postgresDefault, fileName: fileName,
                                     maximumEntryBytes: maximumEntryBytes, timeZone: timeZone, ident: syslogIdent,
                                     hostTimeZone: hostTimeZone, referenceTime: referenceTime)
        }
        framer = LogRecordFramer(framing: type(of: parser).framing, cap: maximumEntryBytes)
    }

    /// Feeds the next bytes of the file, read at `offset` (right after the previous call's bytes); returns
    /// the entries they completed. Records may be cut anywhere: the framer keeps the one in progress.
    package mutating func consume(_ bytes: UnsafeBufferPointer<UInt8>, offset: Int64) -> [LogEvent] {
        var events: [LogEvent] = []
        events.reserveCapacity(bytes.count / 1_024)
        framer.feed(bytes, at: offset) { record in parser.consume(record, into: &events) }
        return events
    }

    /// The file has ended for good (rotated away, or the end of `logs parse` input): everything still
    /// open is emitted, and a record still incomplete counts as unparsed.
    package mutating func finish() -> [LogEvent] {
        var events: [LogEvent] = []
        framer.finish { record in parser.consume(record, into: &events) }
        parser.completeOpenEntries(into: &events)
        return events
    }

    /// The file has been quiet for a while: entries waiting for more lines (formats that join lines) are
    /// complete after all.
    package mutating func completeIdleEntries() -> [LogEvent] {
        var events: [LogEvent] = []
        parser.completeOpenEntries(into: &events)
        return events
    }

    /// Whether entries are waiting for more lines.
    package var hasOpenEntries: Bool {
        parser.oldestOpenOffset != nil
    }

    /// Where a restart must begin reading so that nothing emitted so far is missing: the first line of the
    /// oldest open entry, or the end of the last consumed record.
    package var resumeOffset: Int64 {
        min(parser.oldestOpenOffset ?? framer.consumedEnd, framer.consumedEnd)
    }

    /// The counters so far.
    package var statistics: Statistics {
        let counts = parser.counts
        var result = Statistics()
        result.lines = counts.records + framer.unparsed
        result.entries = counts.entries
        result.unparsed = counts.unparsed + framer.unparsed
        result.truncated = counts.truncated
        result.foreign = parser.foreignLines
        return result
    }
}
