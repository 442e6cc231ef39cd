package import AgentSchema

/// Parses PostgreSQL's `csvlog` output into ``LogEvent``s, fed in chunks as the tailer reads them.
///
/// A row ends at a newline outside double quotes; fields are separated by commas outside quotes and
/// `""` inside a quoted field is one `"`. So messages and statements may span lines and hold quotes.
/// The layout follows from the number of columns, row by row:
/// 23 (PostgreSQL 12 and older), 24 (13 adds `backend_type`), 26 (14 and newer add `leader_pid` and
/// `query_id`).
///
/// ## Damaged input
/// A row that is not a csvlog row (wrong column count, no timestamp, no pid, NUL bytes) counts as
/// unparsed and the parser carries on with the next one; nothing in the input can make it crash.
/// A row cut short inside a quoted field (a crash mid-write, a torn copy) would otherwise swallow
/// every following row as part of that field, so a line that starts with a csvlog timestamp inside
/// an open quote is remembered as a resynchronisation point: as soon as the rows from there parse
/// on their own, the damaged row is dropped and parsing goes on from that line. Runs of NUL bytes
/// between rows (what `copytruncate` leaves when the server keeps writing at its old offset) are
/// skipped and counted once.
///
/// ## Invalid UTF-8
/// PostgreSQL writes whatever bytes the message holds (a `SQL_ASCII` database may log Latin-1). Such
/// a row is still an event: the bad bytes become U+FFFD and ``invalidUTF8Count`` counts the row.
///
/// ## Oversized entries
/// A row longer than ``entryCap`` bytes is cut field by field: the field being written when the
/// row reaches the cap (less a small reserve) is cut at a character boundary, the fields after it
/// are kept while the total stays within the cap, and the event is marked `truncated`. The parser
/// never holds more than the cap of one row in memory; the rest of the row is read and dropped.
package struct CSVLogParser: Sendable {
    /// The column layouts PostgreSQL has written, by column count.
    package enum Layout: Int, Sendable, CaseIterable {
        /// PostgreSQL 12 and older: 23 columns, ending with `application_name`.
        case upTo12 = 23
        /// PostgreSQL 13: adds `backend_type`.
        case pg13 = 24
        /// PostgreSQL 14 and newer: adds `leader_pid` and `query_id`.
        case from14 = 26
    }

    /// Default for ``entryCap``: 1 MiB.
    package static let defaultEntryCap = 1 << 20

    /// The file name put in every event's `source`.
    package let file: String
    /// The longest row kept whole, in bytes.
    package let entryCap: Int
    /// Rows turned into events.
    package private(set) var rowCount = 0
    /// Rows (or stretches of bytes) that were not csvlog rows, including a row cut off by the end of input.
    package private(set) var unparsedCount = 0
    /// Rows longer than ``entryCap``, emitted cut and marked `truncated`.
    package private(set) var truncatedCount = 0
    /// Rows emitted with invalid UTF-8 replaced by U+FFFD.
    package private(set) var invalidUTF8Count = 0
    /// Rows whose timestamp named a time zone we could not resolve (emitted without `timestamp`).
    package var unknownTimeZoneCount: Int { timestamps.unresolvedCount }
    /// The layout of the last row parsed.
    package private(set) var lastLayout: Layout?
    /// File offset just past the last row consumed (parsed or counted as unparsed): where to resume
    /// after a restart without repeating or skipping an entry.
    package private(set) var resumeOffset: Int64 = 0

    /// Bytes of the row in progress when a chunk ended, and the scan state over them.
    private var pending: [UInt8] = []
    private var pendingOffset: Int64 = 0
    private var scan = ScanState()
    /// Comma positions of the row in progress (relative to the buffer being scanned).
    private var commas: [Int] = []
    /// Set while a row longer than the cap is being read: it keeps the capped copy.
    private var overflow: CappedRow?
    private var nextOffset: Int64?
    private var decoder = FieldDecoder()
    private var timestamps: LogTimestampReader

    /// Makes a parser for `file`; `entryCap` is the longest entry kept whole (1 MiB by default);
    /// `timeZone` is the server's `log_timezone`, when known (see ``LogTimestampReader``).
    package init(file: String, entryCap: Int = CSVLogParser.defaultEntryCap, timeZone: TimeZoneRules? = nil) {
        self.file = file
        self.entryCap = max(entryCap, 64)
        self.timestamps = LogTimestampReader(timeZone: timeZone)
    }

    /// Parses the next `bytes` of the file, which start at file offset `offset`, and returns the
    /// rows they complete. A chunk that does not continue where the last one ended (the file was
    /// truncated or replaced) drops the row in progress as unparsed.
    package mutating func consume(_ bytes: UnsafeRawBufferPointer, startingAt offset: Int64) -> [LogEvent] {
        var events: [LogEvent] = []
        feed(bytes.assumingMemoryBound(to: UInt8.self), at: offset, into: &events)
        return events
    }

    /// The same, for any collection of bytes.
    package mutating func consume(_ bytes: some Collection<UInt8>, startingAt offset: Int64) -> [LogEvent] {
        var events: [LogEvent] = []
        let done: Void? = bytes.withContiguousStorageIfAvailable { feed($0, at: offset, into: &events) }
        if done == nil {
            Array(bytes).withUnsafeBufferPointer { feed($0, at: offset, into: &events) }
        }
        return events
    }

    /// Ends the input: a row still open (an unclosed quote, missing columns) counts as unparsed; a
    /// complete row that only lacks its final newline is still parsed. Call it when a file is
    /// finished (rotated away, or the end of `logs parse` input), not when a live file merely has
    /// no more bytes yet.
    package mutating func flush() -> [LogEvent] {
        var events: [LogEvent] = []
        let end = nextOffset
        if overflow == nil, !pending.isEmpty, scan.candidate == nil, !scan.inQuotes, !scan.hasNUL, let end {
            // Feeding the missing newline completes the row, or counts it as unparsed.
            let newline: [UInt8] = [0x0A]
            newline.withUnsafeBufferPointer { feed($0, at: end, into: &events) }
        }
        abandonPartialRow()
        nextOffset = end
        if let end { resumeOffset = end }
        return events
    }
}

