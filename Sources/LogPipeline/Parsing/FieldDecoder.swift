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
        Self.text(bytes, invalid: &sawInvalidUTF8)
    }

    /// The text of `bytes`; invalid UTF-8 becomes U+FFFD and sets `invalid`. ASCII (most log text)
    /// is recognised eight bytes at a time and needs no further validation.
    static func text(_ bytes: UnsafeBufferPointer<UInt8>, invalid: inout Bool) -> String {
        if isASCII(bytes) { return String(decoding: bytes, as: UTF8.self) }
        if let text = String(validating: bytes, as: UTF8.self) { return text }
        invalid = true
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func isASCII(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let base = bytes.baseAddress else { return true }
        let raw = UnsafeRawPointer(base)
        var index = 0
        var high: UInt64 = 0
        while index + 8 <= bytes.count {
            high |= raw.loadUnaligned(fromByteOffset: index, as: UInt64.self)
            index += 8
        }
        while index < bytes.count {
            high |= UInt64(bytes[index])
            index += 1
        }
        return high & 0x8080_8080_8080_8080 == 0
    }

    /// A decimal integer (optionally negative, optionally quoted), or nil.
    static func integer(_ field: UnsafeBufferPointer<UInt8>) -> Int64? {
        var digits = field
        if digits.count >= 2, digits[0] == 0x22, digits[digits.count - 1] == 0x22 {
            digits = UnsafeBufferPointer(rebasing: digits[1..<(digits.count - 1)])
        }
        guard !digits.isEmpty else { return nil }
        var negative = false
        if digits[0] == 0x2D {
            negative = true
            digits = UnsafeBufferPointer(rebasing: digits[1...])
        }
        guard !digits.isEmpty, digits.count <= 19 else { return nil }
        var value: Int64 = 0
        for byte in digits {
            let digit = byte &- 0x30
            guard digit < 10 else { return nil }
            let (times, overflowA) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflowB) = times.addingReportingOverflow(Int64(digit))
            guard !overflowA, !overflowB else { return nil }
            value = sum
        }
        return negative ? -value : value
    }
}
