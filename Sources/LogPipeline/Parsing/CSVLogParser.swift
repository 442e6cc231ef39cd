package import AgentSchema

/// Parses PostgreSQL's `csvlog` output into ``LogEvent``s, one row at a time as the ``LogRecordFramer``
/// cuts them (framing `csvRows`: a newline inside double quotes does not end a row, torn rows
/// resynchronise, overlong rows are cut field by field).
///
/// Fields are separated by commas outside quotes and `""` inside a quoted field is one `"`, so messages and
/// statements may span lines and hold quotes. The layout follows from the number of columns, row by row:
/// 23 (PostgreSQL 12 and older), 24 (13 adds `backend_type`), 26 (14 and newer add `leader_pid` and
/// `query_id`). A row that is not a csvlog row (wrong column count, no timestamp, no pid) counts as
/// unparsed; nothing in the input can make the parser crash.
///
/// PostgreSQL writes whatever bytes a message holds (a `SQL_ASCII` database may log Latin-1): such a row
/// is still an event, the bad bytes become U+FFFD and ``invalidUTF8Count`` counts the row. Times become RFC
/// 3339 UTC through a ``LogTimestampReader`` with the server's `log_timezone`.
package struct CSVLogParser: SelfFramingParser {
    /// The column layouts PostgreSQL has written, by column count.
    package enum Layout: Int, Sendable, CaseIterable {
        /// PostgreSQL 12 and older: 23 columns, ending with `application_name`.
        case upTo12 = 23
        /// PostgreSQL 13: adds `backend_type`.
        case pg13 = 24
        /// PostgreSQL 14 and newer: adds `leader_pid` and `query_id`.
        case from14 = 26
    }

    static let framing = LogRecordFraming.csvRows
    /// Default for ``entryCap``: 1 MiB.
    package static let defaultEntryCap = 1 << 20

    /// The file name put in every event's `source`.
    package let file: String
    /// The longest row kept whole, in bytes.
    package var entryCap: Int { framer.cap }
    /// Rows turned into events.
    package private(set) var rowCount = 0
    /// Rows (or stretches of bytes) that were not csvlog rows, including a row cut off by the end of input.
    package var unparsedCount: Int { rejectedRows + framer.unparsed }
    /// Rows longer than ``entryCap``, emitted cut and marked `truncated`.
    package private(set) var truncatedCount = 0
    /// Rows emitted with invalid UTF-8 replaced by U+FFFD.
    package private(set) var invalidUTF8Count = 0
    /// Rows whose timestamp named a time zone we could not resolve (emitted without `timestamp`).
    package var unknownTimeZoneCount: Int { timestamps.unresolvedCount }
    /// The layout of the last row parsed.
    package private(set) var lastLayout: Layout?
    /// File offset just past the last row consumed (parsed or counted as unparsed) through
    /// ``consume(_:startingAt:)``: where to resume after a restart without repeating or skipping an entry.
    package var resumeOffset: Int64 { framer.consumedEnd }

    private var rejectedRows = 0
    private var decoder = FieldDecoder()
    private var timestamps: LogTimestampReader
    /// Frames the bytes given to ``consume(_:startingAt:)`` (the tailer frames them itself).
    var framer: LogRecordFramer

    /// Makes a parser for `file`; `entryCap` is the longest entry kept whole (1 MiB by default);
    /// `timeZone` is the server's `log_timezone`, when known (see ``LogTimestampReader``).
    package init(file: String, entryCap: Int = CSVLogParser.defaultEntryCap, timeZone: TimeZoneRules? = nil) {
        self.file = file
        self.framer = LogRecordFramer(framing: .csvRows, cap: entryCap)
        self.timestamps = LogTimestampReader(timeZone: timeZone)
    }

    mutating func consume(_ record: LogRecord, into events: inout [LogEvent]) -> Bool {
        guard let event = rowEvent(record) else {
            rejectedRows += 1
            return false
        }
        events.append(event)
        return true
    }

    var counts: LogParseCounts {
        LogParseCounts(records: rowCount + rejectedRows, entries: rowCount, unparsed: rejectedRows, truncated: truncatedCount)
    }
}

// MARK: - Rows to events