// MARK: - Scanning

extension CSVLogParser {
    /// Where the scan over the current buffer stands. Positions are relative to the buffer.
    private struct ScanState {
        var position = 0
        var rowStart = 0
        var inQuotes = false
        var lineStart = 0
        var lineStartInQuotes = false
        /// A line inside an open quote that starts like a csvlog row: where to resynchronise.
        var candidate: Int?
        var hasNUL = false
        var inNULRun = false

        mutating func startRow(at index: Int) {
            position = index
            rowStart = index
            inQuotes = false
            lineStart = index
            lineStartInQuotes = false
            candidate = nil
            hasNUL = false
        }

        mutating func rebase(by delta: Int) {
            position -= delta
            rowStart -= delta
            lineStart -= delta
            if let candidate { self.candidate = candidate - delta }
        }
    }

    private mutating func feed(_ chunk: UnsafeBufferPointer<UInt8>, at offset: Int64, into events: inout [LogEvent]) {
        if let expected = nextOffset, expected != offset {
            abandonPartialRow()
            resumeOffset = offset
        }
        if nextOffset == nil { resumeOffset = offset }
        nextOffset = offset + Int64(chunk.count)
        var rest = chunk
        var offset = offset
        while !rest.isEmpty {
            if overflow != nil {
                guard let used = feedOverflow(rest, into: &events) else { return }
                rest = UnsafeBufferPointer(rebasing: rest[used...])
                offset += Int64(used)
                continue
            }
            if !pending.isEmpty {
                // A row began in an earlier chunk: give it this chunk's bytes a line at a time, so
                // that only the row itself is copied; once it is done, the rest is read in place.
                var end = 0
                while end < rest.count, rest[end] != 0x0A { end += 1 }
                end = min(end + 1, rest.count)
                pending.append(contentsOf: rest[..<end])
                rest = UnsafeBufferPointer(rebasing: rest[end...])
                offset += Int64(end)
                processPending(into: &events)
                continue
            }
            pendingOffset = offset
            let keep = process(rest, base: offset, into: &events)
            if keep < rest.count { pending = Array(rest[keep...]) }
            settle(keep)
            return
        }
    }

