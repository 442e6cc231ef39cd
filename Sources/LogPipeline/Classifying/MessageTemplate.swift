/// One of PostgreSQL's printf-style message templates (`duration: %s ms  statement: %s`, or a translation
/// of it such as `期間: %s ミリ秒  文: %s`), compiled to match a logged message and hand back its arguments.
///
/// Conversions are read as PostgreSQL's `snprintf` writes them: `%s` and `%m` (any text, possibly empty),
/// `%d %i %u %ld %lu %lld %llu %zu` with flags and width (`%03d`), `%X`/`%x` (hex, as in LSNs `%X/%X`),
/// `%f` with a precision (`%.3f`), `%c`, and `%%`. Translations may reorder arguments with `%2$s`;
/// arguments come back in the English order.
struct MessageTemplate: Sendable {
    /// A piece of the template.
    enum Piece: Sendable, Equatable {
        case literal([UInt8])
        /// The argument with this index (0-based, in the English order) and what it looks like.
        case argument(index: Int, kind: ArgumentKind)
    }

    /// The shape of an argument's text.
    enum ArgumentKind: Sendable, Equatable {
        /// Any text, possibly empty.
        case text
        /// An optionally signed decimal integer.
        case integer
        /// Hexadecimal digits.
        case hex
        /// A decimal number with an optional fraction.
        case decimal
        /// One character.
        case character
    }

    /// What the message is (several templates may share one).
    let id: MessageID
    /// The catalog's language (`en` for PostgreSQL's own text).
    let language: String
    let pieces: [Piece]
    /// How many arguments the template has.
    let argumentCount: Int
    /// The template ends with a newline: the message goes on with lines of its own (autovacuum's
    /// statistics), which the template does not spell out.
    let allowsTrailingLines: Bool

    /// Compiles a template; nil when it has a conversion we do not know.
    init?(id: MessageID, language: String, text: String) {
        var pieces: [Piece] = []
        var literal: [UInt8] = []
        let bytes = Array(text.utf8)
        var index = 0
        var sequential = 0
        while index < bytes.count {
            guard bytes[index] == UInt8(ascii: "%") else {
                literal.append(bytes[index])
                index += 1
                continue
            }
            index += 1
            guard index < bytes.count else { return nil }
            if bytes[index] == UInt8(ascii: "%") {
                literal.append(UInt8(ascii: "%"))
                index += 1
                continue
            }
            // %N$ — a positional argument.
            var position: Int?
            var digitsEnd = index
            while digitsEnd < bytes.count, bytes[digitsEnd] &- UInt8(ascii: "0") < 10 { digitsEnd += 1 }
            if digitsEnd > index, digitsEnd < bytes.count, bytes[digitsEnd] == UInt8(ascii: "$") {
                position = Int(String(decoding: bytes[index..<digitsEnd], as: UTF8.self)).map { $0 - 1 }
                index = digitsEnd + 1
            }
            // Flags, width, precision, length modifiers.
            while index < bytes.count, "-+ #0123456789.*".utf8.contains(bytes[index]) { index += 1 }
            while index < bytes.count, "hlzjtqL".utf8.contains(bytes[index]) { index += 1 }
            guard index < bytes.count else { return nil }
            let kind: ArgumentKind
            switch bytes[index] {
            case UInt8(ascii: "s"), UInt8(ascii: "m"): kind = .text
            case UInt8(ascii: "d"), UInt8(ascii: "i"), UInt8(ascii: "u"): kind = .integer
            case UInt8(ascii: "X"), UInt8(ascii: "x"): kind = .hex
            case UInt8(ascii: "f"), UInt8(ascii: "g"), UInt8(ascii: "e"): kind = .decimal
            case UInt8(ascii: "c"): kind = .character
            default: return nil
            }
            index += 1
            if !literal.isEmpty {
                pieces.append(.literal(literal))
                literal = []
            }
            // %m takes no argument in PostgreSQL (it prints errno's text), but we capture it all the same.
            pieces.append(.argument(index: position ?? sequential, kind: kind))
            sequential += 1
        }
        if !literal.isEmpty { pieces.append(.literal(literal)) }
        self.id = id
        self.language = language
        self.pieces = pieces
        self.allowsTrailingLines = bytes.last == UInt8(ascii: "\n")
        self.argumentCount = pieces.reduce(0) { count, piece in
            if case .argument(let index, _) = piece { return max(count, index + 1) }
            return count
        }
    }

