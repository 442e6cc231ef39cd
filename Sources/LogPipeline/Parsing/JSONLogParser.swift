package import AgentSchema

/// Parses PostgreSQL's `jsonlog` output (PostgreSQL 15 and newer): one JSON object per line.
///
/// The keys are the ones `jsonlog.c` writes in PostgreSQL 15 to 18: `timestamp`, `user`, `dbname`,
/// `pid`, `remote_host`, `remote_port`, `session_id`, `line_num`, `ps`, `session_start`, `vxid`,
/// `txid`, `error_severity`, `state_code`, `message`, `detail`, `hint`, `internal_query`,
/// `internal_position`, `context`, `statement`, `cursor_position`, `func_name`, `file_name`,
/// `file_line_num`, `application_name`, `backend_type`, `leader_pid`, `query_id`. Other keys are
/// skipped, whatever their value. The event has the same fields as the csvlog parser gives for
/// the same entry: `remote_host` without the port, `func_name, file_name:file_line_num` as
/// `location`, a zero `txid`/`query_id` and the `00000` state left out.
///
/// The lines are read with a small JSON reader working on the bytes (no Foundation, no
/// intermediate dictionary): it knows the full JSON grammar (escapes including `\uXXXX` and
/// surrogate pairs, numbers, literals, nested values in keys we skip) and rejects anything else.
/// A line that is not such an object, or has no valid `timestamp`, counts as unparsed. Raw bytes
/// that are not UTF-8 (PostgreSQL copies message bytes as they are) become U+FFFD and are counted in
/// ``invalidUTF8Count``; the event is kept.
///
/// Lines come from the ``LogRecordFramer`` (framing `jsonLines`): one longer than ``entryCap`` is cut inside
/// its string values (the value being written at the cap, less a reserve, is cut at a character boundary
/// and closed; later keys are kept while the total stays within the cap) and the event is marked
/// `truncated`.
package struct JSONLogParser: SelfFramingParser {
    static let framing = LogRecordFraming.jsonLines

    /// The file name put in every event's `source`.
    package let file: String
    /// The longest line kept whole, in bytes.
    package var entryCap: Int { framer.cap }
    /// Lines turned into events.
    package private(set) var lineCount = 0
    /// Lines that were not jsonlog objects, including a line cut off by the end of input.
    package var unparsedCount: Int { rejectedLines + framer.unparsed }
    /// Lines longer than ``entryCap``, emitted cut and marked `truncated`.
    package private(set) var truncatedCount = 0
    /// Lines emitted with invalid UTF-8 replaced by U+FFFD.
    package private(set) var invalidUTF8Count = 0
    /// Lines whose timestamp named a time zone we could not resolve (emitted without `timestamp`).
    package var unknownTimeZoneCount: Int { timestamps.unresolvedCount }
    /// File offset just past the last line consumed by ``consume(_:startingAt:)``.
    package var resumeOffset: Int64 { framer.consumedEnd }

    private var rejectedLines = 0
    private var decoder = FieldDecoder()
    private var timestamps: LogTimestampReader
    private var scratch: [UInt8] = []
    /// Frames the bytes given to ``consume(_:startingAt:)`` (the tailer frames them itself).
    var framer: LogRecordFramer

    /// Makes a parser for `file`; `entryCap` is the longest line kept whole (1 MiB by default);
    /// `timeZone` is the server's `log_timezone`, when known (see ``LogTimestampReader``).
    package init(file: String, entryCap: Int = CSVLogParser.defaultEntryCap, timeZone: TimeZoneRules? = nil) {
        self.file = file
        self.framer = LogRecordFramer(framing: .jsonLines, cap: entryCap)
        self.timestamps = LogTimestampReader(timeZone: timeZone)
    }

    /// Parses one line (with or without its newline) that starts at file offset `offset`; nil for
    /// an empty line and for one that is not a jsonlog object (counted in ``unparsedCount``).
    package mutating func consume(line: UnsafeRawBufferPointer, offset: Int64) -> LogEvent? {
        var line = line.assumingMemoryBound(to: UInt8.self)
        while let last = line.last, last == 0x0A || last == 0x0D {
            line = UnsafeBufferPointer(rebasing: line.dropLast())
        }
        var events: [LogEvent] = []
        var single = LogRecordFramer(framing: .jsonLines, cap: entryCap)
        single.handOn(line, at: offset, truncated: false) { consume($0, into: &events) }
        rejectedLines += single.unparsed
        return events.first
    }

    /// The same, for any collection of bytes.
    package mutating func consume(line: some Collection<UInt8>, offset: Int64) -> LogEvent? {
        Array(line).withUnsafeBytes { consume(line: $0, offset: offset) }
    }

    mutating func consume(_ record: LogRecord, into events: inout [LogEvent]) -> Bool {
        guard record.bytes.contains(where: { !JSONBytesReader.isWhitespace($0) }) else { return true }
        guard let event = parse(record.bytes, offset: record.offset, truncated: record.truncated) else { return false }
        events.append(event)
        return true
    }

    var counts: LogParseCounts {
        LogParseCounts(records: lineCount + rejectedLines, entries: lineCount, unparsed: rejectedLines, truncated: truncatedCount)
    }
}

