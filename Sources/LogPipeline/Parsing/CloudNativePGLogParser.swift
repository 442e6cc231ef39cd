package import AgentSchema

/// Reads the log of a CloudNativePG instance: its instance manager writes JSON lines, and PostgreSQL's
/// csvlog records come wrapped in them,
/// `{"level":"info","ts":"…","logger":"postgres","msg":"record","logging_pod":"…","record":{"log_time":"…",
/// "user_name":"…", … csvlog's column names …}}`.
///
/// Each record becomes the csvlog row it was made from and goes through the ``CSVLogParser``, so that a
/// CloudNativePG entry is read exactly as csvlog is (times, severities, positions). The operator's own
/// lines (any other `logger` or `msg`) are foreign: counted apart, neither errors nor events.
struct CloudNativePGLogParser: LogFormatParser {
    static let framing = LogRecordFraming.jsonLines

    /// csvlog's columns (PostgreSQL 14 and later), in order; CloudNativePG names the record's keys after them.
    static let columns = [
        "log_time", "user_name", "database_name", "process_id", "connection_from", "session_id", "session_line_num",
        "command_tag", "session_start_time", "virtual_transaction_id", "transaction_id", "error_severity",
        "sql_state_code", "message", "detail", "hint", "internal_query", "internal_query_pos", "context", "query",
        "query_pos", "location", "application_name", "backend_type", "leader_pid", "query_id",
    ]
    /// The columns PostgreSQL writes bare (no quotes), as in its own csvlog: times, numbers and codes.
    private static let bare: Set<String> = [
        "log_time", "process_id", "session_id", "session_line_num", "session_start_time", "virtual_transaction_id",
        "transaction_id", "error_severity", "sql_state_code", "internal_query_pos", "query_pos", "leader_pid", "query_id",
    ]

    private var csv: CSVLogParser
    private let fileName: String
    private var row: [UInt8] = []
    private var scratch: [UInt8] = []
    /// Where the next row goes in the CSV parser's own (made-up) stream of rows.
    private var rowOffset: Int64 = 0
    private var records = 0
    private var malformed = 0
    /// The operator's own lines.
    private(set) var foreignLines = 0

    init(fileName: String, maximumEntryBytes: Int, timeZone: TimeZoneRules?) {
        self.fileName = fileName
        csv = CSVLogParser(file: fileName, entryCap: maximumEntryBytes, timeZone: timeZone)
    }

    mutating func consume(_ record: LogRecord, into events: inout [LogEvent]) -> Bool {
        records += 1
        var reader = JSONBytesReader(record.bytes)
        reader.skipWhitespace()
        guard case let .object(line)? = reader.parseValue(depth: 0, scratch: &scratch) else {
            malformed += 1
            return false
        }
        guard line["logger"] == .string("postgres"), line["msg"] == .string("record"),
              case let .object(fields)? = line["record"] else {
            foreignLines += 1
            return true
        }
        makeRow(fields)
        let parsed = row.withUnsafeBytes { csv.consume($0, startingAt: rowOffset) }
        rowOffset += Int64(row.count)
        guard !parsed.isEmpty else {
            malformed += 1
            return false
        }
        for var event in parsed {
            event.source = LogEvent.Source(file: fileName, offset: record.offset)
            if record.truncated { event.truncated = true }
            events.append(event)
        }
        return true
    }

    var counts: LogParseCounts {
        LogParseCounts(records: records, entries: csv.counts.entries, unparsed: malformed, truncated: csv.counts.truncated)
    }

    /// The csvlog row of a record, written as PostgreSQL writes it: text quoted (quotes doubled), times,
    /// numbers and codes bare (without the characters that would end the field), absent fields empty.
    private mutating func makeRow(_ fields: JSONObject) {
        row.removeAll(keepingCapacity: true)
        for (index, column) in Self.columns.enumerated() {
            if index > 0 { row.append(UInt8(ascii: ",")) }
            let text: String
            switch fields[column] {
            case let .string(value)?: text = value
            case let .integer(value)?: text = String(value)
            case let .number(value)?: text = String(value)
            default: continue
            }
            if text.isEmpty { continue }
            if Self.bare.contains(column) {
                row += text.utf8.filter { $0 != UInt8(ascii: ",") && $0 != UInt8(ascii: "\"") && $0 != UInt8(ascii: "\n") }
                continue
            }
            row.append(UInt8(ascii: "\""))
            for byte in text.utf8 {
                if byte == UInt8(ascii: "\"") { row.append(byte) }
                row.append(byte)
            }
            row.append(UInt8(ascii: "\""))
        }
        row.append(UInt8(ascii: "\n"))
    }
}
