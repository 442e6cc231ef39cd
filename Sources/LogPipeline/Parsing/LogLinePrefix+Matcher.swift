extension LogLinePrefix {
    /// A backtracking matcher over one line. Values of a fixed shape are read greedily; a free-text value
    /// tries its possible ends from the left, each checked by matching the rest of the prefix and the head.
    struct Matcher {
        let line: UnsafeBufferPointer<UInt8>
        let program: Program
        let heads: LogSeverity.HeadTable
        let captures: UnsafeMutableBufferPointer<Range<Int>>
        let acceptUnknownSeverity: Bool
        var budget: Int
        /// Values fixed in advance, if any.
        let pins: Pins?
        /// The accepted reading, once ``match(token:at:)`` returned true.
        var result: Scan?
        /// The best reading found so far that has a doubtful value (see ``doubts(tokenLimit:)``), kept while
        /// the search goes on for a reading without one; used when there is none.
        var fallback: (scan: Scan, captures: [Range<Int>], doubt: Int)?

        mutating func match(token index: Int, at position: Int) -> Bool {
            budget -= 1
            guard budget > 0 else { return false }
            guard index < program.count else { return accept(at: position, tokenLimit: index) }
            switch program.kinds[index] {
            case Program.literal:
                guard hasLiteral(index, at: position) else { return false }
                return match(token: index + 1, at: position + program.literalCounts[index])
            case Program.sessionOnly:
                // A process without a session stops here; a session goes on with the rest.
                if accept(at: position, tokenLimit: index) { return true }
                return match(token: index + 1, at: position)
            default:
                let escape = program.escapes[index]
                let padding = program.paddings[index]
                if escape.isFreeText { return matchFreeText(token: index, at: position, padding: padding) }
                var start = position
                if padding > 0 { start = skipSpaces(from: start, limit: start + padding) }
                guard let end = Self.shapedValueEnd(escape, in: line, from: start) else { return false }
                captures[index] = start..<end
                var next = end
                if padding < 0 { next = skipSpaces(from: end, limit: position - padding) }
                return match(token: index + 1, at: next)
            }
        }

        private mutating func matchFreeText(token index: Int, at position: Int, padding: Int) -> Bool {
            if let pins, let pin = program.escapes[index] == .user ? pins.user : program.escapes[index] == .database ? pins.database : nil {
                // A known value: only that reading.
                guard line.count - position >= pin.count else { return false }
                for offset in 0..<pin.count where line[position + offset] != pin[offset] { return false }
                let end = position + pin.count
                guard mayFollow(token: index + 1, at: end) else { return false }
                captures[index] = position..<end
                return match(token: index + 1, at: end)
            }
            let width = abs(padding)
            let limit = min(line.count, position + LogLinePrefix.maximumValueLength)
            // A padded value fills at least its width.
            var end = position + width
            // Where literal text follows, only its first byte can end the value: skip to it in a tight loop.
            let next = index + 1
            let delimiter: UInt8? =
                next < program.count && program.kinds[next] == Program.literal
                ? program.literalBytes[program.literalStarts[next]] : nil
            while end <= limit {
                if let delimiter {
                    while end < limit && line[end] != delimiter { end += 1 }
                    if end == limit && (limit == line.count || line[end] != delimiter) { return false }
                }
                budget -= 1
                guard budget > 0 else { return false }
                if mayFollow(token: next, at: end) {
                    var value = position..<end
                    if padding != 0 && end - position == width { value = trimmed(value, padding: padding) }
                    if program.escapes[index] == .remoteHost && !isRemoteHostAndPort(value) {
                        end += 1
                        continue
                    }
                    captures[index] = value
                    if match(token: index + 1, at: end) { return true }
                }
                end += 1
            }
            return false
        }

        /// `%r` is empty (no client), `[local]` or `host(port)`: a shape that settles IPv6 addresses, whose
        /// colons would otherwise be ambiguous in a prefix like RDS's `%t:%r:%u@%d:[%p]:`.
        private func isRemoteHostAndPort(_ range: Range<Int>) -> Bool {
            guard !range.isEmpty else { return true }
            guard line[range.upperBound - 1] == UInt8(ascii: ")") else {
                return range.count == 7 && line[range.lowerBound] == UInt8(ascii: "[")
            }
            var index = range.upperBound - 2
            while index > range.lowerBound && line[index] &- UInt8(ascii: "0") < 10 { index -= 1 }
            return index > range.lowerBound && index < range.upperBound - 2 && line[index] == UInt8(ascii: "(")
        }

        /// A cheap test whether token `index` can start at `position`, to skip hopeless ends of a value.
        @inline(__always)
        private func mayFollow(token index: Int, at position: Int) -> Bool {
            guard index < program.count else { return mayStartHead(at: position) }
            switch program.kinds[index] {
            case Program.literal: return hasLiteral(index, at: position)
            case Program.sessionOnly: return mayStartHead(at: position) || mayFollow(token: index + 1, at: position)
            default: return true
            }
        }

        @inline(__always)
        private func mayStartHead(at position: Int) -> Bool {
            guard position < line.count else { return false }
            return acceptUnknownSeverity || heads.mayStart(with: line[position])
        }

        /// Accepts the reading if a head follows at `position` and no value in it is doubtful. A reading
        /// with doubtful values is kept as the fallback if it is less doubtful than the one kept before
        /// (the earlier one wins a tie: its values are the shortest, from the left), and the search goes on.
        private mutating func accept(at position: Int, tokenLimit: Int) -> Bool {
            var scan: Scan
            if let found = heads.match(line, at: position) {
                scan = Scan(pattern: found.pattern, messageStart: position, textStart: found.textStart, tokenLimit: tokenLimit)
            } else if acceptUnknownSeverity, let textStart = heads.matchUnknown(line, at: position) {
                scan = Scan(pattern: -1, messageStart: position, textStart: textStart, tokenLimit: tokenLimit)
            } else {
                return false
            }
            let doubt = doubt(tokenLimit: tokenLimit)
            if doubt == 0 {
                result = scan
                return true
            }
            if let kept = fallback, kept.doubt <= doubt { return false }
            scan.doubt = doubt
            fallback = (scan, Array(captures), doubt)
            return false
        }

        /// How doubtful a reading's free-text values are. Each time a value holds the literal text in front
        /// of it or after it (which would have ended it), it costs by how rarely such names hold such text:
        /// host names never (8), databases rarely (4), users sometimes (2: directory users look like
        /// `alice@example.com`), application names, command tags and backend types often (1: JDBC calls
        /// itself `PostgreSQL JDBC Driver`). An empty user or database in a line that has them costs 8.
        private func doubt(tokenLimit: Int) -> Int {
            var total = 0
            for index in 0..<tokenLimit where program.kinds[index] == Program.escape && program.escapes[index].isFreeText {
                let value = captures[index]
                let escape = program.escapes[index]
                if let pins, (escape == .user && pins.user != nil) || (escape == .database && pins.database != nil) {
                    continue  // known, not read
                }
                if value.count > placeholder.utf8CodeUnitCount, contains(placeholder, in: value) {
                    total += 8  // `[unknown]` is a value of its own, never part of one
                }
                let weight: Int
                switch escape {
                case .remoteHost, .remoteHostOnly, .localAddress: weight = 8
                case .database: weight = 4
                case .user: weight = 2
                default: weight = 1
                }
                if value.isEmpty {
                    if program.escapes[index] == .user || program.escapes[index] == .database { total += 8 }
                    continue
                }
                if program.literalCounts[index] > 0 { total += weight * occurrences(in: value, literalOf: index) }
                let next = index + 1
                if next < tokenLimit, program.kinds[next] == Program.literal {
                    total += weight * occurrences(in: value, literalOf: next)
                }
            }
            return total
        }

        /// PostgreSQL's placeholder for a name not known yet.
        private var placeholder: StaticString { "[unknown]" }

        private func contains(_ text: StaticString, in range: Range<Int>) -> Bool {
            line.firstIndex(of: text.utf8Start, count: text.utf8CodeUnitCount, from: range.lowerBound, to: range.upperBound) != nil
        }

        /// How often the literal text of `token` occurs in `range`, without overlaps.
        private func occurrences(in range: Range<Int>, literalOf token: Int) -> Int {
            let count = program.literalCounts[token]
            guard count > 0, range.count >= count, let literal = program.literalBytes.baseAddress else { return 0 }
            var found = 0
            var start = range.lowerBound
            while let position = line.firstIndex(of: literal + program.literalStarts[token], count: count, from: start,
                                                 to: range.upperBound) {
                found += 1
                start = position + count
            }
            return found
        }

        @inline(__always)
        private func hasLiteral(_ token: Int, at position: Int) -> Bool {
            let count = program.literalCounts[token]
            guard line.count - position >= count else { return false }
            let start = program.literalStarts[token]
            for offset in 0..<count where line[position + offset] != program.literalBytes[start + offset] {
                return false
            }
            return true
        }

        private func skipSpaces(from position: Int, limit: Int) -> Int {
            var index = position
            while index < min(limit, line.count), line[index] == UInt8(ascii: " ") { index += 1 }
            return index
        }

        /// A value padded to its width loses the padding: leading spaces when right-aligned (`%10u`),
        /// trailing ones when left-aligned (`%-10u`).
        private func trimmed(_ range: Range<Int>, padding: Int) -> Range<Int> {
            var lower = range.lowerBound
            var upper = range.upperBound
            if padding > 0 {
                while lower < upper, line[lower] == UInt8(ascii: " ") { lower += 1 }
            } else {
                while upper > lower, line[upper - 1] == UInt8(ascii: " ") { upper -= 1 }
            }
            return lower..<upper
        }

        /// The end of a value whose shape is fixed, read from `position`; nil when the bytes do not have it.
        static func shapedValueEnd(_ escape: Escape, in line: UnsafeBufferPointer<UInt8>, from position: Int) -> Int? {
            switch escape {
            case .pid, .sessionLine, .xid:
                let end = digitsEnd(line, from: position)
                return end > position ? end : nil
            case .leaderPID:
                return digitsEnd(line, from: position)  // empty when the process has no leader
            case .queryID:
                var start = position
                if start < line.count, line[start] == UInt8(ascii: "-") { start += 1 }
                let end = digitsEnd(line, from: start)
                return end > start ? end : nil
            case .sessionID:
                let dot = hexEnd(line, from: position)
                guard dot > position, dot < line.count, line[dot] == UInt8(ascii: ".") else { return nil }
                let end = hexEnd(line, from: dot + 1)
                return end > dot + 1 ? end : nil
            case .sqlstate:
                guard line.count - position >= 5 else { return nil }
                for offset in 0..<5 {
                    let byte = line[position + offset]
                    let isDigit = byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
                    let isUpper = byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z")
                    guard isDigit || isUpper else { return nil }
                }
                return position + 5
            case .virtualXID:
                // "procNumber/localXID", or nothing for a process without one.
                let slash = digitsEnd(line, from: position)
                guard slash > position else { return position }
                guard slash < line.count, line[slash] == UInt8(ascii: "/") else { return nil }
                let end = digitsEnd(line, from: slash + 1)
                return end > slash + 1 ? end : nil
            case .epoch:
                let dot = digitsEnd(line, from: position)
                guard dot > position, dot + 4 <= line.count, line[dot] == UInt8(ascii: ".") else { return nil }
                let end = digitsEnd(line, from: dot + 1)
                return end == dot + 4 ? end : nil
            case .timestampMilliseconds:
                return TimestampText.localEnd(line, from: position, milliseconds: true)
            case .timestamp, .sessionStart:
                return TimestampText.localEnd(line, from: position, milliseconds: false)
            default:
                return nil
            }
        }

        static func digitsEnd(_ line: UnsafeBufferPointer<UInt8>, from position: Int) -> Int {
            var index = position
            while index < line.count, line[index] &- UInt8(ascii: "0") < 10 { index += 1 }
            return index
        }

        static func hexEnd(_ line: UnsafeBufferPointer<UInt8>, from position: Int) -> Int {
            var index = position
            while index < line.count {
                let byte = line[index]
                guard byte &- UInt8(ascii: "0") < 10 || byte &- UInt8(ascii: "a") < 6 else { break }
                index += 1
            }
            return index
        }
    }
}
