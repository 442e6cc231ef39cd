/// Text and integers from raw bytes, for the byte-level parsers (log formats, JSON documents): UTF-8
/// checked once, ASCII recognised eight bytes at a time.
package enum UTF8Field {
    /// The text of `bytes`; invalid UTF-8 becomes U+FFFD and sets `invalid`. ASCII (most log text)
    /// is recognised eight bytes at a time and needs no further validation.
    package static func text(_ bytes: UnsafeBufferPointer<UInt8>, invalid: inout Bool) -> String {
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
    package static func integer(_ field: UnsafeBufferPointer<UInt8>) -> Int64? {
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
