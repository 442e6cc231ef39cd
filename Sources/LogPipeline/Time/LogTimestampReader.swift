import AgentSchema

/// Turns the times PostgreSQL writes into its logs into the one form every event carries: RFC 3339 in UTC
/// with milliseconds (`2026-11-27T13:37:00.123Z`), whatever the format (`%m`, `%t`, `%s` and `%n` of a
/// stderr prefix, csvlog's `log_time`, jsonlog's `timestamp`).
///
/// A local time comes with what `log_timezone` prints after it: an abbreviation (`UTC`, `CET`, `IST`) or a
/// numeric offset (`+0545`, `-03`). The reader resolves it in this order:
/// 1. `UTC`, `GMT`, `UCT`, `Z`, no zone at all, and numeric offsets: exact.
/// 2. With the server's zone (``timeZone``, from `log_timezone`): the zone's period at that local time
///    whose abbreviation is the one printed. Exact, also for ambiguous abbreviations (`IST`, `CST`) and in
///    the hour repeated when summer time ends.
/// 3. Without it, or when the zone does not know the abbreviation (the setting changed): a table of
///    abbreviations that mean one offset wherever the tz database uses them (`CET`, `EST`, `JST`, …).
/// 4. Otherwise the time is not guessed: the event has no `timestamp`, and ``unresolvedCount`` counts it.
///
/// Resolving through the zone costs a binary search once per stretch of one offset; lines in between reuse
/// the last answer.
package struct LogTimestampReader: Sendable {
    /// The server's `log_timezone`, when known.
    package let timeZone: TimeZoneRules?
    /// Times whose zone could not be resolved (their events carry no `timestamp`).
    package private(set) var unresolvedCount = 0
    /// The last resolution through ``timeZone``: the abbreviation, the local range it holds for, the offset.
    private var cachedAbbreviation: [UInt8] = []
    private var cachedRange: Range<Int64> = 0..<0
    private var cachedOffset: Int64 = 0

    /// A reader for a server whose `log_timezone` is `timeZone` (nil: unknown).
    package init(timeZone: TimeZoneRules? = nil) {
        self.timeZone = timeZone
    }

    /// Whether `bytes` starts with `YYYY-MM-DD HH:MM:SS`.
    static func hasDateTimePrefix(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard bytes.count >= 19 else { return false }
        for index in 0..<19 {
            let byte = bytes[index]
            switch index {
            case 4, 7: if byte != 0x2D { return false }
            case 10: if byte != 0x20 { return false }
            case 13, 16: if byte != 0x3A { return false }
            default: if byte &- 0x30 >= 10 { return false }
            }
        }
        return true
    }

    /// `YYYY-MM-DD HH:MM:SS[.fff][ ZONE]` as RFC 3339 UTC; nil when malformed or when the zone cannot be
    /// resolved (then counted in ``unresolvedCount``).
    package mutating func rfc3339(local bytes: UnsafeBufferPointer<UInt8>) -> String? {
        guard Self.hasDateTimePrefix(bytes) else { return nil }
        var index = 19
        var millis: (UInt8, UInt8, UInt8) = (0x30, 0x30, 0x30)
        if index < bytes.count, bytes[index] == 0x2E {
            index += 1
            var position = 0
            while index < bytes.count, bytes[index] &- 0x30 < 10 {
                switch position {
                case 0: millis.0 = bytes[index]
                case 1: millis.1 = bytes[index]
                case 2: millis.2 = bytes[index]
                default: break
                }
                position += 1
                index += 1
            }
            guard position > 0 else { return nil }
        }
        let zone: UnsafeBufferPointer<UInt8>
        if index == bytes.count {
            zone = UnsafeBufferPointer(rebasing: bytes[index...])
        } else {
            guard bytes[index] == 0x20 else { return nil }
            zone = UnsafeBufferPointer(rebasing: bytes[(index + 1)...])
        }
        let millisecond = Int(millis.0 - 0x30) * 100 + Int(millis.1 - 0x30) * 10 + Int(millis.2 - 0x30)
        if Self.isUTC(zone) {
            // The common case needs no arithmetic: the digits go into place.
            return String(unsafeUninitializedCapacity: 24) { output in
                for position in 0..<19 { output[position] = bytes[position] }
                output[10] = 0x54
                output[19] = 0x2E
                output[20] = millis.0
                output[21] = millis.1
                output[22] = millis.2
                output[23] = 0x5A
                return 24
            }
        }
        func number(_ range: Range<Int>) -> Int {
            var value = 0
            for position in range { value = value * 10 + Int(bytes[position] &- 0x30) }
            return value
        }
        let days = CivilCalendar.daysFromCivil(year: number(0..<4), month: number(5..<7), day: number(8..<10))
        let local = Int64(days * 86_400 + number(11..<13) * 3_600 + number(14..<16) * 60 + number(17..<19))
        guard let offset = offset(of: zone, local: local) else {
            unresolvedCount += 1
            return nil
        }
        return Self.format(epochSeconds: local - offset, millisecond: millisecond)
    }

    /// `%n` (`1732718400.123`, seconds since the epoch) as RFC 3339 UTC.
    static func rfc3339(epoch bytes: UnsafeBufferPointer<UInt8>) -> String? {
        guard let dot = bytes.firstIndex(of: 0x2E), dot > 0, dot < bytes.count - 1, dot <= 12 else { return nil }
        var seconds: Int64 = 0
        for position in 0..<dot {
            guard bytes[position] &- 0x30 < 10 else { return nil }
            seconds = seconds * 10 + Int64(bytes[position] - 0x30)
        }
        var millisecond = 0
        var digits = 0
        for position in (dot + 1)..<bytes.count {
            guard bytes[position] &- 0x30 < 10 else { return nil }
            if digits < 3 { millisecond = millisecond * 10 + Int(bytes[position] - 0x30) }
            digits += 1
        }
        while digits < 3 {
            millisecond *= 10
            digits += 1
        }
        return format(epochSeconds: seconds, millisecond: millisecond)
    }

    /// Seconds east of UTC of what was printed after a local time.
    private mutating func offset(of zone: UnsafeBufferPointer<UInt8>, local: Int64) -> Int64? {
        if let numeric = Self.numericOffset(zone) { return numeric }
        if let timeZone {
            if cachedRange.contains(local), cachedAbbreviation.elementsEqual(zone) { return cachedOffset }
            if let found = timeZone.utc(local: local, abbreviation: zone) {
                cachedAbbreviation = Array(zone)
                cachedRange = found.localRange
                cachedOffset = local - found.utc
                return cachedOffset
            }
        }
        return Self.unambiguousOffsets[String(decoding: zone, as: UTF8.self)]
    }


    /// No zone, `UTC`, `GMT`, `UCT` or `Z`.
    private static func isUTC(_ zone: UnsafeBufferPointer<UInt8>) -> Bool {
        switch zone.count {
        case 0: return true
        case 1: return zone[0] == 0x5A
        case 3:
            let (a, b, c) = (zone[0], zone[1], zone[2])
            return (a == 0x55 && b == 0x54 && c == 0x43) || (a == 0x47 && b == 0x4D && c == 0x54)
                || (a == 0x55 && b == 0x43 && c == 0x54)
        default: return false
        }
    }

    /// `+01`, `-03`, `+0530`, `+05:30`, `+5` in seconds east of UTC; nil for anything else.
    static func numericOffset(_ zone: UnsafeBufferPointer<UInt8>) -> Int64? {
        guard let first = zone.first, first == 0x2B || first == 0x2D, zone.count >= 2, zone.count <= 9 else { return nil }
        var digits: [Int64] = []
        for index in 1..<zone.count {
            let byte = zone[index]
            if byte == 0x3A { continue }
            guard byte &- 0x30 < 10 else { return nil }
            digits.append(Int64(byte - 0x30))
        }
        let seconds: Int64
        switch digits.count {
        case 1: seconds = digits[0] * 3_600
        case 2: seconds = (digits[0] * 10 + digits[1]) * 3_600
        case 4: seconds = (digits[0] * 10 + digits[1]) * 3_600 + (digits[2] * 10 + digits[3]) * 60
        case 6: seconds = (digits[0] * 10 + digits[1]) * 3_600 + (digits[2] * 10 + digits[3]) * 60 + digits[4] * 10 + digits[5]
        default: return nil
        }
        return first == 0x2D ? -seconds : seconds
    }

    /// Abbreviations that mean one offset wherever the tz database uses them, in seconds east of UTC.
    /// Left out on purpose: `IST`, `CST`, `BST`, `AMT`, `GST` and others that mean several.
    private static let unambiguousOffsets: [String: Int64] = [
        "WET": 0, "WEST": 3_600, "CET": 3_600, "CEST": 7_200, "MET": 3_600, "MEST": 7_200, "EET": 7_200,
        "EEST": 10_800, "MSK": 10_800, "SAST": 7_200, "WAT": 3_600, "CAT": 7_200, "EAT": 10_800,
        "EST": -18_000, "EDT": -14_400, "CDT": -18_000, "MST": -25_200, "MDT": -21_600,
        "PST": -28_800, "PDT": -25_200, "AKST": -32_400, "AKDT": -28_800, "HST": -36_000,
        "NST": -12_600, "NDT": -9_000, "AST": -14_400, "ADT": -10_800,
        "JST": 32_400, "KST": 32_400, "HKT": 28_800, "PKT": 18_000, "WIB": 25_200, "WITA": 28_800, "WIT": 32_400,
        "AEST": 36_000, "AEDT": 39_600, "ACST": 34_200, "ACDT": 37_800, "AWST": 28_800,
        "NZST": 43_200, "NZDT": 46_800, "ChST": 36_000, "SST": -39_600,
    ]

    /// `YYYY-MM-DDTHH:MM:SS.mmmZ` of a UTC time.
    static func format(epochSeconds: Int64, millisecond: Int) -> String? {
        let seconds = Int(epochSeconds)
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let secondOfDay = seconds - days * 86_400
        let (year, month, day) = CivilCalendar.civilFromDays(days)
        guard (0...9_999).contains(year) else { return nil }
        let values = [
            (year, 4, 0), (month, 2, 5), (day, 2, 8), (secondOfDay / 3_600, 2, 11),
            (secondOfDay / 60 % 60, 2, 14), (secondOfDay % 60, 2, 17), (millisecond % 1_000, 3, 20),
        ]
        return String(unsafeUninitializedCapacity: 24) { output in
            for (index, byte) in "0000-00-00T00:00:00.000Z".utf8.enumerated() { output[index] = byte }
            for (value, width, offset) in values {
                var rest = value
                for index in stride(from: offset + width - 1, through: offset, by: -1) {
                    output[index] = UInt8(ascii: "0") + UInt8(rest % 10)
                    rest /= 10
                }
            }
            return 24
        }
    }
}
