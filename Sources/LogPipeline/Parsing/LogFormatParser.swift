package import AgentSchema

/// A log format: turns the records the ``LogRecordFramer`` cuts from a file into entries (``LogEvent``).
///
/// Adding a format is one type that conforms: it names its framing and reads one record at a time. The
/// framer owns everything about bytes (chunks, offsets, NUL runs, the entry cap); ``LogEntryParser`` puts
/// the two together for the tailer and `logs parse`.
protocol LogFormatParser: Sendable {
    /// How this format's records end.
    static var framing: LogRecordFraming { get }
    /// Reads one record; appends the entries it completed (none, one, or several for formats that join
    /// lines). Returns false when the record is none of this format's (counted as unparsed by the parser).
    mutating func consume(_ record: LogRecord, into events: inout [LogEvent]) -> Bool
    /// Completes the entries waiting for more records (formats that join lines), oldest first.
    mutating func completeOpenEntries(into events: inout [LogEvent])
    /// The offset of the first record of the oldest entry still open, if any.
    var oldestOpenOffset: Int64? { get }
    /// What the parser has counted: entries made, records it could not read, entries cut.
    var counts: LogParseCounts { get }
    /// Records of other programs in the same file (syslog's other idents, a container's stdout, an
    /// operator's own lines): neither entries nor unparsed.
    var foreignLines: Int { get }
}

extension LogFormatParser {
    /// Formats whose entries are complete with their record have none open.
    mutating func completeOpenEntries(into events: inout [LogEvent]) {}

    /// Formats whose entries are complete with their record have none open.
    var oldestOpenOffset: Int64? { nil }

    /// Formats of the server's log alone have no foreign records.
    var foreignLines: Int { 0 }
}

/// Counters every format parser keeps.
struct LogParseCounts: Sendable, Equatable {
    /// Records read.
    var records = 0
    /// Entries completed.
    var entries = 0
    /// Records (or lines) that were none of the format's.
    var unparsed = 0
    /// Entries cut at a cap.
    var truncated = 0
}
