/// A small JSON reader over bytes: the flat objects of jsonlog on the log pipeline's hot path, and whole
/// documents (auto_explain's JSON plans, the database collector's statistics) as ``JSONValue``. Strict about the grammar: escapes must be
/// valid, control characters must be escaped, numbers must be well formed.
package struct JSONBytesReader {
    package let bytes: UnsafeBufferPointer<UInt8>
    package var position = 0
    /// Set when a decoded string had bytes that are not UTF-8 (replaced by U+FFFD).
    package var sawInvalidUTF8 = false

    package init(_ bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
    }

    /// The document in `text` as a ``JSONValue``, or nil when it is not JSON.
    package static func value(of text: String) -> JSONValue? {
        var text = text
        return text.withUTF8 { bytes in
            var reader = JSONBytesReader(bytes)
            var scratch: [UInt8] = []
            reader.skipWhitespace()
            guard let value = reader.parseValue(depth: 0, scratch: &scratch) else { return nil }
            reader.skipWhitespace()
            return reader.isAtEnd ? value : nil
        }
    }

    package static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09
    }

    package var isAtEnd: Bool { position == bytes.count }

    package mutating func skipWhitespace() {
        while position < bytes.count, Self.isWhitespace(bytes[position]) { position += 1 }
    }

    /// Consumes `byte` if it is next.
    package mutating func consume(_ byte: UInt8) -> Bool {
        guard position < bytes.count, bytes[position] == byte else { return false }
        position += 1
        return true
    }

    package mutating func consumeLiteral(_ literal: StaticString) -> Bool {
        let length = literal.utf8CodeUnitCount
        guard bytes.count - position >= length else { return false }
        for index in 0..<length where bytes[position + index] != literal.utf8Start[index] { return false }
        position += length
        return true
    }

    /// What follows an object member's value.
    package enum MemberEnd { case more, end, invalid }

    /// After a member's value: whitespace, then `,` (another member follows) or `}` (the object ends).
    package mutating func endOfMember() -> MemberEnd {
        skipWhitespace()
        if consume(0x2C) { return .more }
        return consume(0x7D) ? .end : .invalid
    }

    /// Reads a string; returns the range between the quotes and whether it holds escapes.
    package mutating func stringToken() -> (Range<Int>, Bool)? {
        guard consume(0x22) else { return nil }
        let start = position
        var escaped = false
        while position < bytes.count {
            let byte = bytes[position]
            if byte == 0x22 {
                defer { position += 1 }
                return (start..<position, escaped)
            }
            if byte == 0x5C {
                escaped = true
                guard position + 1 < bytes.count else { return nil }
                switch bytes[position + 1] {
                case 0x22, 0x5C, 0x2F, 0x62, 0x66, 0x6E, 0x72, 0x74:
                    position += 2
                case 0x75:
                    guard position + 5 < bytes.count,
                          (2...5).allSatisfy({ Self.hexValue(bytes[position + $0]) != nil }) else { return nil }
                    position += 6
                default:
                    return nil
                }
                continue
            }
            if byte < 0x20 { return nil }
            position += 1
        }
        return nil
    }

    /// The text of a string token's body.
    package mutating func decode(_ range: Range<Int>, escaped: Bool, scratch: inout [UInt8]) -> String {
        guard escaped else { return text(UnsafeBufferPointer(rebasing: bytes[range])) }
        scratch.removeAll(keepingCapacity: true)
        var index = range.lowerBound
        while index < range.upperBound {
            let byte = bytes[index]
            guard byte == 0x5C else {
                scratch.append(byte)
                index += 1
                continue
            }
            let kind = bytes[index + 1]
            index += 2
            switch kind {
            case 0x62: scratch.append(0x08)
            case 0x66: scratch.append(0x0C)
            case 0x6E: scratch.append(0x0A)
            case 0x72: scratch.append(0x0D)
            case 0x74: scratch.append(0x09)
            case 0x75:
                var scalar = hex4(at: index)
                index += 4
                if (0xD800...0xDBFF).contains(scalar), index + 6 <= range.upperBound,
                   bytes[index] == 0x5C, bytes[index + 1] == 0x75 {
                    let low = hex4(at: index + 2)
                    if (0xDC00...0xDFFF).contains(low) {
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                        index += 6
                    }
                }
                appendUTF8(Unicode.Scalar(scalar) ?? "\u{FFFD}", to: &scratch)
            default: scratch.append(kind)  // " \ /
            }
        }
        return scratch.withUnsafeBufferPointer { text($0) }
    }

    /// For a key whose value must be an integer: the integer, `.some(nil)` for `null`, nil otherwise.
    package mutating func integerValue() -> Int64?? {
        if consumeLiteral("null") { return .some(nil) }
        guard let range = numberToken() else { return nil }
        return .some(UTF8Field.integer(UnsafeBufferPointer(rebasing: bytes[range])))
    }

    /// Reads a number; returns its range.
    package mutating func numberToken() -> Range<Int>? {
        let start = position
        _ = consume(0x2D)
        guard position < bytes.count else { return nil }
        if bytes[position] == 0x30 {
            position += 1
        } else {
            guard digits() > 0 else { return nil }
        }
        if consume(0x2E) { guard digits() > 0 else { return nil } }
        if position < bytes.count, bytes[position] | 0x20 == 0x65 {
            position += 1
            if !consume(0x2B) { _ = consume(0x2D) }
            guard digits() > 0 else { return nil }
        }
        return start..<position
    }

    /// Skips one value of any kind.
    package mutating func skipValue(depth: Int) -> Bool {
        guard depth < 512, position < bytes.count else { return false }
        switch bytes[position] {
        case 0x22: return stringToken() != nil
        case 0x7B, 0x5B:
            let closing: UInt8 = bytes[position] == 0x7B ? 0x7D : 0x5D
            position += 1
            skipWhitespace()
            if consume(closing) { return true }
            while true {
                skipWhitespace()
                if closing == 0x7D {
                    guard stringToken() != nil else { return false }
                    skipWhitespace()
                    guard consume(0x3A) else { return false }
                    skipWhitespace()
                }
                guard skipValue(depth: depth + 1) else { return false }
                skipWhitespace()
                if consume(closing) { return true }
                guard consume(0x2C) else { return false }
            }
        case 0x74: return consumeLiteral("true")
        case 0x66: return consumeLiteral("false")
        case 0x6E: return consumeLiteral("null")
        default: return numberToken() != nil
        }
    }

    /// Reads one value of any kind.
    package mutating func parseValue(depth: Int, scratch: inout [UInt8]) -> JSONValue? {
        guard depth < 512, position < bytes.count else { return nil }
        switch bytes[position] {
        case 0x22:
            guard let (range, escaped) = stringToken() else { return nil }
            return .string(decode(range, escaped: escaped, scratch: &scratch))
        case 0x7B:
            position += 1
            var object = JSONObject()
            skipWhitespace()
            if consume(0x7D) { return .object(object) }
            while true {
                skipWhitespace()
                guard let (range, escaped) = stringToken() else { return nil }
                let key = decode(range, escaped: escaped, scratch: &scratch)
                skipWhitespace()
                guard consume(0x3A) else { return nil }
                skipWhitespace()
                guard let value = parseValue(depth: depth + 1, scratch: &scratch) else { return nil }
                object[key] = value
                skipWhitespace()
                if consume(0x7D) { return .object(object) }
                guard consume(0x2C) else { return nil }
            }
        case 0x5B:
            position += 1
            var array: [JSONValue] = []
            skipWhitespace()
            if consume(0x5D) { return .array(array) }
            while true {
                skipWhitespace()
                guard let value = parseValue(depth: depth + 1, scratch: &scratch) else { return nil }
                array.append(value)
                skipWhitespace()
                if consume(0x5D) { return .array(array) }
                guard consume(0x2C) else { return nil }
            }
        case 0x74: return consumeLiteral("true") ? .bool(true) : nil
        case 0x66: return consumeLiteral("false") ? .bool(false) : nil
        case 0x6E: return consumeLiteral("null") ? .null : nil
        default:
            guard let range = numberToken() else { return nil }
            let token = UnsafeBufferPointer(rebasing: bytes[range])
            if let integer = UTF8Field.integer(token) { return .integer(integer) }
            return Double(String(decoding: token, as: UTF8.self)).map { .number($0) }
        }
    }

    private mutating func digits() -> Int {
        let start = position
        while position < bytes.count, bytes[position] &- 0x30 < 10 { position += 1 }
        return position - start
    }

    private mutating func text(_ body: UnsafeBufferPointer<UInt8>) -> String {
        UTF8Field.text(body, invalid: &sawInvalidUTF8)
    }

    private func hex4(at index: Int) -> UInt32 {
        (0..<4).reduce(UInt32(0)) { $0 << 4 | UInt32(Self.hexValue(bytes[index + $1]) ?? 0) }
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case 0x30...0x39: byte - 0x30
        case 0x41...0x46: byte - 0x37
        case 0x61...0x66: byte - 0x57
        default: nil
        }
    }

    private func appendUTF8(_ scalar: Unicode.Scalar, to output: inout [UInt8]) {
        UTF8.encode(scalar) { output.append($0) }
    }
}
