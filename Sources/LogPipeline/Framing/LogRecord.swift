/// One record of a log file as the ``LogRecordFramer`` hands it to a ``LogFormatParser``: a line (stderr,
/// jsonlog) or a row (csvlog), without its newline.
struct LogRecord {
    /// The record's bytes; valid only during the call that receives them.
    var bytes: UnsafeBufferPointer<UInt8>
    /// The byte offset of the record's first byte in the file.
    var offset: Int64
    /// The record was longer than the cap and was cut (how depends on the framing).
    var truncated: Bool
    /// csvlog: the positions in ``bytes`` of the commas that separate fields (outside quotes), found while
    /// framing; empty otherwise.
    var separators: UnsafeBufferPointer<Int>
}

/// How a format's records end, and how an overlong one is cut.
enum LogRecordFraming: Sendable {
    /// A record per line; an overlong line is cut at the cap and the rest of it dropped.
    case lines
    /// A JSON object per line; an overlong line is cut inside its string values, so that it stays an object
    /// with every key (the application name after a huge message, say).
    case jsonLines
    /// A CSV row per record: a newline inside double quotes does not end it. An overlong row is cut field by
    /// field. A row torn by a crash (an unclosed quote) resynchronises at the next line that starts a row.
    case csvRows
}
