/// A copy of an oversized line cut inside its string values, so that it is still a JSON object.
struct JSONLineCapper: Sendable {
    let cap: Int
    let offset: Int64
    var stored: [UInt8] = []
    var truncated = false
    /// The cap fell outside any string (never so in PostgreSQL's output): the line is lost.
    var broken = false
    private var inString = false
    private var escape = false
    private var escapeStart = -1
    private var previousEscapeStart = -1
    private var stringStart = 0
    private var dropping = false

    init(cap: Int, offset: Int64) {
        self.cap = cap
        self.offset = offset
    }

    private var limit: Int { truncated ? cap : cap - min(64 * 1024, cap / 4) }

    /// Takes the next byte; true when it was the line's newline.
    mutating func feed(_ byte: UInt8) -> Bool {
        if byte == 0x0A { return true }
        if broken { return false }
        if dropping {
            drop(byte)
            return false
        }
        if stored.count >= limit {
            if inString {
                cut()
                drop(byte)
                return false
            }
            // Keys, numbers and punctuation are short: let them through up to a little past the cap.
            if stored.count >= cap + 1024 {
                broken = true
                return false
            }
        }
        stored.append(byte)
        if inString {
            if escape {
                escape = false
            } else if byte == 0x5C {
                escape = true
                previousEscapeStart = escapeStart
                escapeStart = stored.count - 1
            } else if byte == 0x22 {
                inString = false
            }
        } else if byte == 0x22 {
            inString = true
            stringStart = stored.count
        }
        return false
    }

    /// Skips the rest of a cut string value and closes it at its closing quote.
    private mutating func drop(_ byte: UInt8) {
        if escape {
            escape = false
        } else if byte == 0x5C {
            escape = true
        } else if byte == 0x22 {
            stored.append(0x22)
            dropping = false
            inString = false
        }
    }

    /// Cuts the current string value before any escape, surrogate pair or character it would split.
    private mutating func cut() {
        dropping = true
        truncated = true
        var lastEscape = escapeStart
        if escape {
            stored.removeLast()  // the backslash; `escape` stays set so the escaped byte is skipped
            lastEscape = previousEscapeStart
        } else if escapeStart >= stringStart, stored.count - escapeStart < 6,
                  stored.count > escapeStart + 1, stored[escapeStart + 1] == 0x75 {
            stored.removeSubrange(escapeStart...)  // a \u escape without all its hex digits
            lastEscape = previousEscapeStart
        }
        // A high surrogate whose low half is gone would decode as U+FFFD.
        if lastEscape >= stringStart, stored.count - lastEscape == 6, stored[lastEscape + 1] == 0x75,
           stored[lastEscape + 2] | 0x20 == 0x64, [0x38, 0x39, 0x61, 0x62].contains(stored[lastEscape + 3] | 0x20) {
            stored.removeSubrange(lastEscape...)
        }
        var lead = stored.count - 1
        while lead >= stringStart, lead > stored.count - 4, stored[lead] & 0xC0 == 0x80 { lead -= 1 }
        if lead >= stringStart, stored[lead] >= 0xC0 {
            let length = stored[lead] >= 0xF0 ? 4 : stored[lead] >= 0xE0 ? 3 : 2
            if stored.count - lead < length { stored.removeSubrange(lead...) }
        }
    }
}