    /// The first literal's bytes, when the template starts with one.
    var leadingLiteral: [UInt8]? {
        if case .literal(let bytes) = pieces.first { return bytes }
        return nil
    }

    /// Matches the whole of `text`; returns the byte range of each argument (English order), or nil.
    func match(_ text: UnsafeBufferPointer<UInt8>) -> [Range<Int>]? {
        var arguments = [Range<Int>](repeating: 0..<0, count: argumentCount)
        var budget = 256
        return match(piece: 0, at: 0, text, &arguments, &budget) ? arguments : nil
    }

    private func match(
        piece: Int, at position: Int, _ text: UnsafeBufferPointer<UInt8>, _ arguments: inout [Range<Int>],
        _ budget: inout Int
    ) -> Bool {
        budget -= 1
        guard budget > 0 else { return false }
        guard piece < pieces.count else { return position == text.count || allowsTrailingLines }
        switch pieces[piece] {
        case .literal(let bytes):
            guard Self.has(bytes, in: text, at: position) else { return false }
            return match(piece: piece + 1, at: position + bytes.count, text, &arguments, &budget)
        case .argument(let index, let kind):
            if kind != .text {
                guard let end = Self.shapedEnd(kind, text, from: position) else { return false }
                arguments[index] = position..<end
                return match(piece: piece + 1, at: end, text, &arguments, &budget)
            }
            // Free text: the rest, when it is the last piece; else up to each place the next literal is
            // found, the nearest first.
            guard piece + 1 < pieces.count else {
                arguments[index] = position..<text.count
                return true
            }
            guard case .literal(let next) = pieces[piece + 1] else {
                // Two arguments in a row (never so in PostgreSQL's catalogs): take the shortest reading.
                for end in position...text.count {
                    arguments[index] = position..<end
                    if match(piece: piece + 1, at: end, text, &arguments, &budget) { return true }
                    if budget <= 0 { return false }
                }
                return false
            }
            var end = position
            while let found = Self.find(next, in: text, from: end) {
                arguments[index] = position..<found
                if match(piece: piece + 1, at: found, text, &arguments, &budget) { return true }
                if budget <= 0 { return false }
                end = found + 1
            }
            return false
        }
    }

    private static func shapedEnd(_ kind: ArgumentKind, _ text: UnsafeBufferPointer<UInt8>, from position: Int) -> Int? {
        var index = position
        switch kind {
        case .integer:
            if index < text.count, text[index] == UInt8(ascii: "-") { index += 1 }
            let digits = index
            while index < text.count, text[index] &- UInt8(ascii: "0") < 10 { index += 1 }
            return index > digits ? index : nil
        case .hex:
            while index < text.count, text[index] &- UInt8(ascii: "0") < 10 || (text[index] | 0x20) &- UInt8(ascii: "a") < 6 {
                index += 1
            }
            return index > position ? index : nil
        case .decimal:
            if index < text.count, text[index] == UInt8(ascii: "-") { index += 1 }
            let digits = index
            while index < text.count, text[index] &- UInt8(ascii: "0") < 10 || text[index] == UInt8(ascii: ".") { index += 1 }
            return index > digits ? index : nil
        case .character:
            guard index < text.count else { return nil }
            index += 1
            while index < text.count, text[index] & 0xC0 == 0x80 { index += 1 }
            return index
        case .text:
            return nil
        }
    }

    static func has(_ bytes: [UInt8], in text: UnsafeBufferPointer<UInt8>, at position: Int) -> Bool {
        guard text.count - position >= bytes.count else { return false }
        for offset in 0..<bytes.count where text[position + offset] != bytes[offset] { return false }
        return true
    }

    static func find(_ bytes: [UInt8], in text: UnsafeBufferPointer<UInt8>, from start: Int) -> Int? {
        guard let first = bytes.first, text.count >= bytes.count else { return nil }
        var index = start
        let last = text.count - bytes.count
        while index <= last {
            if text[index] == first, has(bytes, in: text, at: index) { return index }
            index += 1
        }
        return nil
    }
}
