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
///   line after the first of a message, detail or statement with a tab); it is joined with `"\n"`. A line
///   indented with spaces instead (a tool expanded the tab) continues it too when it does not start an
///   entry of its own: up to 8 leading spaces, a tab's width, are dropped.
/// - Blank lines inside an entry are kept when the entry goes on after them; blank lines after an entry's
///   last line are dropped.
/// - A line with the prefix whose text is a label (`DETAIL:  `, `HINT:  `, `CONTEXT:  `, `STATEMENT:  `,
///   `QUERY:  `, `LOCATION:  `, English or localised) attaches to the open entry of the same pid, also
///   when lines of other pids came in between. With no entry open for that pid it starts an entry of its
///   own, without a severity, rather than being lost.
/// - Any other line with the prefix and a severity starts a new entry and completes the open entry of the
///   same pid. One space or two may follow the severity's colon.
/// - A line that starts no entry and continues none (garbage, a `pg_ctl` message, text another program
///   wrote to the server's stderr, a line under another `log_line_prefix`) is counted in
///   ``Statistics/unparsedLines`` and kept: consecutive such lines become one event of class `unparsed`,
///   with the text (at most ``maximumUnparsedBytes``) as its message. We do not guess where it belongs.
///
/// The pid keys the joining; a prefix without `%p` but with `%c` gives it from the session id.
///
/// An entry stays open until its pid logs its next entry, or until it has been idle for
/// `completeAfterIdleLines` lines, or until more than `maximumOpenEntries` are open (the oldest is then
/// completed), or until ``flushAll()``. With `logging_collector = on` the server writes all lines of one
/// entry at once, so an idle entry is complete; without the collector, writes of several processes can
/// interleave line by line, which is why entries are keyed by pid at all. Entries come out in the order
/// they complete, not strictly in file order; ``oldestOpenOffset`` tells the tailer where a checkpoint
/// would have to resume to lose nothing.
///
/// ## Memory
/// Text is appended to an entry in place, so building an entry costs time linear in its size, whatever
/// the number of its lines. An entry whose text grows beyond `maximumEntryBytes` is cut there (on a
/// character boundary) and marked ``LogEvent/truncated``; the rest of its lines are consumed and dropped.
/// All open entries together may hold at most `memoryBudget` bytes of text: past it, the largest open
/// entry is completed at once, cut and marked truncated (counted in ``Statistics/budgetCuts``), and the
/// rest of its lines are dropped. Invalid UTF-8 in a line that otherwise parses is kept, repaired with
/// U+FFFD, because a database in `SQL_ASCII` or `LATIN1` legitimately writes such bytes into its messages;
/// leading NUL bytes (the hole a `copytruncate` rotation leaves in front of the next line) are skipped,
/// and a trailing `\r` is dropped.
///
/// ## Fields
/// Times become RFC 3339 UTC through a ``LogTimestampReader`` with the server's `log_timezone`. The cursor
/// position stderr appends to a message (` at character 15`, in the server's language) moves into
/// ``LogEvent/cursorPosition`` (or ``LogEvent/internalPosition`` when the entry has a QUERY line), as
/// csvlog and jsonlog have it. With `log_error_verbosity = verbose` the server writes the SQLSTATE in
/// front of the message (`ERROR:  23505: duplicate key …`) and adds a LOCATION line; an entry that has a
/// LOCATION line gets that code moved into ``LogEvent/sqlstate``.
///
/// Lines in a language whose catalog ``LogSeverity`` does not know still parse when the prefix has at
/// least one escape: the word in the severity's place becomes ``LogEvent/localizedSeverity`` with no
/// English ``LogEvent/severity``, and their DETAIL-like lines start entries of their own (counted in
/// ``Statistics/unknownSeverityLines``).
///
/// The parser neither classifies nor redacts; the classifier does both.
package struct StderrLogParser: LogFormatParser {
    /// What the parser has seen so far.
    package struct Statistics: Sendable, Equatable {
        /// Lines consumed.
        package var lines = 0
        /// Entries completed and returned (``LogEvent`` of class `unparsed` not included).
        package var entries = 0
        /// Lines that matched neither the prefix nor a continuation (kept as `unparsed` events).
        package var unparsedLines = 0
        /// Entries cut at the size cap or by the memory budget.
        package var truncatedEntries = 0
        /// Lines whose severity word no catalog we have knows.
        package var unknownSeverityLines = 0
        /// Entries completed early because too many were open.
        package var evictedEntries = 0
        /// Entries completed early, cut, because the open entries together passed the memory budget.
        package var budgetCuts = 0

        package init() {}
    }

    /// Where the text of a continuation line goes.
    fileprivate enum Field {
        case message, detail, hint, context, statement, query, location
    }

    /// The bookkeeping of an open entry; its event lives beside it in ``events``, so that moving events in
    /// and out costs no copies of their strings.
    fileprivate struct OpenEntry {
        /// The pid, ``StderrLogParser/noPID`` or ``StderrLogParser/unparsedKey``.
        var key: Int
        var field: Field
        var bytes: Int
        var truncated: Bool
        var sequence: Int
        var lastLine: Int
        var offset: Int64
        /// Blank lines seen after the entry's last line: kept only if the entry goes on.
        var blankLines: Int
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
    /// The most text bytes all open entries hold together. Defaults to 8 MiB.
    package let memoryBudget: Int
    /// The most text bytes one `unparsed` event keeps. Defaults to 4 KiB.
    package let maximumUnparsedBytes: Int
    /// The counters so far.
    package private(set) var statistics = Statistics()
    /// Times whose zone could not be resolved (their events carry no `timestamp`).
    package var unresolvedTimestamps: Int { timestamps.unresolvedCount }

    /// Open entries live in slots that are reused, so that adding text to one changes it in place.
    private var slots: [OpenEntry?] = []
    /// The event of the entry in each slot.
    private var events: [LogEvent?] = []
    private var freeSlots: [Int] = []
    /// The slot of the open entry of each pid.
    private var slotByKey: [Int: Int] = [:]
    /// The slot the previous line went to, for continuation lines.
    private var lastSlot: Int?
    /// Set while a line of a known process is read (syslog's header names it): the key and pid of its
    /// entry whatever the prefix says, and the time when the prefix has none.
    private var forcedKey: Int?
    private var forcedTimestamp: String?
    /// Pids whose entry the memory budget cut: their further extra lines are dropped until they start a
    /// new entry. The key the previous line went to, when it was dropped so.
    private var discardingKeys: Set<Int> = []
    private var lastDiscardedKey: Int?
    /// Text bytes held by all open entries.
    private var openBytes = 0
    /// The user and database of each session, from its `connection authorized` line: they settle lines
    /// whose prefix can be read in several ways (names with spaces). Forgotten at the session's end.
    var sessionNames: [Int: LogLinePrefix.Pins] = [:]
    private var sequence = 0
    private var timestamps: LogTimestampReader
    /// Lines between two sweeps for idle entries; a sweep costs a walk over the open entries.
    private static let sweepInterval = 256
    /// The key of lines whose prefix has no `%p` (nor `%c`): they all belong to one stream.
    private static let noPID = -1
    /// The key of the open run of unparsed lines.
    private static let unparsedKey = -2

    /// Makes a parser for one log file.
    ///
    /// - Parameters:
    ///   - prefix: the compiled `log_line_prefix` of the server that wrote the file.
    ///   - fileName: the name to put into each event's source.
    ///   - maximumEntryBytes: the cap on one entry's text; longer entries are cut and marked truncated.
    ///   - maximumOpenEntries: how many entries (one per pid) may wait for more lines at once.
    ///   - completeAfterIdleLines: after how many lines without news an open entry is complete.
    ///   - memoryBudget: the cap on the text of all open entries together.
    ///   - timeZone: the server's `log_timezone`, when known.
    package init(
        prefix: LogLinePrefix,
        fileName: String,
        maximumEntryBytes: Int = 1 << 20,
        maximumOpenEntries: Int = 1_024,
        completeAfterIdleLines: Int = 1_000,
        memoryBudget: Int = 8 << 20,
        maximumUnparsedBytes: Int = 4_096,
        timeZone: TimeZoneRules? = nil
    ) {
        precondition(maximumEntryBytes > 0 && maximumOpenEntries > 0 && completeAfterIdleLines > 0)
        precondition(memoryBudget > 0 && maximumUnparsedBytes > 0)
        self.prefix = prefix
        self.fileName = fileName
        self.maximumEntryBytes = maximumEntryBytes
        self.maximumOpenEntries = maximumOpenEntries
        self.completeAfterIdleLines = completeAfterIdleLines
        self.memoryBudget = memoryBudget
        self.maximumUnparsedBytes = maximumUnparsedBytes
        self.timestamps = LogTimestampReader(timeZone: timeZone)
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

    /// Text bytes held by the open entries.
    package var openEntryBytes: Int {
        openBytes
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

    /// Consumes one line of process `pid` (known from outside the line, as syslog's header knows it): the
    /// line joins `pid`'s entry whatever the prefix says, and `timestamp` stands in for a prefix without
    /// a time. `truncated`: the line was cut before it came here, so its entry is marked truncated.
    mutating func consume(line: UnsafeBufferPointer<UInt8>, offset: Int64, pid: Int, timestamp: String?,
                          truncated: Bool = false, into completed: inout [LogEvent]) {
        forcedKey = pid
        forcedTimestamp = timestamp
        process(line: line, offset: offset, into: &completed)
        if truncated, let slot = lastSlot, slots[slot] != nil { slots[slot]!.truncated = true }
        forcedKey = nil
        forcedTimestamp = nil
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
        discardingKeys.removeAll()
        lastDiscardedKey = nil
        return completed
    }

    // MARK: - As a format of the parse stage

    static let framing = LogRecordFraming.lines

    mutating func consume(_ record: LogRecord, into events: inout [LogEvent]) -> Bool {
        let before = events.count
        process(line: record.bytes, offset: record.offset, into: &events)
        if record.truncated, let slot = lastSlot, slots[slot] != nil, !slots[slot]!.truncated {
            slots[slot]!.truncated = true
        }
        if events.count - before > 1 {
            events[before...].sort { ($0.source?.offset ?? 0) < ($1.source?.offset ?? 0) }
        }
        return true
    }

    mutating func completeOpenEntries(into events: inout [LogEvent]) {
        events += flushAll()
    }

    var counts: LogParseCounts {
        LogParseCounts(records: statistics.lines, entries: statistics.entries, unparsed: statistics.unparsedLines,
                       truncated: statistics.truncatedEntries)
    }

    // MARK: - Lines

    private mutating func process(line: UnsafeBufferPointer<UInt8>, offset: Int64, into completed: inout [LogEvent]) {
        statistics.lines += 1
        var line = line
        var offset = offset
        if !line.isEmpty && line[0] == 0 {
            var start = 0
            while start < line.count && line[start] == 0 { start += 1 }
            line = UnsafeBufferPointer(rebasing: line[start...])
            offset += Int64(start)
        }
        if !line.isEmpty && line[line.count - 1] == UInt8(ascii: "\r") {
            line = UnsafeBufferPointer(rebasing: line[..<(line.count - 1)])
        }
        if statistics.lines % Self.sweepInterval == 0 { completeIdleEntries(into: &completed) }

        if line.isEmpty {
            if let slot = lastSlot { slots[slot]!.blankLines += 1 }
            return
        }
        if let forcedKey, line[0] == UInt8(ascii: "\t") || line[0] == UInt8(ascii: " ") {
            // The process is known: its own entry goes on, whatever entry another process touched last.
            lastSlot = slotByKey[forcedKey]
        }
        if line[0] == UInt8(ascii: "\t") {
            continueLastEntry(UnsafeBufferPointer(rebasing: line[1...]), offset: offset, into: &completed)
            return
        }
        let prefix = self.prefix
        let matched = prefix.withScan(line) { scan, captures -> Bool in
            guard let scan else { return false }
            let key = forcedKey ?? prefix.pid(scan, captures: captures, line: line) ?? Self.noPID
            if scan.doubt > 0, let pins = sessionNames[key] {
                // An ambiguous line of a session whose user and database we know: read it with them fixed.
                return prefix.withScan(line, pins: pins) { pinned, pinnedCaptures -> Bool in
                    if let pinned {
                        handle(pinned, pinnedCaptures, key: key, line: line, offset: offset, into: &completed)
                    } else {
                        handle(scan, captures, key: key, line: line, offset: offset, into: &completed)
                    }
                    return true
                }
            }
            handle(scan, captures, key: key, line: line, offset: offset, into: &completed)
            return true
        }
        if matched { return }
        if line[0] == UInt8(ascii: " "), lastSlot != nil || lastDiscardedKey != nil {
            // A continuation line whose tab became spaces: drop a tab's width of them.
            var start = 0
            while start < min(8, line.count), line[start] == UInt8(ascii: " ") { start += 1 }
            continueLastEntry(UnsafeBufferPointer(rebasing: line[start...]), offset: offset, into: &completed)
            return
        }
        unparsed(line, offset: offset, into: &completed)
    }

    /// A line the prefix matched: it starts an entry or adds a labelled line to its pid's entry.
    private mutating func handle(
        _ scan: LogLinePrefix.Scan, _ captures: UnsafeMutableBufferPointer<Range<Int>>, key: Int,
        line: UnsafeBufferPointer<UInt8>, offset: Int64, into completed: inout [LogEvent]
    ) {
        do {
            let text = UnsafeBufferPointer(rebasing: line[scan.textStart...])
            if scan.pattern >= 0, let label = LogSeverity.heads.labels[scan.pattern] {
                if discardingKeys.contains(key) {
                    lastSlot = nil
                    lastDiscardedKey = key
                    return
                }
                // Most extra lines find their entry open: they need nothing of the prefix but the pid.
                let slot: Int
                if let open = slotByKey[key] {
                    slot = open
                    slots[slot]!.blankLines = 0
                } else {
                    slot = start(key: key, offset: offset, into: &completed)
                    describe(slot, scan, captures, line, offset)
                }
                append(text, toSlot: slot, field: Self.field(label), into: &completed)
                lastSlot = slotByKey[key]
                return
            }
            if scan.pattern < 0 { statistics.unknownSeverityLines += 1 }
            discardingKeys.remove(key)
            lastDiscardedKey = nil
            let slot = start(key: key, offset: offset, into: &completed)
            describe(slot, scan, captures, line, offset)
            append(text, toSlot: slot, field: .message, into: &completed)
            lastSlot = slotByKey[key]
            learnSession(from: text, key: key)
        }
    }

    /// A line that continues the field the previous line wrote.
    private mutating func continueLastEntry(
        _ text: UnsafeBufferPointer<UInt8>, offset: Int64, into completed: inout [LogEvent]
    ) {
        if let slot = lastSlot {
            if slots[slot]?.key == Self.unparsedKey { statistics.unparsedLines += 1 }
            append(text, toSlot: slot, field: nil, into: &completed)
        } else if lastDiscardedKey == nil {
            // Continues nothing we have: kept as unparsed text, tab and all.
            unparsed(text, offset: offset, into: &completed, continuation: true)
        }
    }

    /// A line that starts no entry and continues none: it opens (or extends) an `unparsed` event.
    private mutating func unparsed(
        _ line: UnsafeBufferPointer<UInt8>, offset: Int64, into completed: inout [LogEvent], continuation: Bool = false
    ) {
        statistics.unparsedLines += 1
        lastDiscardedKey = nil
        if let open = slotByKey[Self.unparsedKey], lastSlot == open {
            append(line, toSlot: open, field: nil, into: &completed)
            return
        }
        let slot = start(key: Self.unparsedKey, offset: offset, into: &completed)
        events[slot]!.event = .unparsed
        events[slot]!.source = LogEvent.Source(file: fileName, offset: offset)
        if continuation {
            // Kept as written: the tab tells a reader it continued something.
            let bytes = [UInt8(ascii: "\t")] + Array(line)
            bytes.withUnsafeBufferPointer { append($0, toSlot: slot, field: .message, into: &completed) }
        } else {
            append(line, toSlot: slot, field: .message, into: &completed)
        }
        lastSlot = slotByKey[Self.unparsedKey]
    }

    /// Writes the values of the line's prefix, its severity and its source into a new entry's event (in
    /// its slot, so that the event is never copied).
    private mutating func describe(
        _ slot: Int, _ scan: LogLinePrefix.Scan, _ captures: UnsafeMutableBufferPointer<Range<Int>>,
        _ line: UnsafeBufferPointer<UInt8>, _ offset: Int64
    ) {
        prefix.fill(&events[slot]!, scan: scan, captures: captures, line: line, timestamps: &timestamps)
        events[slot]!.source = LogEvent.Source(file: fileName, offset: offset)
        if let forcedKey, events[slot]!.pid == nil { events[slot]!.pid = forcedKey }
        if let forcedTimestamp, events[slot]!.timestamp == nil { events[slot]!.timestamp = forcedTimestamp }
        if scan.pattern >= 0 {
            // nil for a label: an extra line without its entry gets an entry of its own, without a severity.
            events[slot]!.severity = LogSeverity.heads.severities[scan.pattern]
            events[slot]!.localizedSeverity = LogSeverity.heads.localizedSeverities[scan.pattern]
        } else {
            var wordEnd = scan.messageStart
            while wordEnd < scan.textStart, line[wordEnd] != UInt8(ascii: ":") { wordEnd += 1 }
            let word = UnsafeBufferPointer(rebasing: line[scan.messageStart..<wordEnd])
            events[slot]!.localizedSeverity = String(decoding: word, as: UTF8.self)
        }
    }

    // MARK: - Entries

    /// Starts an entry for `key`, completing the one it had open; returns the new entry's slot, which
    /// holds an empty event for the caller to fill.
    private mutating func start(key: Int, offset: Int64, into completed: inout [LogEvent]) -> Int {
        sequence += 1
        let entry = OpenEntry(
            key: key, field: .message, bytes: 0, truncated: false, sequence: sequence, lastLine: statistics.lines,
            offset: offset, blankLines: 0
        )
        if let slot = slotByKey[key] {
            // The pid's previous entry is complete; the new one takes its slot.
            complete(slot, into: &completed)
            openBytes -= slots[slot]!.bytes
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
        guard let entry = slots[slot] else { return }
        complete(slot, into: &completed)
        openBytes -= entry.bytes
        slots[slot] = nil
        slotByKey[entry.key] = nil
        freeSlots.append(slot)
        if lastSlot == slot { lastSlot = nil }
    }

    /// Appends text to a field of an open entry: to `field` (a new line of the entry), or with
    /// `field == nil` to the field the previous line wrote, after a `"\n"` (a continuation line). The text
    /// is appended in place: an entry of many lines costs time linear in its size.
    private mutating func append(
        _ text: UnsafeBufferPointer<UInt8>, toSlot slot: Int, field: Field?, into completed: inout [LogEvent]
    ) {
        guard var entry = slots[slot] else { return }
        entry.lastLine = statistics.lines
        if let field { entry.field = field }
        let blankLines = field == nil ? entry.blankLines : 0
        entry.blankLines = 0
        guard !entry.truncated else {
            slots[slot] = entry
            return
        }
        let cap = entry.key == Self.unparsedKey ? maximumUnparsedBytes : maximumEntryBytes
        var text = text
        let joining = field == nil || events[slot]!.has(entry.field)
        let separator = joining ? 1 + blankLines : 0
        if entry.bytes + separator + text.count > cap {
            // Cut on a character boundary: never keep the first bytes of a multi-byte character.
            var allowed = max(0, cap - entry.bytes - separator)
            while allowed > 0 && allowed < text.count && text[allowed] & 0xC0 == 0x80 { allowed -= 1 }
            text = UnsafeBufferPointer(rebasing: text[..<min(allowed, text.count)])
            entry.truncated = true
            if text.isEmpty {
                slots[slot] = entry
                return
            }
        }
        let added = separator + text.count
        entry.bytes += added
        openBytes += added
        slots[slot] = entry
        Self.appendText(text, newlines: joining ? 1 + blankLines : 0, to: &events[slot]!, field: entry.field)
        if openBytes > memoryBudget { cutLargestEntry(into: &completed) }
    }

    private static func appendText(_ text: UnsafeBufferPointer<UInt8>, newlines: Int, to event: inout LogEvent, field: Field) {
        func extend(_ value: inout String?) {
            if value == nil { value = "" }
            for _ in 0..<newlines { value!.append("\n") }
            value!.append(String(decoding: text, as: UTF8.self))
        }
        switch field {
        case .message: extend(&event.message)
        case .detail: extend(&event.detail)
        case .hint: extend(&event.hint)
        case .context: extend(&event.context)
        case .statement: extend(&event.statement)
        case .query: extend(&event.internalQuery)
        case .location: extend(&event.location)
        }
    }

    /// The open entries hold more than the budget: the largest is completed now, cut, and the rest of its
    /// lines are dropped.
    private mutating func cutLargestEntry(into completed: inout [LogEvent]) {
        while openBytes > memoryBudget {
            var largest: (slot: Int, bytes: Int)?
            for (slot, entry) in slots.enumerated() {
                guard let entry, entry.bytes > largest?.bytes ?? -1 else { continue }
                largest = (slot, entry.bytes)
            }
            guard let (slot, _) = largest, let key = slots[slot]?.key else { return }
            slots[slot]!.truncated = true
            statistics.budgetCuts += 1
            if lastSlot == slot, key != Self.unparsedKey { lastDiscardedKey = key }
            if key != Self.unparsedKey { discardingKeys.insert(key) }
            release(slot, into: &completed)
        }
    }

    private mutating func completeIdleEntries(into completed: inout [LogEvent]) {
        let horizon = statistics.lines - completeAfterIdleLines
        let idle = slots.indices.filter { (slots[$0]?.lastLine ?? .max) < horizon }
            .sorted { slots[$0]!.sequence < slots[$1]!.sequence }
        for slot in idle { release(slot, into: &completed) }
        if discardingKeys.count > maximumOpenEntries { discardingKeys.removeAll() }
    }

    /// Finishes the event of a slot in place and moves it to `completed`; the slot's bookkeeping stays.
    private mutating func complete(_ slot: Int, into completed: inout [LogEvent]) {
        if slots[slot]!.truncated {
            events[slot]!.truncated = true
            statistics.truncatedEntries += 1
        }
        if slots[slot]!.key != Self.unparsedKey {
            Self.moveVerboseSQLState(&events[slot]!)
            Self.moveCursorPosition(&events[slot]!)
            statistics.entries += 1
        }
        completed.append(events[slot].take()!)
    }

    /// ` at character 15` (in any language) leaves the message for its field.
    private static func moveCursorPosition(_ event: inout LogEvent) {
        guard let message = event.message, let split = CursorPosition.split(message) else { return }
        event.message = split.message
        if event.internalQuery != nil {
            event.internalPosition = split.position
        } else {
            event.cursorPosition = split.position
        }
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
