/// Where the scan over the csvlog row in progress stands. Positions are relative to the buffer scanned.
struct CSVScan: Sendable {
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

// csvlog rows: a newline inside double quotes does not end a row, `""` is one quote.
//
// A row cut short inside a quoted field (a crash mid-write, a torn copy) would otherwise swallow every
// following row as part of that field, so a line that starts with a csvlog timestamp inside an open quote is
// remembered as a resynchronisation point: as soon as the rows from there parse on their own, the damaged
// row is dropped (counted as unparsed) and framing goes on from that line. The commas outside quotes are
// collected while scanning and handed on with the row, so the parser need not scan it again.
extension LogRecordFramer {
    mutating func feedCSV(_ chunk: UnsafeBufferPointer<UInt8>, at offset: Int64, _ deliver: (LogRecord) -> Bool) {
        var rest = chunk
        var offset = offset
        while !rest.isEmpty {
            if csvOverflow != nil {
                guard let used = feedCSVOverflow(rest, deliver) else { return }
                rest = UnsafeBufferPointer(rebasing: rest[used...])
                offset += Int64(used)
                continue
            }
            if !pending.isEmpty {
                // A row began in an earlier chunk: give it this chunk's bytes a line at a time, so that only
                // the row itself is copied; once it is done, the rest is read in place.
                let end = min((Self.firstNewline(rest, from: 0) ?? (rest.count - 1)) + 1, rest.count)
                pending.append(contentsOf: rest[..<end])
                rest = UnsafeBufferPointer(rebasing: rest[end...])
                offset += Int64(end)
                var work: [UInt8] = []
                swap(&work, &pending)
                let keep = work.withUnsafeBufferPointer { scanCSV($0, base: pendingOffset, deliver) }
                if keep < work.count {
                    work.removeSubrange(0..<keep)
                    pending = work
                }
                settleCSV(keep)
                continue
            }
            pendingOffset = offset
            let keep = scanCSV(rest, base: offset, deliver)
            if keep < rest.count { pending = Array(rest[keep...]) }
            settleCSV(keep)
            return
        }
    }

    /// Moves the scan state (relative to the buffer scanned) to be relative to the bytes kept.
    private mutating func settleCSV(_ keep: Int) {
        pendingOffset += Int64(keep)
        csv.rebase(by: keep)
        if keep != 0 { for index in commas.indices { commas[index] -= keep } }
    }

    /// Scans `buffer` from the saved position; returns where the unfinished row starts (the bytes to keep).
    private mutating func scanCSV(_ buffer: UnsafeBufferPointer<UInt8>, base: Int64, _ deliver: (LogRecord) -> Bool) -> Int {
        let count = buffer.count
        var index = csv.position
        while index < count {
            let byte = buffer[index]
            // Most bytes are text above the comma: nothing to do for them.
            if byte > 0x2C {
                index += 1
                continue
            }
            switch byte {
            case 0x22:
                csv.inQuotes.toggle()
            case 0x2C:
                if !csv.inQuotes { commas.append(index) }
            case 0x00:
                if index == csv.rowStart {
                    var end = index
                    while end < count, buffer[end] == 0 { end += 1 }
                    if !csv.inNULRun { unparsed += 1 }
                    csv.inNULRun = true
                    csv.startRow(at: end)
                    consumedEnd = base + Int64(end)
                    index = end
                    continue
                }
                csv.hasNUL = true
            case 0x0A:
                if let resume = csvLineEnded(at: index, in: buffer, base: base, deliver) {
                    index = resume
                    continue
                }
            default:
                break
            }
            index += 1
        }
        csv.position = count
        if csv.rowStart < count, count - csv.rowStart > cap {
            if let candidate = csv.candidate {
                // The open row is not a row: go on from the line that looks like one.
                unparsed += 1
                consumedEnd = base + Int64(candidate)
                commas.removeAll(keepingCapacity: true)
                csv.startRow(at: candidate)
                return scanCSV(buffer, base: base, deliver)
            }
            var capped = CSVRowCapper(cap: cap, offset: base + Int64(csv.rowStart))
            for position in csv.rowStart..<count { _ = capped.feed(buffer[position]) }
            csvOverflow = capped
            commas.removeAll(keepingCapacity: true)
            csv.startRow(at: count)
        }
        return min(csv.rowStart, count)
    }