    /// Scans the bytes of the row in progress again from where the last scan stopped.
    private mutating func processPending(into events: inout [LogEvent]) {
        var work: [UInt8] = []
        swap(&work, &pending)
        let keep = work.withUnsafeBufferPointer { process($0, base: pendingOffset, into: &events) }
        if keep < work.count {
            work.removeSubrange(0..<keep)
            pending = work
        }
        settle(keep)
    }

    /// Moves the scan state (relative to the buffer scanned) to be relative to the bytes kept.
    private mutating func settle(_ keep: Int) {
        pendingOffset += Int64(keep)
        scan.rebase(by: keep)
        rebaseCommas(by: keep)
    }

    private mutating func rebaseCommas(by delta: Int) {
        guard delta != 0 else { return }
        for index in commas.indices { commas[index] -= delta }
    }

    /// Scans `buffer` from the saved position; returns where the unfinished row starts (the bytes to keep).
    private mutating func process(
        _ buffer: UnsafeBufferPointer<UInt8>, base: Int64, into events: inout [LogEvent]
    ) -> Int {
        let count = buffer.count
        var index = scan.position
        while index < count {
            let byte = buffer[index]
            // Most bytes are text above the comma: nothing to do for them.
            if byte > 0x2C {
                index += 1
                continue
            }
            switch byte {
            case 0x22:
                scan.inQuotes.toggle()
            case 0x2C:
                if !scan.inQuotes { commas.append(index) }
            case 0x00:
                if index == scan.rowStart {
                    var end = index
                    while end < count, buffer[end] == 0 { end += 1 }
                    if !scan.inNULRun { unparsedCount += 1 }
                    scan.inNULRun = true
                    scan.startRow(at: end)
                    resumeOffset = base + Int64(end)
                    index = end
                    continue
                }
                scan.hasNUL = true
            case 0x0A:
                if let resume = lineEnded(at: index, in: buffer, base: base, into: &events) {
                    index = resume
                    continue
                }
            default:
                break
            }
            index += 1
        }
        scan.position = count
        if scan.rowStart < count, count - scan.rowStart > entryCap {
            if let candidate = scan.candidate {
                // The open row is not a row: go on from the line that looks like one.
                unparsedCount += 1
                resumeOffset = base + Int64(candidate)
                commas.removeAll(keepingCapacity: true)
                scan.startRow(at: candidate)
                return process(buffer, base: base, into: &events)
            }
            var capped = CappedRow(cap: entryCap, offset: base + Int64(scan.rowStart))
            for position in scan.rowStart..<count { _ = capped.feed(buffer[position]) }
            overflow = capped
            commas.removeAll(keepingCapacity: true)
            scan.startRow(at: count)
        }
        return min(scan.rowStart, count)
    }

    /// Handles the newline at `index`; returns the index to go on scanning from when the scan
    /// must move elsewhere than the next byte.
    private mutating func lineEnded(
        at index: Int, in buffer: UnsafeBufferPointer<UInt8>, base: Int64, into events: inout [LogEvent]
    ) -> Int? {
        if scan.candidate == nil, scan.lineStartInQuotes,
           Self.looksLikeRowStart(UnsafeBufferPointer(rebasing: buffer[scan.lineStart..<index])) {
            scan.candidate = scan.lineStart
        }
        if !scan.inQuotes {
            scan.inNULRun = false
            let row = scan.rowStart..<index
            let event: LogEvent? = scan.hasNUL ? nil : completeRowEvent(buffer, row: row, base: base)
            if let event {
                events.append(event)
            } else if let candidate = scan.candidate {
                unparsedCount += 1
                resumeOffset = base + Int64(candidate)
                commas.removeAll(keepingCapacity: true)
                scan.startRow(at: candidate)
                return candidate
            } else {
                unparsedCount += 1
            }
            resumeOffset = base + Int64(index + 1)
            commas.removeAll(keepingCapacity: true)
            scan.startRow(at: index + 1)
            return index + 1
        }
        // Inside a quote: where a resynchronisation point started, that row may now be complete
        // (its own quotes balance exactly when the open row's do not).
        if let candidate = scan.candidate {
            var candidateCommas: [Int] = []
            if Self.splitFields(buffer, candidate..<index, into: &candidateCommas) {
                swap(&candidateCommas, &commas)
                let event = completeRowEvent(buffer, row: candidate..<index, base: base)
                swap(&candidateCommas, &commas)
                if let event {
                    unparsedCount += 1
                    events.append(event)
                    resumeOffset = base + Int64(index + 1)
                    commas.removeAll(keepingCapacity: true)
                    scan.startRow(at: index + 1)
                    return index + 1
                }
            }
            scan.candidate = nil
        }
        scan.lineStart = index + 1
        scan.lineStartInQuotes = true
        return nil
    }

