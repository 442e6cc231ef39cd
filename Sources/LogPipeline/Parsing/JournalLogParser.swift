package import AgentSchema

/// Reads the systemd journal's entries as `journalctl --output=json` prints them, one JSON object per
/// line, for the server's log in the journal:
///
/// - its syslog messages (`log_destination = syslog` on a systemd host; `_TRANSPORT=syslog`,
///   `MESSAGE` = `[N-k] text`): joined per process as ``SyslogLogParser`` joins them;
/// - the stderr of a server run as a unit without the logging collector (`_TRANSPORT=stdout`): plain
///   lines under the prefix, joined as stderr lines are.
///
/// A record's offset is its `__REALTIME_TIMESTAMP` (microseconds), which names the entry's first record in
/// ``LogEvent/source``; ``cursor(before:)`` gives the `__CURSOR` a restart resumes after.
struct JournalLogParser: LogFormatParser {
    static let framing = LogRecordFraming.jsonLines

    private var syslog: SyslogLogParser
    private var stderr: StderrLogParser
    private var scratch: [UInt8] = []
    private var message: [UInt8] = []
    private var records = 0
    private var malformed = 0
    private let ident: String
    /// Entries of other programs or of systemd itself.
    private(set) var foreignLines = 0
    /// Records read, in order, with their cursors: from the last checkpointed one on.
    private(set) var cursors: [(offset: Int64, cursor: String)] = []

    init(prefix: LogLinePrefix, fileName: String, maximumEntryBytes: Int, timeZone: TimeZoneRules?, ident: String = "postgres") {
        self.ident = ident
        syslog = SyslogLogParser(prefix: prefix, fileName: fileName, maximumEntryBytes: maximumEntryBytes, timeZone: timeZone,
                                 referenceTime: 0)
        stderr = StderrLogParser(prefix: prefix, fileName: fileName, maximumEntryBytes: maximumEntryBytes, timeZone: timeZone)
    }

    mutating func consume(_ record: LogRecord, into events: inout [LogEvent]) -> Bool {
        records += 1
        var reader = JSONBytesReader(record.bytes)
        reader.skipWhitespace()
        guard case let .object(entry)? = reader.parseValue(depth: 0, scratch: &scratch),
              case let .string(cursor)? = entry["__CURSOR"],
              case let .string(realtimeText)? = entry["__REALTIME_TIMESTAMP"], let realtime = Int64(realtimeText) else {
            malformed += 1
            return false
        }
        cursors.append((realtime, cursor))
        // journalctl's match picks the server's entries; whatever else is in the input (a whole journal
        // exported to a file) is another program's: syslog of another ident, systemd's own messages.
        let transport = entry["_TRANSPORT"]
        let isOwn = transport == .string("stdout") || transport == .string("stderr")
            || (transport == .string("syslog") && (entry["SYSLOG_IDENTIFIER"].map { $0 == .string(ident) } ?? true))
            || transport == nil
        guard isOwn else {
            foreignLines += 1
            return true
        }
        // MESSAGE is a string, or an array of bytes when it is not UTF-8 (or holds control characters).
        message.removeAll(keepingCapacity: true)
        switch entry["MESSAGE"] {
        case let .string(text)?: message += text.utf8
        case let .array(bytes)?:
            for case let .integer(byte) in bytes where (0...255).contains(byte) { message.append(UInt8(byte)) }
        default: return true
        }
        var pid = -1
        for key in ["SYSLOG_PID", "_PID"] {
            if case let .string(text)? = entry[key], let value = Int(text) { pid = value; break }
        }
        let timestamp = LogTimestampReader.format(epochSeconds: realtime / 1_000_000, millisecond: Int(realtime / 1_000 % 1_000))
        let isSyslog = entry["_TRANSPORT"] == .string("syslog")
            || (message.first == UInt8(ascii: "[") && message.contains(UInt8(ascii: "]")))
        message.withUnsafeBufferPointer { bytes in
            if isSyslog {
                syslog.consume(message: bytes, pid: pid, timestamp: timestamp, offset: realtime, escaped: false, into: &events)
            } else {
                // A unit's stderr: one line per record (a line may hold newlines if the writer sent them so).
                var start = 0
                while start <= bytes.count {
                    let end = bytes[start...].firstIndex(of: UInt8(ascii: "\n")) ?? bytes.count
                    events += stderr.consume(line: UnsafeBufferPointer(rebasing: bytes[start..<end]), offset: realtime)
                    start = end + 1
                }
            }
        }
        return true
    }

    /// The messages of journalctl's JSON lines in `sample`, without part tags, one per line and only those
    /// that start a line (what a prefix is tried on).
    static func messages(of sample: [UInt8]) -> [UInt8] {
        var text: [UInt8] = []
        var scratch: [UInt8] = []
        sample.withUnsafeBufferPointer { bytes in
            var start = 0
            while start < bytes.count {
                guard let end = bytes[start...].firstIndex(of: UInt8(ascii: "\n")) else { break }
                var reader = JSONBytesReader(UnsafeBufferPointer(rebasing: bytes[start..<end]))
                if case let .object(entry)? = reader.parseValue(depth: 0, scratch: &scratch), case let .string(message)? = entry["MESSAGE"] {
                    var line = Array(message.utf8)
                    line.withUnsafeBufferPointer { buffer in
                        var index = 0
                        _ = SyslogLogParser.tag(buffer, at: &index)
                        line = Array(buffer[index...])
                    }
                    if let first = line.first, first != UInt8(ascii: " "), first != UInt8(ascii: "\t") {
                        text += line.prefix { $0 != UInt8(ascii: "\n") }
                        text.append(UInt8(ascii: "\n"))
                    }
                }
                start = end + 1
            }
        }
        return text
    }

    mutating func completeOpenEntries(into events: inout [LogEvent]) {
        syslog.completeOpenEntries(into: &events)
        stderr.completeOpenEntries(into: &events)
    }

    var oldestOpenOffset: Int64? {
        switch (syslog.oldestOpenOffset, stderr.oldestOpenOffset) {
        case let (a?, b?): return min(a, b)
        case let (a, b): return a ?? b
        }
    }

    var counts: LogParseCounts {
        let a = syslog.counts, b = stderr.counts
        return LogParseCounts(records: records, entries: a.entries + b.entries, unparsed: malformed + a.unparsed + b.unparsed,
                              truncated: a.truncated + b.truncated)
    }

    /// The cursor a restart resumes after so that nothing still open is lost: that of the last record
    /// before the first record of the oldest open entry, or of the last record read when none is open;
    /// nil when no record before it has been read in this run. Records before it are forgotten.
    mutating func checkpointCursor() -> (cursor: String, offset: Int64)? {
        guard !cursors.isEmpty else { return nil }
        var index = cursors.count - 1
        if let open = oldestOpenOffset {
            guard let first = cursors.firstIndex(where: { $0.offset == open }) else { return nil }
            guard first > 0 else { return nil }
            index = first - 1
        }
        let result = cursors[index]
        cursors.removeFirst(index)
        return (result.cursor, result.offset)
    }
}