    /// Handles the newline at `index`; returns the index to go on scanning from when the scan must move
    /// elsewhere than the next byte.
    private mutating func csvLineEnded(
        at index: Int, in buffer: UnsafeBufferPointer<UInt8>, base: Int64, _ deliver: (LogRecord) -> Bool
    ) -> Int? {
        if csv.candidate == nil, csv.lineStartInQuotes,
           LogTimestampReader.hasDateTimePrefix(UnsafeBufferPointer(rebasing: buffer[csv.lineStart..<index])) {
            csv.candidate = csv.lineStart
        }
        if !csv.inQuotes {
            csv.inNULRun = false
            let row = csv.rowStart..<index
            let accepted = csv.hasNUL ? false : handOnRow(buffer, row: row, base: base, deliver)
            if !accepted, let candidate = csv.candidate {
                if csv.hasNUL { unparsed += 1 }
                consumedEnd = base + Int64(candidate)
                commas.removeAll(keepingCapacity: true)
                csv.startRow(at: candidate)
                return candidate
            }
            if csv.hasNUL { unparsed += 1 }
            consumedEnd = base + Int64(index + 1)
            commas.removeAll(keepingCapacity: true)
            csv.startRow(at: index + 1)
            return index + 1
        }
        // Inside a quote: where a resynchronisation point started, that row may now be complete (its own
        // quotes balance exactly when the open row's do not).
        if let candidate = csv.candidate {
            var candidateCommas: [Int] = []
            if Self.splitFields(buffer, candidate..<index, into: &candidateCommas) {
                swap(&candidateCommas, &commas)
                let accepted = handOnRow(buffer, row: candidate..<index, base: base, deliver)
                swap(&candidateCommas, &commas)
                if accepted {
                    unparsed += 1  // the damaged row before it
                    consumedEnd = base + Int64(index + 1)
                    commas.removeAll(keepingCapacity: true)
                    csv.startRow(at: index + 1)
                    return index + 1
                }
            }
            csv.candidate = nil
        }
        csv.lineStart = index + 1
        csv.lineStartInQuotes = true
        return nil
    }

    /// Hands on a complete row (``commas`` filled), cut first when it is longer than the cap.
    private mutating func handOnRow(
        _ buffer: UnsafeBufferPointer<UInt8>, row: Range<Int>, base: Int64, _ deliver: (LogRecord) -> Bool
    ) -> Bool {
        guard row.count > cap else {
            // Positions within the row, in a buffer kept across rows (no allocation per row).
            separatorScratch.removeAll(keepingCapacity: true)
            for comma in commas { separatorScratch.append(comma - row.lowerBound) }
            return separatorScratch.withUnsafeBufferPointer { separators in
                deliver(LogRecord(bytes: UnsafeBufferPointer(rebasing: buffer[row]), offset: base + Int64(row.lowerBound),
                                  truncated: false, separators: separators))
            }
        }
        var capped = CSVRowCapper(cap: cap, offset: base + Int64(row.lowerBound))
        for index in row { _ = capped.feed(buffer[index]) }
        _ = capped.feed(0x0A)
        return handOnCapped(capped, deliver)
    }

    /// Hands on an overlong row's capped copy; false when it is no row at all (counted here when it could
    /// not even be handed on).
    private mutating func handOnCapped(_ capped: CSVRowCapper, _ deliver: (LogRecord) -> Bool) -> Bool {
        var separators: [Int] = []
        let whole = capped.stored.withUnsafeBufferPointer { stored in
            !capped.hasNUL && Self.splitFields(stored, 0..<stored.count, into: &separators)
        }
        guard whole else {
            unparsed += 1
            return false
        }
        return capped.stored.withUnsafeBufferPointer { stored in
            return separators.withUnsafeBufferPointer { separators in
                deliver(LogRecord(bytes: stored, offset: capped.offset, truncated: capped.truncated, separators: separators))
            }
        }
    }

    /// Feeds an overlong row's bytes to its capped copy; returns the index after the row's end, or nil when
    /// the chunk ended first.
    private mutating func feedCSVOverflow(_ chunk: UnsafeBufferPointer<UInt8>, _ deliver: (LogRecord) -> Bool) -> Int? {
        guard var capped = csvOverflow else { return 0 }
        csvOverflow = nil
        for index in chunk.indices where capped.feed(chunk[index]) {
            _ = handOnCapped(capped, deliver)
            consumedEnd = capped.offset + Int64(capped.length)
            csv = CSVScan()
            commas.removeAll(keepingCapacity: true)
            return index + 1
        }
        csvOverflow = capped
        return nil
    }

    /// Comma positions of `row`, or false when its quotes do not balance.
    static func splitFields(_ buffer: UnsafeBufferPointer<UInt8>, _ row: Range<Int>, into commas: inout [Int]) -> Bool {
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
}
