import AgentSchema

extension LogSeverity {
    /// The heads in every known language, as byte patterns with their colon and spaces, indexed by first byte.
    static let heads = HeadTable()

    /// The byte patterns of every known head (`ERROR:  `, `FEHLER:  `, `CONTEXTE :  `, `쿼리:`), indexed by
    /// their first byte so that a line whose prefix ends at a wrong place is rejected after one lookup.
    ///
    /// The matcher asks this table several times per line, so it keeps its bytes in memory of its own
    /// rather than in arrays: reading it then costs no reference counting. It is filled once in `init`
    /// and never changed or freed (there is one, for the life of the process), hence `@unchecked Sendable`.
    final class HeadTable: @unchecked Sendable {
        /// What each pattern means, by pattern number.
        let heads: [Head]
        /// The same, taken apart for the stderr parser: the English severity and the word as written when
        /// it differs, or the label.
        let severities: [PostgresSeverity?]
        let localizedSeverities: [String?]
        let labels: [Label?]
        /// All patterns, one after the other.
        private let bytes: UnsafeMutableBufferPointer<UInt8>
        /// Per pattern: where its bytes start in ``bytes``, and how many there are (without the spaces after
        /// the colon), and how many spaces must follow them (0 or 1: up to 2 are taken).
        private let starts: UnsafeMutableBufferPointer<Int32>
        private let counts: UnsafeMutableBufferPointer<Int32>
        private let minimumSpaces: UnsafeMutableBufferPointer<Int8>
        /// Pattern numbers grouped by first byte; `firstByteStart[b]..<firstByteStart[b + 1]` are those for `b`.
        private let byFirstByte: UnsafeMutableBufferPointer<Int32>
        private let firstByteStart: UnsafeMutableBufferPointer<Int32>

        init() {
            var patterns: [(bytes: [UInt8], head: Head)] = []
            // PostgreSQL prints a severity as "%s:  " in every language; only the word is translated.
            for word in LogSeverity.englishSeverities where !word.hasPrefix("DEBUG") || word == "DEBUG" {
                patterns.append((Array("\(word):  ".utf8), .severity(english: word, localized: nil)))
            }
            for row in LogSeverity.severityTranslations {
                patterns.append((Array("\(row.written):  ".utf8), .severity(english: row.english, localized: row.written)))
            }
            for label in [Label.detail, .hint, .context, .statement, .query, .location] {
                patterns.append((Array("\(label.english):  ".utf8), .label(label)))
            }
            // The translations carry their own colon and spacing ("CONTEXTE :  ", "쿼리:"), kept as written.
            for row in LogSeverity.labelTranslations {
                guard let label = Label(english: row.english) else { continue }
                let bytes = Array(row.written.utf8)
                if patterns.contains(where: { $0.bytes == bytes }) { continue }
                patterns.append((bytes, .label(label)))
            }
            // PostgreSQL writes two spaces after the colon; tools and hand-edited logs have one. The spaces
            // are matched apart: at least one when the pattern had any, up to two.
            var spaces: [Int8] = []
            for index in patterns.indices {
                var bytes = patterns[index].bytes
                var trailing = 0
                while bytes.count > 1, bytes.last == UInt8(ascii: " ") {
                    bytes.removeLast()
                    trailing += 1
                }
                patterns[index].bytes = bytes
                spaces.append(trailing > 0 ? 1 : 0)
            }
            heads = patterns.map(\.head)
            severities = heads.map { if case .severity(let english, _) = $0 { PostgresSeverity(rawValue: english) } else { nil } }
            localizedSeverities = heads.map { if case .severity(_, let localized) = $0 { localized } else { nil } }
            labels = heads.map { if case .label(let label) = $0 { label } else { nil } }
            let all = patterns.flatMap(\.bytes)
            bytes = .allocate(capacity: all.count)
            _ = bytes.initialize(from: all)
            starts = .allocate(capacity: patterns.count)
            counts = .allocate(capacity: patterns.count)
            minimumSpaces = .allocate(capacity: patterns.count)
            _ = minimumSpaces.initialize(from: spaces)
            var offset = 0
            for (index, pattern) in patterns.enumerated() {
                starts[index] = Int32(offset)
                counts[index] = Int32(pattern.bytes.count)
                offset += pattern.bytes.count
            }
            var grouped: [Int32] = []
            var groupStarts: [Int32] = []
            for byte in 0..<256 {
                groupStarts.append(Int32(grouped.count))
                for (index, pattern) in patterns.enumerated() where pattern.bytes[0] == byte {
                    grouped.append(Int32(index))
                }
            }
            groupStarts.append(Int32(grouped.count))
            byFirstByte = .allocate(capacity: max(grouped.count, 1))
            _ = byFirstByte.initialize(from: grouped)
            firstByteStart = .allocate(capacity: groupStarts.count)
            _ = firstByteStart.initialize(from: groupStarts)
        }

        /// Whether any known head could start with this byte (a cheap test before ``match(_:at:)``).
        @inline(__always)
        func mayStart(with byte: UInt8) -> Bool {
            firstByteStart[Int(byte)] != firstByteStart[Int(byte) + 1]
        }

        /// The number of the pattern at `position` and the offset where its text begins, if the line has a
        /// known head there.
        func match(_ line: UnsafeBufferPointer<UInt8>, at position: Int) -> (pattern: Int, textStart: Int)? {
            guard position < line.count else { return nil }
            let first = Int(line[position])
            for slot in Int(firstByteStart[first])..<Int(firstByteStart[first + 1]) {
                let pattern = Int(byFirstByte[slot])
                let start = Int(starts[pattern])
                let count = Int(counts[pattern])
                guard line.count - position >= count else { continue }
                var same = true
                for offset in 1..<count where line[position + offset] != bytes[start + offset] {
                    same = false
                    break
                }
                guard same else { continue }
                var textStart = position + count
                var taken = 0
                while taken < 2, textStart < line.count, line[textStart] == UInt8(ascii: " ") {
                    textStart += 1
                    taken += 1
                }
                if taken >= Int(minimumSpaces[pattern]) { return (pattern, textStart) }
            }
            return nil
        }

        /// A severity-shaped head in a language we have no table for: one word of 1 to 64 bytes without
        /// spaces or colons, not starting with a digit, followed by `: ` or `:  `. Returns where its text
        /// begins.
        func matchUnknown(_ line: UnsafeBufferPointer<UInt8>, at position: Int) -> Int? {
            guard position < line.count, line[position] &- UInt8(ascii: "0") >= 10 else { return nil }
            var end = position
            while end < line.count, end - position <= 64 {
                let byte = line[end]
                if byte == UInt8(ascii: ":") { break }
                if byte <= UInt8(ascii: " ") || byte == 0x7F { return nil }
                end += 1
            }
            guard end > position, end - position <= 64, end + 2 <= line.count,
                line[end] == UInt8(ascii: ":"), line[end + 1] == UInt8(ascii: " ")
            else { return nil }
            return end + 3 <= line.count && line[end + 2] == UInt8(ascii: " ") ? end + 3 : end + 2
        }
    }
}
