/// Helpers for the query texts the agent ships.
package enum QueryText {
    /// Cuts `s` to at most `maxBytes` bytes of UTF-8 without splitting a character's encoding.
    ///
    /// The cut falls on a Unicode scalar boundary (a combining mark may be parted from its base,
    /// as PostgreSQL's own `track_activity_query_size` cut does). Nothing is appended: callers
    /// record the truncation in a field of its own, so the text stays a prefix of the original.
    ///
    /// - Returns: the text, and whether anything was cut off.
    package static func truncate(_ s: String, maxBytes: Int) -> (text: String, truncated: Bool) {
        let utf8 = s.utf8
        guard utf8.count > maxBytes else { return (s, false) }
        guard maxBytes > 0 else { return ("", true) }
        var end = utf8.index(utf8.startIndex, offsetBy: maxBytes)
        // Back off continuation bytes (10xxxxxx) to the first byte of the character being cut.
        while end > utf8.startIndex, utf8[end] & 0xC0 == 0x80 {
            utf8.formIndex(before: &end)
        }
        return (String(decoding: utf8[..<end], as: UTF8.self), true)
    }
}
