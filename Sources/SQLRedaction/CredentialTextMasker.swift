/// The last line of defence for text that is not a statement: masks the value after a `password`
/// keyword written as in a connection string (`password=secret`, `password = 'it''s'`,
/// `PASSWORD: secret`) and the password of a URI's user information (`postgresql://app:secret@db/x`),
/// wherever a message, detail, hint or context carries one (a dblink or postgres_fdw error, an
/// extension's log line, a setting such as `primary_conninfo`). Statements go through ``SQLRedactor``
/// instead.
package enum CredentialTextMasker {
    /// What a masked value becomes.
    package static let mask = "***"

    /// `text` with every such value masked, or nil when it holds none.
    package static func masked(_ text: String) -> String? {
        var bytes = Array(text.utf8)
        var changed = false
        var index = 0
        while index < bytes.count {
            if let end = keywordEnd(bytes, at: index), let value = valueRange(bytes, after: end) {
                bytes.replaceSubrange(value, with: Array(mask.utf8))
                index = value.lowerBound + mask.utf8.count
                changed = true
            } else if let value = uriPasswordRange(bytes, at: index) {
                bytes.replaceSubrange(value, with: Array(mask.utf8))
                index = value.lowerBound + mask.utf8.count
                changed = true
            } else {
                index += 1
            }
        }
        return changed ? String(decoding: bytes, as: UTF8.self) : nil
    }

    /// After `password` (any case, not inside a longer word), the index past `=` or `:` and the spaces
    /// around it.
    private static func keywordEnd(_ bytes: [UInt8], at index: Int) -> Int? {
        let word = Array("password".utf8)
        guard index + word.count < bytes.count,
              index == 0 || !isWordByte(bytes[index - 1]),
              zip(bytes[index...], word).allSatisfy({ $0 | 0x20 == $1 }) else { return nil }
        var cursor = index + word.count
        while cursor < bytes.count, bytes[cursor] == UInt8(ascii: " ") { cursor += 1 }
        guard cursor < bytes.count, bytes[cursor] == UInt8(ascii: "=") || bytes[cursor] == UInt8(ascii: ":") else { return nil }
        cursor += 1
        while cursor < bytes.count, bytes[cursor] == UInt8(ascii: " ") { cursor += 1 }
        return cursor
    }

    /// The value starting at `start`: a quoted one to its closing quote (doubled or backslash-escaped
    /// quotes inside), else a bare one to the next space, quote, comma, semicolon or parenthesis.
    private static func valueRange(_ bytes: [UInt8], after start: Int) -> Range<Int>? {
        guard start < bytes.count else { return nil }
        let quote = bytes[start]
        if quote == UInt8(ascii: "'") || quote == UInt8(ascii: "\"") {
            var cursor = start + 1
            while cursor < bytes.count {
                if bytes[cursor] == UInt8(ascii: "\\") { cursor += 2; continue }
                if bytes[cursor] == quote {
                    if cursor + 1 < bytes.count, bytes[cursor + 1] == quote { cursor += 2; continue }
                    return (start + 1)..<cursor
                }
                cursor += 1
            }
            // Unclosed: everything after the quote.
            return (start + 1)..<bytes.count
        }
        let stops: Set<UInt8> = [UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\n"), UInt8(ascii: "'"), UInt8(ascii: "\""),
                                 UInt8(ascii: ","), UInt8(ascii: ";"), UInt8(ascii: ")")]
        var cursor = start
        while cursor < bytes.count, !stops.contains(bytes[cursor]) { cursor += 1 }
        return cursor > start ? start..<cursor : nil
    }

    /// At `scheme://`, the password of `user:password@host`, if the URI has one.
    private static func uriPasswordRange(_ bytes: [UInt8], at index: Int) -> Range<Int>? {
        guard index + 3 <= bytes.count, bytes[index] == UInt8(ascii: ":"), bytes[index + 1] == UInt8(ascii: "/"),
              bytes[index + 2] == UInt8(ascii: "/") else { return nil }
        var cursor = index + 3
        var colon: Int?
        while cursor < bytes.count {
            let byte = bytes[cursor]
            if byte == UInt8(ascii: "@") {
                guard let colon, cursor > colon + 1 else { return nil }
                return (colon + 1)..<cursor
            }
            if byte == UInt8(ascii: "/") || byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\n") { return nil }
            if byte == UInt8(ascii: ":"), colon == nil { colon = cursor }
            cursor += 1
        }
        return nil
    }

    private static func isWordByte(_ byte: UInt8) -> Bool {
        (byte | 0x20 >= UInt8(ascii: "a") && byte | 0x20 <= UInt8(ascii: "z")) || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
            || byte == UInt8(ascii: "_")
    }
}