// MARK: - Objects to events

extension JSONLogParser {
    /// The keys PostgreSQL 15–18 write.
    private enum Key: CaseIterable {
        case timestamp, user, dbname, pid, remoteHost, remotePort, sessionID, lineNum, ps, sessionStart
        case vxid, txid, errorSeverity, stateCode, message, detail, hint, internalQuery, internalPosition
        case context, statement, cursorPosition, funcName, fileName, fileLineNum, applicationName
        case backendType, leaderPID, queryID

        var name: String {
            switch self {
            case .timestamp: "timestamp"
            case .user: "user"
            case .dbname: "dbname"
            case .pid: "pid"
            case .remoteHost: "remote_host"
            case .remotePort: "remote_port"
            case .sessionID: "session_id"
            case .lineNum: "line_num"
            case .ps: "ps"
            case .sessionStart: "session_start"
            case .vxid: "vxid"
            case .txid: "txid"
            case .errorSeverity: "error_severity"
            case .stateCode: "state_code"
            case .message: "message"
            case .detail: "detail"
            case .hint: "hint"
            case .internalQuery: "internal_query"
            case .internalPosition: "internal_position"
            case .context: "context"
            case .statement: "statement"
            case .cursorPosition: "cursor_position"
            case .funcName: "func_name"
            case .fileName: "file_name"
            case .fileLineNum: "file_line_num"
            case .applicationName: "application_name"
            case .backendType: "backend_type"
            case .leaderPID: "leader_pid"
            case .queryID: "query_id"
            }
        }

        /// The keys grouped by length, so that a lookup compares a handful of byte strings at most.
        static let byLength: [[(bytes: [UInt8], key: Key)]] = {
            var table = [[(bytes: [UInt8], key: Key)]](repeating: [], count: 18)
            for key in allCases { table[key.name.utf8.count].append((Array(key.name.utf8), key)) }
            return table
        }()

        init?(_ name: UnsafeBufferPointer<UInt8>) {
            guard name.count < 18 else { return nil }
            for candidate in Self.byLength[name.count] {
                let equal = candidate.bytes.withUnsafeBufferPointer { bytes in
                    for index in 0..<bytes.count where bytes[index] != name[index] { return false }
                    return true
                }
                if equal {
                    self = candidate.key
                    return
                }
            }
            return nil
        }
    }

