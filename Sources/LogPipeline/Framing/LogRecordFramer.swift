#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Cuts the bytes of a log file, fed in chunks as they are read, into records (``LogRecord``) for a
/// ``LogFormatParser``: the one place that knows about chunk boundaries, partial records, offsets, gaps, NUL
/// runs and the entry cap, for every format.
///
/// - A record may span chunks: its first bytes wait in a buffer of at most the cap.
/// - A chunk that does not continue where the last one ended (the file was truncated or replaced) drops the
///   record in progress, counted as unparsed.
/// - A run of NUL bytes where a record should start (what `copytruncate` leaves when the server keeps
///   writing at its old offset) is skipped; csvlog and jsonlog count each run as unparsed, as a stderr
///   parser does not (it never did: such a hole is no line).
/// - A record longer than the cap is cut as its framing says (``LogRecordFraming``) and handed on marked
///   truncated; the rest of it is read and dropped, so memory stays bounded by the cap.
/// - ``consumedEnd`` is the end of the last record handed on or skipped: with the parser's oldest open
///   entry, where a restart must resume to lose nothing and repeat nothing.
struct LogRecordFramer: Sendable {
    let framing: LogRecordFraming
    /// The longest record kept whole, in bytes.
    let cap: Int
    /// The end of the last record handed on or skipped.
    var consumedEnd: Int64 = 0
    /// Stretches of bytes that were no record (NUL runs, torn or cut-off records), counted here because no
    /// parser saw them.
    var unparsed = 0

    /// The bytes of the record in progress, and where they start in the file.
    var pending: [UInt8] = []
    var pendingOffset: Int64 = 0
    /// Where the next chunk must start; nil before the first.
    var nextOffset: Int64?
    /// lines: the rest of an overlong line, already handed on cut, is being dropped.
    var discardingLine = false
    /// jsonLines: the capped copy of an overlong line in progress.
    var jsonOverflow: JSONLineCapper?
    /// csvRows: the scan over the row in progress, its commas, and the capped copy of an overlong row.
    var csv = CSVScan()
    var commas: [Int] = []
    var separatorScratch: [Int] = []
    var csvOverflow: CSVRowCapper?

    init(framing: LogRecordFraming, cap: Int) {
        self.framing = framing
        self.cap = max(cap, 64)
    }

    /// Feeds the next bytes of the file, read at `offset`; `deliver` gets each complete record and says
    /// whether it was one of the format's (csvlog resynchronises on a refusal).
    mutating func feed(_ chunk: UnsafeBufferPointer<UInt8>, at offset: Int64, _ deliver: (LogRecord) -> Bool) {
        if let expected = nextOffset, expected != offset {
            abandonRecord()
            consumedEnd = offset
        }
        if nextOffset == nil { consumedEnd = offset }
        nextOffset = offset + Int64(chunk.count)
        guard !chunk.isEmpty else { return }
        switch framing {
        case .lines: feedLines(chunk, at: offset, deliver)
        case .jsonLines: feedJSONLines(chunk, at: offset, deliver)
        case .csvRows: feedCSV(chunk, at: offset, deliver)
        }
    }

    /// The file has ended for good: a last record without its newline is handed on when it is whole (a
    /// csvlog row with balanced quotes, any line), else counted as unparsed.
    mutating func finish(_ deliver: (LogRecord) -> Bool) {
        let end = nextOffset
        switch framing {
        case .lines, .jsonLines:
            if jsonOverflow == nil, !discardingLine, !pending.isEmpty {
                let record = pending
                let offset = pendingOffset
                pending = []
                record.withUnsafeBufferPointer { handOn($0, at: offset, truncated: false, deliver) }
            }
        case .csvRows:
            if csvOverflow == nil, !pending.isEmpty, csv.candidate == nil, !csv.inQuotes, !csv.hasNUL, let end {
                // The missing newline completes the row, or shows it is none.
                let newline: [UInt8] = [0x0A]
                newline.withUnsafeBufferPointer { feedCSV($0, at: end, deliver) }
            }
        }
        abandonRecord()
        if let end { consumedEnd = end }
    }

    /// Drops the record in progress (end of input, or the file changed under us) as unparsed.
    private mutating func abandonRecord() {
        if jsonOverflow != nil || csvOverflow != nil {
            unparsed += 1
        } else if !pending.isEmpty && !discardingLine {
            let onlyNULs = !pending.contains { $0 != 0 }
            if !(onlyNULs && csv.inNULRun) { unparsed += framing == .csvRows && csv.candidate != nil ? 2 : 1 }
        }
        jsonOverflow = nil
        csvOverflow = nil
        discardingLine = false
        pending = []
        commas.removeAll(keepingCapacity: true)
        csv = CSVScan()
    }