    /// Feeds an oversized row's bytes to its capped copy; returns the index after the row's end,
    /// or nil when the chunk ended first.
    private mutating func feedOverflow(_ chunk: UnsafeBufferPointer<UInt8>, into events: inout [LogEvent]) -> Int? {
        guard var capped = overflow else { return 0 }
        overflow = nil
        for index in chunk.indices where capped.feed(chunk[index]) {
            if let event = cappedEvent(capped) { events.append(event) } else { unparsedCount += 1 }
            resumeOffset = capped.offset + Int64(capped.length)
            scan = ScanState()
            commas.removeAll(keepingCapacity: true)
            return index + 1
        }
        overflow = capped
        return nil
    }

    /// The event of a complete row (``commas`` filled), cut first when it is longer than the cap.
    private mutating func completeRowEvent(_ buffer: UnsafeBufferPointer<UInt8>, row: Range<Int>, base: Int64) -> LogEvent? {
        guard row.count > entryCap else { return rowEvent(buffer, row: row, base: base) }
        var capped = CappedRow(cap: entryCap, offset: base + Int64(row.lowerBound))
        for index in row { _ = capped.feed(buffer[index]) }
        _ = capped.feed(0x0A)
        return cappedEvent(capped)
    }

    /// The event of an oversized row's capped copy, or nil when it is not a csvlog row.
    private mutating func cappedEvent(_ capped: CappedRow) -> LogEvent? {
        var rowCommas: [Int] = []
        return capped.stored.withUnsafeBufferPointer { stored in
            guard !capped.hasNUL, Self.splitFields(stored, 0..<stored.count, into: &rowCommas) else { return nil }
            swap(&rowCommas, &commas)
            defer { swap(&rowCommas, &commas) }
            return rowEvent(stored, row: 0..<stored.count, base: capped.offset, truncated: capped.truncated)
        }
    }

    /// Drops the row in progress (end of input, or the file changed under us) as unparsed.
    private mutating func abandonPartialRow() {
        if overflow != nil {
            unparsedCount += 1
            overflow = nil
        }
        if !pending.isEmpty {
            var onlyNULs = true
            for byte in pending where byte != 0 {
                onlyNULs = false
                break
            }
            if !(onlyNULs && scan.inNULRun) {
                unparsedCount += scan.candidate == nil ? 1 : 2
            }
        }
        pending = []
        commas.removeAll(keepingCapacity: true)
        scan = ScanState()
    }

    /// Comma positions of `row`, or false when its quotes do not balance.
    private static func splitFields(_ buffer: UnsafeBufferPointer<UInt8>, _ row: Range<Int>, into commas: inout [Int]) -> Bool {
        commas.removeAll(keepingCapacity: true)
        var inQuotes = false
        for index in row {
            switch buffer[index] {
            case 0x22: inQuotes.toggle()
            case 0x2C where !inQuotes: commas.append(index)
            case 0x00: return false
            default: break
            }
        }
        return !inQuotes
    }

