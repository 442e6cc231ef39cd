package import AgentSchema

/// Reads PostgreSQL's log as a syslog daemon wrote it to a file (`log_destination = syslog`; rsyslog's
/// traditional, high-precision or RFC 5424 file formats, see ``SyslogHeader``).
///
/// Only lines of `syslog_ident` (`postgres` by default) are PostgreSQL's; other programs' lines are
/// foreign: counted apart (``foreignLines``), neither errors nor events.
///
/// PostgreSQL sends each line of an entry as its own message, tagged `[N-k]`: N numbers the process's
/// entries, k the parts of one entry (`syslog_sequence_numbers = off` leaves `[k]`,
/// `syslog_split_messages = off` leaves `[N]`, both off no tag). A line longer than 900 bytes is cut into
/// several parts, at the last whitespace when there is one, which then starts the next part. The parser
/// joins them back per process:
/// - a part that starts with a tab (rsyslog writes it `#011`) or with the prefix begins a new line of the
///   entry;
/// - a part that starts with a space, or follows a part cut without whitespace (900 bytes or more), goes on
///   with the line before it.
/// Whole lines then go through a ``StderrLogParser`` under the server's `log_line_prefix`, keyed by the
/// header's pid, so that parts of several processes interleaved in the file never mix. A time the prefix
/// lacks comes from the header: RFC 3339 stamps as written; RFC 3164 stamps, which have no year and no
/// zone, in `hostTimeZone`, in the year that puts them at most a month after `referenceTime`.
///
/// rsyslog escapes control characters as `#` and three octal digits; they are turned back.
/// Known limit: a 900-byte cut that falls on a tab reads as a new line.
struct SyslogLogParser: LogFormatParser {
    /// One process's line in the making.
    private struct Pending {
        var bytes: [UInt8]
        var offset: Int64
        var lastPartLength: Int
        var lastNumber: Int?
        var timestamp: String?
        var order: Int
        /// Parts were dropped at the line cap.
        var truncated = false
    }

    static let framing = LogRecordFraming.lines
    private static let cutLength = 897

    private var inner: StderrLogParser
    private let ident: [UInt8]
    private let hostTimeZone: TimeZoneRules?
    private let referenceYear: Int
    private let referenceMonth: Int
    private var stamps = LogTimestampReader()
    private var pending: [Int: Pending] = [:]
    private var order = 0
    private var scratch: [UInt8] = []
    private var records = 0
    private var notSyslog = 0
    private static let maximumPending = 1_024
    /// All lines still being joined from their parts hold at most this many bytes together; past it the
    /// largest is completed as it stands (the stderr parser's budget for open entries, by default).
    static let pendingBudget = 8 << 20
    /// One line being joined keeps at most this many bytes (the entry cap and one byte, so that the
    /// stderr parser sees it is over the cap and marks the entry truncated); later parts are dropped.
    private let maximumLineBytes: Int
    /// The bytes of every line being joined.
    private(set) var pendingBytes = 0
    /// Lines of other programs.
    private(set) var foreignLines = 0

    /// - Parameters:
    ///   - prefix: the server's `log_line_prefix`.
    ///   - ident: `syslog_ident`.
    ///   - hostTimeZone: the zone the syslog daemon writes RFC 3164 times in (the host's).
    ///   - referenceTime: now, in seconds since the epoch, for the year RFC 3164 times leave out.
    init(prefix: LogLinePrefix, fileName: String, maximumEntryBytes: Int, timeZone: TimeZoneRules?,
         ident: String = "postgres", hostTimeZone: TimeZoneRules? = nil, referenceTime: Int64) {
        inner = StderrLogParser(prefix: prefix, fileName: fileName, maximumEntryBytes: maximumEntryBytes, timeZone: timeZone)
        maximumLineBytes = maximumEntryBytes + 1
        self.ident = Array(ident.utf8)
        self.hostTimeZone = hostTimeZone
        let local = referenceTime + (hostTimeZone.map { Self.offset(of: $0, at: referenceTime) } ?? 0)
        let (year, month, _) = CivilCalendar.civilFromDays(Int(local >= 0 ? local / 86_400 : (local - 86_399) / 86_400))
        referenceYear = year
        referenceMonth = month
    }

