/// A copy of an oversized row that keeps every field but cuts the long ones, so that the total
/// stays within the cap. Fields are tracked byte by byte with the same quote rules as the scan.
struct CSVRowCapper: Sendable {
    let cap: Int
    let offset: Int64
    var stored: [UInt8] = []
    /// Bytes of the row read so far, kept or not.
    var length = 0
    var truncated = false
    var hasNUL = false
    private var inQuotes = false
    private var storedInQuotes = false
    private var dropping = false
    private var fieldStart = 0

    init(cap: Int, offset: Int64) {
        self.cap = cap
        self.offset = offset
    }

    /// The total a field may reach: less a reserve until the first cut, so the small fields
    /// after a huge message (application name, backend type, query id) still fit.
    private var limit: Int { truncated ? cap : cap - min(64 * 1024, cap / 4) }

    /// Takes the next byte; true when it ended the row.
    mutating func feed(_ byte: UInt8) -> Bool {
        length += 1
        if byte == 0x22 { inQuotes.toggle() }
        if !inQuotes, byte == 0x2C || byte == 0x0A {
            if dropping {
                if storedInQuotes { stored.append(0x22) }  // close the cut quoted field
                dropping = false
            }
            if byte == 0x0A { return true }
            stored.append(0x2C)
            fieldStart = stored.count
            storedInQuotes = false
            return false
        }
        if byte == 0 { hasNUL = true }
        if dropping { return false }
        if stored.count >= limit {
            dropping = true
            truncated = true
            trimPartialCharacter()
            return false
        }
        stored.append(byte)
        storedInQuotes = inQuotes
        return false
    }

    /// Drops the first bytes of a character the cut went through.
    private mutating func trimPartialCharacter() {
        var lead = stored.count - 1
        while lead >= fieldStart, lead > stored.count - 4, stored[lead] & 0xC0 == 0x80 { lead -= 1 }
        guard lead >= fieldStart, stored[lead] >= 0xC0 else { return }
        let length = stored[lead] >= 0xF0 ? 4 : stored[lead] >= 0xE0 ? 3 : 2
        if stored.count - lead < length { stored.removeSubrange(lead...) }
    }
}