extension CSVLogParser {
    /// Column positions, as PostgreSQL's csvlog.c writes them.
    private enum Column {
        static let logTime = 0, user = 1, database = 2, pid = 3, connectionFrom = 4, sessionID = 5
        static let sessionLine = 6, virtualXID = 9, xid = 10, severity = 11
        static let sqlstate = 12, message = 13, detail = 14, hint = 15, internalQuery = 16, internalPosition = 17
        static let context = 18, statement = 19, cursorPosition = 20, location = 21, applicationName = 22, backendType = 23, leaderPID = 24
        static let queryID = 25
    }

    /// The event for a row (its commas in ``LogRecord/separators``), or nil when it is not a csvlog row.
    private mutating func rowEvent(_ record: LogRecord) -> LogEvent? {
        let commas = record.separators
        let buffer = record.bytes
        guard let layout = Layout(rawValue: commas.count + 1) else { return nil }
        let truncated = record.truncated
        func field(_ column: Int) -> UnsafeBufferPointer<UInt8> {
            let start = column == 0 ? 0 : commas[column - 1] + 1
            let end = column == commas.count ? buffer.count : commas[column]
            return UnsafeBufferPointer(rebasing: buffer[start..<end])
        }
        let logTime = field(Column.logTime)
        guard LogTimestampReader.hasDateTimePrefix(logTime), let pid = UTF8Field.integer(field(Column.pid)),
              !field(Column.severity).isEmpty else { return nil }

        decoder.sawInvalidUTF8 = false
        var event = LogEvent()
        event.timestamp = timestamps.rfc3339(local: logTime)
        event.pid = Int(pid)
        event.user = decoder.string(field(Column.user), cache: .user)
        event.database = decoder.string(field(Column.database), cache: .database)
        event.remoteHost = Self.hostPart(decoder.string(field(Column.connectionFrom), cache: .remoteHost))
        event.sessionID = decoder.string(field(Column.sessionID), cache: .sessionID)
        event.sessionLine = UTF8Field.integer(field(Column.sessionLine))
        event.virtualXID = decoder.string(field(Column.virtualXID))
        event.xid = UTF8Field.integer(field(Column.xid)).flatMap { $0 == 0 ? nil : $0 }
        if let word = decoder.string(field(Column.severity), cache: .severity) {
            // csvlog writes the severity translated: the English name, and the word when it differs.
            let english = LogSeverity.english(word)
            event.severity = english.flatMap(PostgresSeverity.init(rawValue:))
            if english != word { event.localizedSeverity = word }
        }
        event.sqlstate = decoder.string(field(Column.sqlstate), cache: .sqlstate).flatMap { $0 == "00000" ? nil : $0 }
        event.message = decoder.string(field(Column.message))
        event.detail = decoder.string(field(Column.detail))
        event.hint = decoder.string(field(Column.hint))
        event.internalQuery = decoder.string(field(Column.internalQuery))
        event.internalPosition = UTF8Field.integer(field(Column.internalPosition)).flatMap { $0 > 0 ? Int($0) : nil }
        event.cursorPosition = UTF8Field.integer(field(Column.cursorPosition)).flatMap { $0 > 0 ? Int($0) : nil }
        event.context = decoder.string(field(Column.context))
        event.statement = decoder.string(field(Column.statement))
        event.location = decoder.string(field(Column.location))
        event.applicationName = decoder.string(field(Column.applicationName), cache: .applicationName)
        if layout != .upTo12 {
            event.backendType = decoder.string(field(Column.backendType), cache: .backendType)
        }
        if layout == .from14 {
            event.leaderPID = UTF8Field.integer(field(Column.leaderPID)).map { Int($0) }
            event.queryID = UTF8Field.integer(field(Column.queryID)).flatMap { $0 == 0 ? nil : $0 }
        }
        if truncated {
            event.truncated = true
            truncatedCount += 1
        }
        if decoder.sawInvalidUTF8 { invalidUTF8Count += 1 }
        event.source = LogEvent.Source(file: file, offset: record.offset)
        rowCount += 1
        lastLayout = layout
        return event
    }

    /// `connection_from` is `host:port` (or `[local]`); events carry the host, as jsonlog's `remote_host` does.
    private static func hostPart(_ connectionFrom: String?) -> String? {
        guard let connectionFrom, connectionFrom.utf8.last.map({ $0 >= 0x30 && $0 <= 0x39 }) == true,
              let colon = connectionFrom.utf8.lastIndex(of: 0x3A) else { return connectionFrom }
        return String(connectionFrom[..<colon])
    }
}