    mutating func consume(_ record: LogRecord, into events: inout [LogEvent]) -> Bool {
        records += 1
        let line = record.bytes
        guard let header = SyslogHeader(line) else {
            notSyslog += 1
            return false
        }
        guard line[header.ident].elementsEqual(ident) else {
            foreignLines += 1
            return true
        }
        consume(message: UnsafeBufferPointer(rebasing: line[header.messageStart...]), pid: header.pid ?? -1,
                timestamp: stamp(header, line), offset: record.offset, escaped: true, into: &events)
        return true
    }

    /// Reads one message of the server (after the syslog header: `[N-k] text`), as sent by process `pid`
    /// at `timestamp`; `offset` identifies the record it came in. `escaped`: rsyslog's `#ooo` escapes are
    /// undone (the journal stores the bytes as sent).
    mutating func consume(message: UnsafeBufferPointer<UInt8>, pid: Int, timestamp: String?, offset: Int64, escaped: Bool,
                          into events: inout [LogEvent]) {
        var start = 0
        let tag = Self.tag(message, at: &start)
        let rest = UnsafeBufferPointer(rebasing: message[start...])
        if escaped {
            unescape(rest)
        } else {
            scratch.removeAll(keepingCapacity: true)
            scratch += rest
        }
        let text = scratch
        let part = tag.part ?? tag.single
        // Does it go on with the process's line?
        if var open = pending[pid] {
            let startsLine = text.first == UInt8(ascii: "\t")
            // A cut part holds at most 900 bytes; a longer one was a whole message (`syslog_split_messages = off`).
            let wasCut = (Self.cutLength...900).contains(open.lastPartLength)
            let goesOn = !startsLine && (text.first == UInt8(ascii: " ") || wasCut)
            let samePart = tag.number.map { $0 == open.lastNumber } ?? true
            let nextPart = part.map { $0 > 1 } ?? true
            if goesOn, samePart, nextPart {
                // Linear in the line's size, and capped while it grows: a statement of a million parts
                // costs its cap, not a million copies.
                let kept = min(text.count, max(0, maximumLineBytes - open.bytes.count))
                open.bytes += text.prefix(kept)
                pendingBytes += kept
                if kept < text.count { open.truncated = true }
                open.lastPartLength = text.count
                open.order = order
                pending[pid] = open
                order += 1
                keepWithinBudget(into: &events)
                return
            }
            flush(pid, into: &events)
        }
        let kept = Array(text.prefix(maximumLineBytes))
        pendingBytes += kept.count
        pending[pid] = Pending(bytes: kept, offset: offset, lastPartLength: text.count, lastNumber: tag.number,
                               timestamp: timestamp, order: order, truncated: kept.count < text.count)
        order += 1
        if pending.count > Self.maximumPending, let oldest = pending.min(by: { $0.value.order < $1.value.order })?.key {
            flush(oldest, into: &events)
        }
        keepWithinBudget(into: &events)
    }

    /// Completes the largest lines being joined until all of them fit ``pendingBudget``.
    private mutating func keepWithinBudget(into events: inout [LogEvent]) {
        while pendingBytes > Self.pendingBudget,
              let largest = pending.max(by: { $0.value.bytes.count < $1.value.bytes.count })?.key {
            flush(largest, into: &events)
        }
    }

    mutating func completeOpenEntries(into events: inout [LogEvent]) {
        for pid in pending.keys.sorted(by: { pending[$0]!.order < pending[$1]!.order }) { flush(pid, into: &events) }
        inner.completeOpenEntries(into: &events)
    }

    var oldestOpenOffset: Int64? {
        let waiting = pending.values.map(\.offset).min()
        switch (waiting, inner.oldestOpenOffset) {
        case let (a?, b?): return min(a, b)
        case let (a, b): return a ?? b
        }
    }

    var counts: LogParseCounts {
        let innerCounts = inner.counts
        return LogParseCounts(records: records, entries: innerCounts.entries, unparsed: notSyslog + innerCounts.unparsed,
                              truncated: innerCounts.truncated)
    }

