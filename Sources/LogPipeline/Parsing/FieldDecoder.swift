import AgentSchema

/// Turns csvlog fields into strings: unquotes, undoubles `""`, checks UTF-8, and reuses the last
/// string of the low-variety columns (user, database, session, severity…) instead of allocating.
struct FieldDecoder: Sendable {
    enum Cache: Int, CaseIterable {
        case user, database, remoteHost, sessionID, severity, sqlstate, applicationName, backendType
    }

    var sawInvalidUTF8 = false
    private var scratch: [UInt8] = []
    private var cachedBytes = [[UInt8]](repeating: [], count: Cache.allCases.count)
    private var cachedStrings = [String](repeating: "", count: Cache.allCases.count)

    /// The field's text, or nil when it is empty.
    mutating func string(_ field: UnsafeBufferPointer<UInt8>, cache: Cache? = nil) -> String? {
        var body = field
        if let first = body.first, first == 0x22, body.count >= 2, body[body.count - 1] == 0x22 {
            body = UnsafeBufferPointer(rebasing: body[1..<(body.count - 1)])
            if var quote = body.firstIndex(of: 0x22, from: 0) {
                // Each `""` becomes `"`: the runs between them are copied whole.
                scratch.removeAll(keepingCapacity: true)
                var start = 0
                while true {
                    scratch.append(contentsOf: UnsafeBufferPointer(rebasing: body[start...quote]))
                    start = quote + 2
                    guard let next = body.firstIndex(of: 0x22, from: start) else { break }
                    quote = next
                }
                if start < body.count { scratch.append(contentsOf: UnsafeBufferPointer(rebasing: body[start...])) }
                return scratch.withUnsafeBufferPointer { decode($0) }
            }
        }
        guard !body.isEmpty else { return nil }
        guard let cache else { return decode(body) }
        let slot = cache.rawValue
        let same = cachedBytes[slot].withUnsafeBufferPointer { cached in
            guard cached.count == body.count else { return false }
            for index in 0..<cached.count where cached[index] != body[index] { return false }
            return true
        }
        if same { return cachedStrings[slot] }
        let text = decode(body)
        cachedBytes[slot] = Array(body)
        cachedStrings[slot] = text
        return text
    }

    private mutating func decode(_ bytes: UnsafeBufferPointer<UInt8>) -> String {
        UTF8Field.text(bytes, invalid: &sawInvalidUTF8)
    }
}
