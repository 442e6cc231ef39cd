package import AgentSchema

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Turns the lines of a PostgreSQL `stderr` log into complete entries (``LogEvent``).
///
/// Feed it one line at a time, in file order, with ``consume(line:offset:)``; it returns the entries that
/// became complete. How lines join into entries:
///
/// - A line that starts with a tab continues the field the previous line wrote (the server indents every
///   line after the first of a message, detail or statement with a tab); it is joined with `"\n"`.
/// - A line with the prefix whose text is a label (`DETAIL:  `, `HINT:  `, `CONTEXT:  `, `STATEMENT:  `,
///   `QUERY:  `, `LOCATION:  `, English or localised) attaches to the open entry of the same pid, also
///   when lines of other pids came in between. With no entry open for that pid it starts an entry of its
///   own, without a severity, rather than being lost.
/// - Any other line with the prefix and a severity starts a new entry and completes the open entry of the
///   same pid.
/// - A line that does not start with the prefix and is not a continuation is counted in
///   ``Statistics/unparsedLines`` and dropped: we do not guess where it belongs. This covers garbage, NUL
///   bytes, text written to stderr by something else (an `archive_command`, a crashing library) and lines
///   written under another `log_line_prefix`.
///
/// An entry stays open until its pid logs its next entry, or until it has been idle for
/// `completeAfterIdleLines` lines, or until more than `maximumOpenEntries` are open (the oldest is then
/// completed), or until ``flushAll()``. With `logging_collector = on` the server writes all lines of one
/// entry at once, so an idle entry is complete; without the collector, writes of several processes can
/// interleave line by line, which is why entries are keyed by pid at all. Entries come out in the order
/// they complete, not strictly in file order; ``oldestOpenOffset`` tells the tailer where a checkpoint
/// would have to resume to lose nothing.
///
/// An entry whose text grows beyond `maximumEntryBytes` is cut there (on a character boundary) and marked
/// ``LogEvent/truncated``; the rest of its lines are still consumed and dropped, so memory stays bounded.
/// Invalid UTF-8 in a line that otherwise parses is kept, repaired with U+FFFD, because a database in
/// `SQL_ASCII` or `LATIN1` legitimately writes such bytes into its messages; leading NUL bytes (the hole
/// a `copytruncate` rotation leaves in front of the next line) are skipped, and a trailing `\r` is dropped.
///
/// Lines in a language whose catalog ``LogSeverity`` does not know still parse when the prefix has at
/// least one escape: the word in the severity's place becomes ``LogEvent/localizedSeverity`` with no
/// English ``LogEvent/severity``, and their DETAIL-like lines start entries of their own (counted in
/// ``Statistics/unknownSeverityLines``).
///
/// With `log_error_verbosity = verbose` the server writes the SQLSTATE in front of the message
/// (`ERROR:  23505: duplicate key …`) and adds a LOCATION line; an entry that has a LOCATION line gets
/// that code moved into ``LogEvent/sqlstate``. The message keeps what stderr prints after it, including a
/// cursor position (` at character 15`), which csvlog and jsonlog keep in a field of its own.
///
/// The parser neither classifies nor redacts; the classifier does both.
package struct StderrLogParser: Sendable {
    /// What the parser has seen so far.
    package struct Statistics: Sendable, Equatable {
        /// Lines consumed.
        package var lines = 0
        /// Entries completed and returned.
        package var entries = 0
        /// Lines that matched neither the prefix nor a continuation.
        package var unparsedLines = 0
        /// Entries cut at the size cap.
        package var truncatedEntries = 0
        /// Lines whose severity word no catalog we have knows.
        package var unknownSeverityLines = 0
        /// Entries completed early because too many were open.
        package var evictedEntries = 0

        package init() {}
    }

    /// Where the text of a continuation line goes.
    fileprivate enum Field {
        case message, detail, hint, context, statement, query, location
    }

    /// The bookkeeping of an open entry; its event lives beside it in ``events``, so that moving events in
    /// and out costs no copies of their strings.
    fileprivate struct OpenEntry {
        /// The pid, or ``StderrLogParser/noPID``.
        var key: Int
        var field: Field
        var bytes: Int
        var truncated: Bool
        var sequence: Int
        var lastLine: Int
        var offset: Int64
    }

    /// The compiled `log_line_prefix` the lines were written with.
    package let prefix: LogLinePrefix
    /// The file name written into each event's ``LogEvent/source``.
    package let fileName: String
    /// The most text bytes one entry keeps. Defaults to 1 MiB.
    package let maximumEntryBytes: Int
    /// The most entries open at once before the oldest is completed. Defaults to 1,024.
    package let maximumOpenEntries: Int
    /// An entry that no line has touched for this many lines is complete. Defaults to 1,000.
    package let completeAfterIdleLines: Int
    /// The counters so far.
    package private(set) var statistics = Statistics()

    /// Open entries live in slots that are reused, so that adding text to one changes it in place.
    private var slots: [OpenEntry?] = []
    /// The event of the entry in each slot.
    private var events: [LogEvent?] = []
    private var freeSlots: [Int] = []
    /// The slot of the open entry of each pid.
    private var slotByKey: [Int: Int] = [:]
    /// The slot the previous line went to, for continuation lines.
    private var lastSlot: Int?
    private var sequence = 0
    /// Lines between two sweeps for idle entries; a sweep costs a walk over the open entries.
    private static let sweepInterval = 256
    /// The key of lines whose prefix has no `%p`: they all belong to one stream.
    private static let noPID = -1

    /// Makes a parser for one log file.
    ///
    /// - Parameters:
    ///   - prefix: the compiled `log_line_prefix` of the server that wrote the file.
    ///   - fileName: the name to put into each event's source.
    ///   - maximumEntryBytes: the cap on one entry's text; longer entries are cut and marked truncated.
    ///   - maximumOpenEntries: how many entries (one per pid) may wait for more lines at once.
    ///   - completeAfterIdleLines: after how many lines without news an open entry is complete.
    package init(
        prefix: LogLinePrefix,
        fileName: String,
        maximumEntryBytes: Int = 1 << 20,
        maximumOpenEntries: Int = 1_024,
        completeAfterIdleLines: Int = 1_000
    ) {
        precondition(maximumEntryBytes > 0 && maximumOpenEntries > 0 && completeAfterIdleLines > 0)
        self.prefix = prefix
        self.fileName = fileName
        self.maximumEntryBytes = maximumEntryBytes
        self.maximumOpenEntries = maximumOpenEntries
        self.completeAfterIdleLines = completeAfterIdleLines
    }

    /// The byte offset of the first line of the oldest entry still open, if any: a checkpoint taken now
    /// must resume there (or keep the open entries) to lose nothing.
    package var oldestOpenOffset: Int64? {
        slots.lazy.compactMap { $0?.offset }.min()
    }

    /// How many entries are open, waiting for more lines.
    package var openEntryCount: Int {
        slotByKey.count
    }

    /// Consumes one complete line.
    ///
    /// - Parameters:
    ///   - line: the line's bytes, without the newline.
    ///   - offset: the byte offset of the line in the file.
    /// - Returns: the entries this line completed (usually none or one), oldest first.
    package mutating func consume(line: UnsafeBufferPointer<UInt8>, offset: Int64) -> [LogEvent] {
        var completed: [LogEvent] = []
        process(line: line, offset: offset, into: &completed)
        if completed.count > 1 { completed.sort { ($0.source?.offset ?? 0) < ($1.source?.offset ?? 0) } }
        return completed
    }

    /// Consumes one complete line given as an array; see ``consume(line:offset:)-(UnsafeBufferPointer<UInt8>,_)``.
    package mutating func consume(line: [UInt8], offset: Int64) -> [LogEvent] {
        line.withUnsafeBufferPointer { consume(line: $0, offset: offset) }
    }

    /// Consumes a block of text holding whole lines (each ended by `\n`; a last line without one counts
    /// as complete too), as read from the file at `offset`.
    ///
    /// - Returns: the entries these lines completed, in the order they completed.
    package mutating func consume(lines text: UnsafeBufferPointer<UInt8>, offset: Int64) -> [LogEvent] {
        var completed: [LogEvent] = []
        // About one entry per 150 bytes in real logs; reserving spares the array most of its regrowth.
        completed.reserveCapacity(text.count / 150)
        var start = 0
        while start < text.count {
            // memchr finds the newline many bytes at a time; this loop is a good part of the parser's cost.
            let rest = UnsafeRawPointer(text.baseAddress! + start)
            let newline = memchr(rest, Int32(UInt8(ascii: "\n")), text.count - start)
            let end = newline.map { start + (UnsafeRawPointer($0) - rest) } ?? text.count
            process(line: UnsafeBufferPointer(rebasing: text[start..<end]), offset: offset + Int64(start), into: &completed)
            start = end + 1
        }
        return completed
    }

    /// Completes every open entry: at the end of the input, or when the file has been quiet for a while.
    ///
    /// - Returns: the entries, oldest first.
    package mutating func flushAll() -> [LogEvent] {
        let open = slots.indices.filter { slots[$0] != nil }.sorted { slots[$0]!.sequence < slots[$1]!.sequence }
        var completed: [LogEvent] = []
        completed.reserveCapacity(open.count)
        for slot in open { release(slot, into: &completed) }
        slots.removeAll(keepingCapacity: true)
        events.removeAll(keepingCapacity: true)
        freeSlots.removeAll(keepingCapacity: true)
        return completed
    }

    // MARK: - Lines

    private mutating func process(line: UnsafeBufferPointer<UInt8>, offset: Int64, into completed: inout [LogEvent]) {
        statistics.lines += 1
        var line = line
        if !line.isEmpty && line[0] == 0 {
            var start = 0
            while start < line.count && line[start] == 0 { start += 1 }
            line = UnsafeBufferPointer(rebasing: line[start...])
        }
        if !line.isEmpty && line[line.count - 1] == UInt8(ascii: "\r") {
            line = UnsafeBufferPointer(rebasing: line[..<(line.count - 1)])
        }
        if statistics.lines % Self.sweepInterval == 0 { completeIdleEntries(into: &completed) }

        if !line.isEmpty && line[0] == UInt8(ascii: "\t") {
            if let slot = lastSlot {
                append(UnsafeBufferPointer(rebasing: line[1...]), toSlot: slot, field: nil)
            } else {
                statistics.unparsedLines += 1
            }
            return
        }
        let prefix = self.prefix
        prefix.withScan(line) { scan, captures in
            guard let scan else {
                statistics.unparsedLines += 1
                lastSlot = nil
                return
            }
            let key = prefix.pid(scan, captures: captures, line: line) ?? Self.noPID
            let text = UnsafeBufferPointer(rebasing: line[scan.textStart...])
            if scan.pattern >= 0, let label = LogSeverity.heads.labels[scan.pattern] {
                // Most extra lines find their entry open: they need nothing of the prefix but the pid.
                let slot: Int
                if let open = slotByKey[key] {
                    slot = open
                } else {
                    slot = start(key: key, offset: offset, into: &completed)
                    Self.describe(&events[slot]!, prefix, scan, captures, line, offset, fileName: fileName)
                }
                append(text, toSlot: slot, field: Self.field(label))
                lastSlot = slot
                return
            }
            if scan.pattern < 0 { statistics.unknownSeverityLines += 1 }
            let slot = start(key: key, offset: offset, into: &completed)
            Self.describe(&events[slot]!, prefix, scan, captures, line, offset, fileName: fileName)
            append(text, toSlot: slot, field: .message)
            lastSlot = slot
        }
    }

    /// Writes the values of the line's prefix, its severity and its source into a new entry's event (in
    /// its slot, so that the event is never copied).
    private static func describe(
        _ event: inout LogEvent, _ prefix: LogLinePrefix, _ scan: LogLinePrefix.Scan,
        _ captures: UnsafeMutableBufferPointer<Range<Int>>, _ line: UnsafeBufferPointer<UInt8>, _ offset: Int64,
        fileName: String
    ) {
        prefix.fill(&event, scan: scan, captures: captures, line: line)
        event.source = LogEvent.Source(file: fileName, offset: offset)
        if scan.pattern >= 0 {
            // nil for a label: an extra line without its entry gets an entry of its own, without a severity.
            event.severity = LogSeverity.heads.severities[scan.pattern]
            event.localizedSeverity = LogSeverity.heads.localizedSeverities[scan.pattern]
        } else {
            let word = UnsafeBufferPointer(rebasing: line[scan.messageStart..<(scan.textStart - 3)])
            event.localizedSeverity = String(decoding: word, as: UTF8.self)
        }
    }

    // MARK: - Entries

    /// Starts an entry for `key`, completing the one it had open; returns the new entry's slot, which
    /// holds an empty event for the caller to fill.
    private mutating func start(key: Int, offset: Int64, into completed: inout [LogEvent]) -> Int {
        sequence += 1
        let entry = OpenEntry(
            key: key, field: .message, bytes: 0, truncated: false, sequence: sequence, lastLine: statistics.lines,
            offset: offset
        )
        if let slot = slotByKey[key] {
            // The pid's previous entry is complete; the new one takes its slot.
            complete(slot, into: &completed)
            slots[slot] = entry
            events[slot] = LogEvent()
            return slot
        }
        if slotByKey.count >= maximumOpenEntries, let oldest = oldestSlot() {
            statistics.evictedEntries += 1
            release(oldest, into: &completed)
        }
        let slot: Int
        if let free = freeSlots.popLast() {
            slot = free
            slots[slot] = entry
            events[slot] = LogEvent()
        } else {
            slot = slots.count
            slots.append(entry)
            events.append(LogEvent())
        }
        slotByKey[key] = slot
        return slot
    }

    private func oldestSlot() -> Int? {
        var oldest: (slot: Int, sequence: Int)?
        for (slot, entry) in slots.enumerated() {
            guard let entry, entry.sequence < oldest?.sequence ?? .max else { continue }
            oldest = (slot, entry.sequence)
        }
        return oldest?.slot
    }

    /// Completes the entry in a slot and frees the slot.
    private mutating func release(_ slot: Int, into completed: inout [LogEvent]) {
        guard let key = slots[slot]?.key else { return }
        complete(slot, into: &completed)
        slots[slot] = nil
        slotByKey[key] = nil
        freeSlots.append(slot)
        if lastSlot == slot { lastSlot = nil }
    }

    /// Appends text to a field of an open entry: to `field` (a new line of the entry), or with
    /// `field == nil` to the field the previous line wrote, after a `"\n"` (a continuation line).
    private mutating func append(_ text: UnsafeBufferPointer<UInt8>, toSlot slot: Int, field: Field?) {
        guard slots[slot] != nil else { return }
        Self.append(text, to: &slots[slot]!, event: &events[slot]!, field: field, line: statistics.lines, cap: maximumEntryBytes)
    }

    private static func append(
        _ text: UnsafeBufferPointer<UInt8>, to entry: inout OpenEntry, event: inout LogEvent, field: Field?, line: Int,
        cap: Int
    ) {
        entry.lastLine = line
        if let field { entry.field = field }
        guard !entry.truncated else { return }
        var text = text
        let joining = field == nil || event.has(entry.field)
        let separator = joining ? 1 : 0
        if entry.bytes + separator + text.count > cap {
            // Cut on a character boundary: never keep the first bytes of a multi-byte character.
            var allowed = max(0, cap - entry.bytes - separator)
            while allowed > 0 && allowed < text.count && text[allowed] & 0xC0 == 0x80 { allowed -= 1 }
            text = UnsafeBufferPointer(rebasing: text[..<min(allowed, text.count)])
            entry.truncated = true
        }
        entry.bytes += separator + text.count
        let piece = String(decoding: text, as: UTF8.self)
        func join(_ existing: String?) -> String {
            guard let existing else { return piece }
            return existing + "\n" + piece
        }
        switch entry.field {
        case .message: event.message = join(event.message)
        case .detail: event.detail = join(event.detail)
        case .hint: event.hint = join(event.hint)
        case .context: event.context = join(event.context)
        case .statement: event.statement = join(event.statement)
        case .query: event.internalQuery = join(event.internalQuery)
        case .location: event.location = join(event.location)
        }
    }

    private mutating func completeIdleEntries(into completed: inout [LogEvent]) {
        let horizon = statistics.lines - completeAfterIdleLines
        let idle = slots.indices.filter { (slots[$0]?.lastLine ?? .max) < horizon }
            .sorted { slots[$0]!.sequence < slots[$1]!.sequence }
        for slot in idle { release(slot, into: &completed) }
    }

    /// Finishes the event of a slot in place and moves it to `completed`; the slot's bookkeeping stays.
    private mutating func complete(_ slot: Int, into completed: inout [LogEvent]) {
        if slots[slot]!.truncated {
            events[slot]!.truncated = true
            statistics.truncatedEntries += 1
        }
        Self.moveVerboseSQLState(&events[slot]!)
        statistics.entries += 1
        completed.append(events[slot].take()!)
    }

    /// Verbose error logging puts the SQLSTATE in front of the message and adds a LOCATION line; the
    /// LOCATION line tells us the code is not part of the message text.
    private static func moveVerboseSQLState(_ event: inout LogEvent) {
        guard event.location != nil, let message = event.message else { return }
        let bytes = Array(message.utf8.prefix(7))
        guard bytes.count == 7, bytes[5] == UInt8(ascii: ":"), bytes[6] == UInt8(ascii: " "),
            bytes[0..<5].allSatisfy({ $0 &- UInt8(ascii: "0") < 10 || $0 &- UInt8(ascii: "A") < 26 })
        else { return }
        if event.sqlstate == nil { event.sqlstate = String(decoding: bytes[0..<5], as: UTF8.self) }
        event.message = String(message.dropFirst(7))
    }

    fileprivate static func field(_ label: LogSeverity.Label) -> Field {
        switch label {
        case .detail: .detail
        case .hint: .hint
        case .context: .context
        case .statement: .statement
        case .query: .query
        case .location: .location
        }
    }
}

extension LogEvent {
    /// Whether the field a line writes to already holds text (a second line is joined with a newline).
    fileprivate func has(_ field: StderrLogParser.Field) -> Bool {
        switch field {
        case .message: message != nil
        case .detail: detail != nil
        case .hint: hint != nil
        case .context: context != nil
        case .statement: statement != nil
        case .query: internalQuery != nil
        case .location: location != nil
        }
    }
}