    /// Hands on one line-framed record (without its newline, a trailing `\r` kept for the parser), cut
    /// first when it is longer than the cap.
    mutating func handOn(
        _ line: UnsafeBufferPointer<UInt8>, at offset: Int64, truncated: Bool, _ deliver: (LogRecord) -> Bool
    ) {
        var line = line
        var offset = offset
        if framing == .jsonLines, line.first == 0 {
            let run = line.prefix { $0 == 0 }.count
            unparsed += 1
            line = UnsafeBufferPointer(rebasing: line[run...])
            offset += Int64(run)
        }
        if line.count > cap {
            if framing == .jsonLines {
                var capped = JSONLineCapper(cap: cap, offset: offset)
                for byte in line { _ = capped.feed(byte) }
                if capped.broken {
                    unparsed += 1
                    return
                }
                capped.stored.withUnsafeBufferPointer { stored in
                    _ = withUnsafeTemporaryAllocation(of: Int.self, capacity: 0) { none in
                        deliver(LogRecord(bytes: stored, offset: offset, truncated: capped.truncated, separators: UnsafeBufferPointer(none)))
                    }
                }
                return
            }
            line = UnsafeBufferPointer(rebasing: line[..<cap])
            return handOn(line, at: offset, truncated: true, deliver)
        }
        _ = withUnsafeTemporaryAllocation(of: Int.self, capacity: 0) { none in
            deliver(LogRecord(bytes: line, offset: offset, truncated: truncated, separators: UnsafeBufferPointer(none)))
        }
    }

    // MARK: - Lines

    private mutating func feedLines(_ chunk: UnsafeBufferPointer<UInt8>, at offset: Int64, _ deliver: (LogRecord) -> Bool) {
        var chunk = chunk
        var offset = offset
        if discardingLine {
            // The rest of a line already handed on cut.
            guard let newline = Self.firstNewline(chunk, from: 0) else { return }
            discardingLine = false
            chunk = UnsafeBufferPointer(rebasing: chunk[(newline + 1)...])
            offset += Int64(newline + 1)
            consumedEnd = offset
        }
        if pending.isEmpty, framing == .lines {
            // A copytruncate hole before the next line: skipping it here keeps a long run from being taken
            // for an overlong line.
            let run = chunk.prefix { $0 == 0 }.count
            chunk = UnsafeBufferPointer(rebasing: chunk[run...])
            offset += Int64(run)
            if run > 0 { consumedEnd = offset }
        }
        var start = 0
        while let newline = Self.firstNewline(chunk, from: start) {
            if pending.isEmpty {
                handOn(UnsafeBufferPointer(rebasing: chunk[start..<newline]), at: offset + Int64(start), truncated: false, deliver)
            } else {
                pending.append(contentsOf: UnsafeBufferPointer(rebasing: chunk[start..<newline]))
                let line = pending
                let lineOffset = pendingOffset
                pending.removeAll(keepingCapacity: pending.capacity <= 65_536)
                line.withUnsafeBufferPointer { handOn($0, at: lineOffset, truncated: false, deliver) }
            }
            start = newline + 1
            consumedEnd = offset + Int64(start)
        }
        guard start < chunk.count else { return }
        if pending.isEmpty {
            // A NUL run that the chunk ends in (or starts the last line with) is no line's beginning.
            let run = UnsafeBufferPointer(rebasing: chunk[start...]).prefix { $0 == 0 }.count
            if run > 0 {
                if framing == .jsonLines { unparsed += 1 }
                start += run
                consumedEnd = offset + Int64(start)
                guard start < chunk.count else { return }
            }
            pendingOffset = offset + Int64(start)
        }
        pending.append(contentsOf: UnsafeBufferPointer(rebasing: chunk[start...]))
        if pending.count > cap { cutOverlongLine(deliver) }
    }

    /// A line without its newline has grown past the cap: it goes on cut, the rest of it is dropped.
    private mutating func cutOverlongLine(_ deliver: (LogRecord) -> Bool) {
        if framing == .jsonLines {
            var capped = JSONLineCapper(cap: cap, offset: pendingOffset)
            for byte in pending { _ = capped.feed(byte) }
            jsonOverflow = capped
        } else {
            let line = Array(pending.prefix(cap))
            line.withUnsafeBufferPointer { handOn($0, at: pendingOffset, truncated: true, deliver) }
            discardingLine = true
        }
        pending = []
    }

    // MARK: - JSON lines

    private mutating func feedJSONLines(_ chunk: UnsafeBufferPointer<UInt8>, at offset: Int64, _ deliver: (LogRecord) -> Bool) {
        guard var capped = jsonOverflow else {
            feedLines(chunk, at: offset, deliver)
            return
        }
        var index = 0
        var ended = false
        while index < chunk.count, !ended {
            ended = capped.feed(chunk[index])
            index += 1
        }
        guard ended else {
            jsonOverflow = capped
            return
        }
        jsonOverflow = nil
        if capped.broken {
            unparsed += 1
        } else {
            capped.stored.withUnsafeBufferPointer { handOn($0, at: capped.offset, truncated: capped.truncated, deliver) }
        }
        consumedEnd = offset + Int64(index)
        if index < chunk.count {
            feedLines(UnsafeBufferPointer(rebasing: chunk[index...]), at: offset + Int64(index), deliver)
        }
    }

    static func firstNewline(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int) -> Int? {
        guard start < bytes.count, let base = bytes.baseAddress else { return nil }
        guard let found = memchr(base + start, 0x0A, bytes.count - start) else { return nil }
        return UnsafeRawPointer(found) - UnsafeRawPointer(base)
    }
}