    private mutating func parse(_ line: UnsafeBufferPointer<UInt8>, offset: Int64, truncated: Bool) -> LogEvent? {
        decoder.sawInvalidUTF8 = false
        var reader = JSONBytesReader(line)
        var event = LogEvent()
        var sawTimestamp = false
        var funcName: String?
        var fileName: String?
        var fileLine: Int64?

        reader.skipWhitespace()
        guard reader.consume(0x7B) else { return unparsed() }
        reader.skipWhitespace()
        if !reader.consume(0x7D) {
            while true {
                reader.skipWhitespace()
                guard let (keyRange, keyEscaped) = reader.stringToken() else { return unparsed() }
                reader.skipWhitespace()
                guard reader.consume(0x3A) else { return unparsed() }
                reader.skipWhitespace()
                let key: Key?
                if keyEscaped {
                    let name = reader.decode(keyRange, escaped: true, scratch: &scratch)
                    key = name.utf8.withContiguousStorageIfAvailable { Key($0) } ?? nil
                } else {
                    key = Key(UnsafeBufferPointer(rebasing: line[keyRange]))
                }
                guard let key else {
                    guard reader.skipValue(depth: 0) else { return unparsed() }
                    switch reader.endOfMember() {
                    case .more: continue
                    case .end: break
                    case .invalid: return unparsed()
                    }
                    break
                }
                switch key {
                case .pid, .lineNum, .txid, .leaderPID, .queryID, .remotePort, .internalPosition,
                     .cursorPosition, .fileLineNum:
                    guard let number = reader.integerValue() else { return unparsed() }
                    switch key {
                    case .pid: event.pid = number.map { Int($0) }
                    case .lineNum: event.sessionLine = number
                    case .txid: event.xid = number.flatMap { $0 == 0 ? nil : $0 }
                    case .leaderPID: event.leaderPID = number.map { Int($0) }
                    case .queryID: event.queryID = number.flatMap { $0 == 0 ? nil : $0 }
                    case .fileLineNum: fileLine = number
                    case .cursorPosition: event.cursorPosition = number.flatMap { $0 > 0 ? Int($0) : nil }
                    case .internalPosition: event.internalPosition = number.flatMap { $0 > 0 ? Int($0) : nil }
                    default: break
                    }
                case .timestamp:
                    // Converted from the bytes: PostgreSQL never escapes anything in a timestamp.
                    guard let (range, escaped) = reader.stringToken() else { return unparsed() }
                    let text = UnsafeBufferPointer(rebasing: line[range])
                    if !escaped, LogTimestampReader.hasDateTimePrefix(text) {
                        sawTimestamp = true
                        event.timestamp = timestamps.rfc3339(local: text)
                    }
                default:
                    guard let value = stringValue(&reader, key: key) else { return unparsed() }
                    switch key {
                    case .user: event.user = value
                    case .dbname: event.database = value
                    case .remoteHost: event.remoteHost = value
                    case .sessionID: event.sessionID = value
                    case .vxid: event.virtualXID = value
                    case .errorSeverity:
                        if let word = value {
                            let english = LogSeverity.english(word)
                            event.severity = english.flatMap(PostgresSeverity.init(rawValue:))
                            event.localizedSeverity = english == word ? nil : word
                        }
                    case .stateCode: event.sqlstate = value == "00000" ? nil : value
                    case .message: event.message = value
                    case .detail: event.detail = value
                    case .hint: event.hint = value
                    case .internalQuery: event.internalQuery = value
                    case .context: event.context = value
                    case .statement: event.statement = value
                    case .funcName: funcName = value
                    case .fileName: fileName = value
                    case .applicationName: event.applicationName = value
                    case .backendType: event.backendType = value
                    default: break
                    }
                }
                switch reader.endOfMember() {
                case .more: continue
                case .end: break
                case .invalid: return unparsed()
                }
                break
            }
        }
        reader.skipWhitespace()
        guard reader.isAtEnd, sawTimestamp else { return unparsed() }
        if let fileName, let fileLine {
            event.location = funcName.map { "\($0), \(fileName):\(fileLine)" } ?? "\(fileName):\(fileLine)"
        }
        if reader.sawInvalidUTF8 || decoder.sawInvalidUTF8 { invalidUTF8Count += 1 }
        if truncated {
            event.truncated = true
            truncatedCount += 1
        }
        event.source = LogEvent.Source(file: file, offset: offset)
        lineCount += 1
        return event
    }

    private mutating func unparsed() -> LogEvent? {
        rejectedLines += 1
        return nil
    }

    /// A string value (nil inside when empty or JSON `null`); nil when the value is not a string.
    private mutating func stringValue(_ reader: inout JSONBytesReader, key: Key) -> String?? {
        if reader.consumeLiteral("null") { return .some(nil) }
        guard let (range, escaped) = reader.stringToken() else { return nil }
        guard !range.isEmpty else { return .some(nil) }
        if escaped { return .some(reader.decode(range, escaped: true, scratch: &scratch)) }
        let body = UnsafeBufferPointer(rebasing: reader.bytes[range])
        switch key {
        case .user: return decoder.string(body, cache: .user)
        case .dbname: return decoder.string(body, cache: .database)
        case .remoteHost: return decoder.string(body, cache: .remoteHost)
        case .sessionID: return decoder.string(body, cache: .sessionID)
        case .errorSeverity: return decoder.string(body, cache: .severity)
        case .stateCode: return decoder.string(body, cache: .sqlstate)
        case .applicationName: return decoder.string(body, cache: .applicationName)
        case .backendType: return decoder.string(body, cache: .backendType)
        default: return decoder.string(body)
        }
    }
}