    /// `YYYY-MM-DD HH:MM:SS` at the start of a line: how every csvlog row begins.
    private static func looksLikeRowStart(_ line: UnsafeBufferPointer<UInt8>) -> Bool {
        LogTimestampReader.hasDateTimePrefix(line)
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

    /// The event for the row in `row` (commas in ``commas``), or nil when it is not a csvlog row.
    private mutating func rowEvent(
        _ buffer: UnsafeBufferPointer<UInt8>, row: Range<Int>, base: Int64, truncated: Bool = false
    ) -> LogEvent? {
        guard let layout = Layout(rawValue: commas.count + 1) else { return nil }
        let commas = self.commas
        func field(_ column: Int) -> UnsafeBufferPointer<UInt8> {
            let start = column == 0 ? row.lowerBound : commas[column - 1] + 1
            let end = column == commas.count ? row.upperBound : commas[column]
            return UnsafeBufferPointer(rebasing: buffer[start..<end])
        }
        let logTime = field(Column.logTime)
        guard LogTimestampReader.hasDateTimePrefix(logTime), let pid = FieldDecoder.integer(field(Column.pid)),
              !field(Column.severity).isEmpty else { return nil }

        decoder.sawInvalidUTF8 = false
        var event = LogEvent()
        event.timestamp = timestamps.rfc3339(local: logTime)
        event.pid = Int(pid)
        event.user = decoder.string(field(Column.user), cache: .user)
        event.database = decoder.string(field(Column.database), cache: .database)
        event.remoteHost = Self.hostPart(decoder.string(field(Column.connectionFrom), cache: .remoteHost))
        event.sessionID = decoder.string(field(Column.sessionID), cache: .sessionID)
        event.sessionLine = FieldDecoder.integer(field(Column.sessionLine))
        event.virtualXID = decoder.string(field(Column.virtualXID))
        event.xid = FieldDecoder.integer(field(Column.xid)).flatMap { $0 == 0 ? nil : $0 }
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
        event.internalPosition = FieldDecoder.integer(field(Column.internalPosition)).flatMap { $0 > 0 ? Int($0) : nil }
        event.cursorPosition = FieldDecoder.integer(field(Column.cursorPosition)).flatMap { $0 > 0 ? Int($0) : nil }
        event.context = decoder.string(field(Column.context))
        event.statement = decoder.string(field(Column.statement))
        event.location = decoder.string(field(Column.location))
        event.applicationName = decoder.string(field(Column.applicationName), cache: .applicationName)
        if layout != .upTo12 {
            event.backendType = decoder.string(field(Column.backendType), cache: .backendType)
        }
        if layout == .from14 {
            event.leaderPID = FieldDecoder.integer(field(Column.leaderPID)).map { Int($0) }
            event.queryID = FieldDecoder.integer(field(Column.queryID)).flatMap { $0 == 0 ? nil : $0 }
        }
        if truncated {
            event.truncated = true
            truncatedCount += 1
        }
        if decoder.sawInvalidUTF8 { invalidUTF8Count += 1 }
        event.source = LogEvent.Source(file: file, offset: base + Int64(row.lowerBound))
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

// MARK: - Oversized rows

extension CSVLogParser {
    /// A copy of an oversized row that keeps every field but cuts the long ones, so that the total
    /// stays within the cap. Fields are tracked byte by byte with the same quote rules as the scan.
    private struct CappedRow: Sendable {
        let cap: Int
        let offset: Int64
        var stored: [UInt8] = []
        /// Bytes of the row read so far, kept or not.
        var length = 0
        var truncated = false
        var hasNUL = false
        private var inQuotes = false
        private var storedInQuotes = false
        private var dropping = false
        private var fieldStart = 0

        init(cap: Int, offset: Int64) {
            self.cap = cap
            self.offset = offset
        }

        /// The total a field may reach: less a reserve until the first cut, so the small fields
        /// after a huge message (application name, backend type, query id) still fit.
        private var limit: Int { truncated ? cap : cap - min(64 * 1024, cap / 4) }

        /// Takes the next byte; true when it ended the row.
        mutating func feed(_ byte: UInt8) -> Bool {
            length += 1
            if byte == 0x22 { inQuotes.toggle() }
            if !inQuotes, byte == 0x2C || byte == 0x0A {
                if dropping {
                    if storedInQuotes { stored.append(0x22) }  // close the cut quoted field
                    dropping = false
                }
                if byte == 0x0A { return true }
                stored.append(0x2C)
                fieldStart = stored.count
                storedInQuotes = false
                return false
            }
            if byte == 0 { hasNUL = true }
            if dropping { return false }
            if stored.count >= limit {
                dropping = true
                truncated = true
                trimPartialCharacter()
                return false
            }
            stored.append(byte)
            storedInQuotes = inQuotes
            return false
        }

        /// Drops the first bytes of a character the cut went through.
        private mutating func trimPartialCharacter() {
            var lead = stored.count - 1
            while lead >= fieldStart, lead > stored.count - 4, stored[lead] & 0xC0 == 0x80 { lead -= 1 }
            guard lead >= fieldStart, stored[lead] >= 0xC0 else { return }
            let length = stored[lead] >= 0xF0 ? 4 : stored[lead] >= 0xE0 ? 3 : 2
            if stored.count - lead < length { stored.removeSubrange(lead...) }
        }
    }
}

// MARK: - Field decoding

/// Turns csvlog fields into strings: unquotes, undoubles `""`, checks UTF-8, and reuses the last
/// string of the low-variety columns (user, database, session, severity…) instead of allocating.
struct FieldDecoder: Sendable {
    enum Cache: Int, CaseIterable {
        case user, database, remoteHost, sessionID, severity, sqlstate, applicationName, backendType
    }

    var sawInvalidUTF8 = false
    private var scratch: [UInt8] = []
    private var cachedBytes = [[UInt8]](repeating: [], count: Cache.allCases.count)
    private var cachedStrings = [String](repeating: "", count: Cache.allCases.count)

    /// The field's text, or nil when it is empty.
    mutating func string(_ field: UnsafeBufferPointer<UInt8>, cache: Cache? = nil) -> String? {
        var body = field
        if let first = body.first, first == 0x22, body.count >= 2, body[body.count - 1] == 0x22 {
            body = UnsafeBufferPointer(rebasing: body[1..<(body.count - 1)])
            if body.contains(0x22) {
                scratch.removeAll(keepingCapacity: true)
                var skipNext = false
                for byte in body {
                    if skipNext {
                        skipNext = false
                        continue
                    }
                    scratch.append(byte)
                    if byte == 0x22 { skipNext = true }
                }
                return scratch.withUnsafeBufferPointer { decode($0) }
            }
        }
        guard !body.isEmpty else { return nil }
        guard let cache else { return decode(body) }
        let slot = cache.rawValue
        let same = cachedBytes[slot].withUnsafeBufferPointer { cached in
            guard cached.count == body.count else { return false }
            for index in 0..<cached.count where cached[index] != body[index] { return false }
            return true
        }
        if same { return cachedStrings[slot] }
        let text = decode(body)
        cachedBytes[slot] = Array(body)
        cachedStrings[slot] = text
        return text
    }

    private mutating func decode(_ bytes: UnsafeBufferPointer<UInt8>) -> String {
        Self.text(bytes, invalid: &sawInvalidUTF8)
    }

    /// The text of `bytes`; invalid UTF-8 becomes U+FFFD and sets `invalid`. ASCII (most log text)
    /// is recognised eight bytes at a time and needs no further validation.
    static func text(_ bytes: UnsafeBufferPointer<UInt8>, invalid: inout Bool) -> String {
        if isASCII(bytes) { return String(decoding: bytes, as: UTF8.self) }
        if let text = String(validating: bytes, as: UTF8.self) { return text }
        invalid = true
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func isASCII(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let base = bytes.baseAddress else { return true }
        let raw = UnsafeRawPointer(base)
        var index = 0
        var high: UInt64 = 0
        while index + 8 <= bytes.count {
            high |= raw.loadUnaligned(fromByteOffset: index, as: UInt64.self)
            index += 8
        }
        while index < bytes.count {
            high |= UInt64(bytes[index])
            index += 1
        }
        return high & 0x8080_8080_8080_8080 == 0
    }

    /// A decimal integer (optionally negative, optionally quoted), or nil.
    static func integer(_ field: UnsafeBufferPointer<UInt8>) -> Int64? {
        var digits = field
        if digits.count >= 2, digits[0] == 0x22, digits[digits.count - 1] == 0x22 {
            digits = UnsafeBufferPointer(rebasing: digits[1..<(digits.count - 1)])
        }
        guard !digits.isEmpty else { return nil }
        var negative = false
        if digits[0] == 0x2D {
            negative = true
            digits = UnsafeBufferPointer(rebasing: digits[1...])
        }
        guard !digits.isEmpty, digits.count <= 19 else { return nil }
        var value: Int64 = 0
        for byte in digits {
            let digit = byte &- 0x30
            guard digit < 10 else { return nil }
            let (times, overflowA) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflowB) = times.addingReportingOverflow(Int64(digit))
            guard !overflowA, !overflowB else { return nil }
            value = sum
        }
        return negative ? -value : value
    }
}