    /// Hands the process's line to the stderr parser: one line per newline in it (`syslog_split_messages =
    /// off` keeps the newlines, as `#012`).
    private mutating func flush(_ pid: Int, into events: inout [LogEvent]) {
        guard let open = pending.removeValue(forKey: pid) else { return }
        pendingBytes -= open.bytes.count
        open.bytes.withUnsafeBufferPointer { bytes in
            var start = 0
            while start <= bytes.count {
                let end = bytes[start...].firstIndex(of: UInt8(ascii: "\n")) ?? bytes.count
                if end > start || start == 0 {
                    inner.consume(line: UnsafeBufferPointer(rebasing: bytes[start..<end]), offset: open.offset,
                                  pid: pid, timestamp: open.timestamp, truncated: open.truncated && end == bytes.count,
                                  into: &events)
                }
                start = end + 1
            }
        }
    }

    /// `[N-k] `, `[k] ` or `[N] ` after the header; moves `index` past it.
    static func tag(_ line: UnsafeBufferPointer<UInt8>, at index: inout Int) -> (number: Int?, part: Int?, single: Int?) {
        guard index < line.count, line[index] == UInt8(ascii: "[") else { return (nil, nil, nil) }
        var cursor = index + 1
        func number() -> Int? {
            var value = 0
            var digits = 0
            while cursor < line.count, line[cursor] &- 0x30 < 10, digits < 18 {
                value = value * 10 + Int(line[cursor] - 0x30)
                digits += 1
                cursor += 1
            }
            return digits > 0 ? value : nil
        }
        guard let first = number() else { return (nil, nil, nil) }
        var second: Int?
        if cursor < line.count, line[cursor] == UInt8(ascii: "-") {
            cursor += 1
            guard let value = number() else { return (nil, nil, nil) }
            second = value
        }
        guard cursor + 1 < line.count, line[cursor] == UInt8(ascii: "]"), line[cursor + 1] == UInt8(ascii: " ") else {
            return (nil, nil, nil)
        }
        index = cursor + 2
        if let second { return (first, second, nil) }
        return (nil, nil, first)
    }

    /// The message with rsyslog's `#ooo` escapes of control characters turned back, into ``scratch``.
    private mutating func unescape(_ text: UnsafeBufferPointer<UInt8>) {
        scratch.removeAll(keepingCapacity: true)
        var index = 0
        while index < text.count {
            let byte = text[index]
            if byte == UInt8(ascii: "#"), index + 3 < text.count {
                let a = text[index + 1] &- 0x30, b = text[index + 2] &- 0x30, c = text[index + 3] &- 0x30
                if a < 8, b < 8, c < 8 {
                    let value = Int(a) * 64 + Int(b) * 8 + Int(c)
                    if value < 0x20 || value == 0x7F {
                        scratch.append(UInt8(value))
                        index += 4
                        continue
                    }
                }
            }
            scratch.append(byte)
            index += 1
        }
    }

    /// The header's time as RFC 3339 UTC, for entries whose prefix has none.
    private mutating func stamp(_ header: SyslogHeader, _ line: UnsafeBufferPointer<UInt8>) -> String? {
        switch header.stamp {
        case .none:
            return nil
        case let .rfc3339(range):
            // `2026-12-07T05:57:28.131271+01:00` → `2026-12-07 05:57:28.131271 +01:00` for the reader.
            var text = Array(line[range])
            guard text.count >= 20 else { return nil }
            text[10] = UInt8(ascii: " ")
            if let zone = text[19...].firstIndex(where: { $0 == UInt8(ascii: "+") || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "Z") }) {
                text.insert(UInt8(ascii: " "), at: zone)
            }
            return text.withUnsafeBufferPointer { stamps.rfc3339(local: $0) }
        case let .local(month, day, second):
            let year = month > referenceMonth + 1 ? referenceYear - 1 : referenceYear
            let local = Int64(CivilCalendar.daysFromCivil(year: year, month: month, day: day)) * 86_400 + Int64(second)
            let utc = hostTimeZone.map { $0.utc(local: local) } ?? local
            return LogTimestampReader.format(epochSeconds: utc, millisecond: 0)
        }
    }

    private static func offset(of zone: TimeZoneRules, at utc: Int64) -> Int64 {
        utc - zone.utc(local: utc) // close enough for a month's boundary
    }
}
