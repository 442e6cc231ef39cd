/// A time zone's rules from the tz database: its UTC offsets and abbreviations over time, read from a TZif
/// file (RFC 8536) such as `/usr/share/zoneinfo/Europe/Berlin`.
///
/// PostgreSQL prints a log time in `log_timezone` followed by that zone's abbreviation (`CET`, `IST`,
/// `EDT`) or, where the zone has none, a numeric offset. Abbreviations alone are ambiguous (`IST` is India,
/// Ireland and Israel; `CST` is China and the American Central zone), and one zone changes its offset with
/// daylight saving time. With the zone's rules, a local time and the abbreviation printed with it give
/// exactly one UTC time, also in the repeated hour after a change back from summer time.
///
/// Why by hand: Foundation's `TimeZone` on Linux takes its names and abbreviations from ICU, which calls
/// India's zone `GMT+5:30` rather than the tz database's `IST` that PostgreSQL prints, so it cannot tell
/// which of two readings of a repeated hour a line means. TZif is a small, stable format; reading its
/// version 2+ body (64-bit times) is a few dozen lines. Times after the file's last transition keep the
/// last offset: Debian's files list transitions up to 2037, and the rule in the file's footer (which
/// continues them) is not read.
package struct TimeZoneRules: Sendable, Equatable {
    /// Why a zone could not be read.
    package struct LoadError: Error, Sendable, Equatable, CustomStringConvertible {
        /// The kind of problem.
        package enum Code: String, Sendable {
            /// The name is not a zone name (empty, absolute, or with `..`).
            case invalidName
            /// No file of that name in the tz database.
            case notFound
            /// The file is not a TZif file, or is damaged.
            case malformed
        }

        /// What went wrong.
        package var code: Code
        /// The zone name asked for (a zone name holds no secret).
        package var name: String

        /// A message naming the zone and the problem.
        package var description: String {
            switch code {
            case .invalidName: "time zone \"\(name)\": not a time zone name"
            case .notFound: "time zone \"\(name)\": not in the tz database"
            case .malformed: "time zone \"\(name)\": the tz database file is damaged"
            }
        }
    }

    /// One stretch of time with one offset.
    struct Period: Sendable, Equatable {
        /// The UTC second it starts at (`Int64.min` for the first).
        var start: Int64
        /// Seconds east of UTC.
        var offset: Int64
        /// The abbreviation printed for it (`CET`, `+0545`).
        var abbreviation: [UInt8]
    }

    /// The zone's name (`Europe/Berlin`).
    package let name: String
    /// The periods, oldest first; never empty.
    let periods: [Period]

    /// Reads a TZif file's bytes.
    ///
    /// - Throws: ``LoadError`` with ``LoadError/Code/malformed`` when the bytes are not TZif.
    package init(name: String, tzif bytes: [UInt8]) throws(LoadError) {
        guard let periods = Self.periods(bytes) else { throw LoadError(code: .malformed, name: name) }
        self.name = name
        self.periods = periods
    }

    /// The UTC time of a local time printed with `abbreviation`, in seconds since the epoch.
    ///
    /// - Parameters:
    ///   - local: the local time as if it were UTC, in seconds since the epoch.
    ///   - abbreviation: what the server printed after the time.
    /// - Returns: the UTC time, and the local range in which the same abbreviation gives the same offset
    ///   (for a caller that caches); nil when the zone has no period with that abbreviation at that time.
    func utc(local: Int64, abbreviation: UnsafeBufferPointer<UInt8>) -> (utc: Int64, localRange: Range<Int64>)? {
        // Every period whose local range holds `local` is a reading; offsets differ by at most a day, so
        // the candidates are the periods around the one that holds `local` read as UTC.
        let middle = periodIndex(containing: local)
        for index in max(0, middle - 2)...min(periods.count - 1, middle + 2) {
            let period = periods[index]
            let utc = local - period.offset
            let end = index + 1 < periods.count ? periods[index + 1].start : Int64.max
            guard utc >= period.start, utc < end, period.abbreviation.elementsEqual(abbreviation) else { continue }
            let localStart = period.start == Int64.min ? Int64.min : period.start + period.offset
            let localEnd = end == Int64.max ? Int64.max : end + period.offset
            return (utc, localStart..<localEnd)
        }
        return nil
    }

    /// The UTC time of a local time printed without a zone (syslog's RFC 3164 stamps): the earlier
    /// reading in the hour repeated when summer time ends, and the time read with the offset before the
    /// gap when it falls in the hour skipped when it begins.
    func utc(local: Int64) -> Int64 {
        let middle = periodIndex(containing: local)
        for index in max(0, middle - 2)...min(periods.count - 1, middle + 2) {
            let period = periods[index]
            let utc = local - period.offset
            let end = index + 1 < periods.count ? periods[index + 1].start : Int64.max
            if utc >= period.start, utc < end { return utc }
        }
        return local - periods[max(0, periodIndex(containing: local) - 1)].offset
    }

    private func periodIndex(containing utc: Int64) -> Int {
        var low = 0
        var high = periods.count - 1
        while low < high {
            let mid = (low + high + 1) / 2
            if periods[mid].start <= utc { low = mid } else { high = mid - 1 }
        }
        return low
    }


    // MARK: - TZif

    /// The periods of a TZif file: the version 2+ body when there is one (64-bit times), else the
    /// version 1 body.
    private static func periods(_ bytes: [UInt8]) -> [Period]? {
        guard let first = Header(bytes, at: 0) else { return nil }
        if first.version >= 2 {
            let second = 44 + first.bodyLength(timeSize: 4)
            if let header = Header(bytes, at: second) {
                return body(bytes, header: header, at: second + 44, timeSize: 8)
            }
            return nil
        }
        return body(bytes, header: first, at: 44, timeSize: 4)
    }

    private struct Header {
        var version: Int
        var isUTCount = 0, isStdCount = 0, leapCount = 0, timeCount = 0, typeCount = 0, charCount = 0

        init?(_ bytes: [UInt8], at offset: Int) {
            guard bytes.count >= offset + 44, bytes[offset] == 0x54, bytes[offset + 1] == 0x5A,
                  bytes[offset + 2] == 0x69, bytes[offset + 3] == 0x66 else { return nil }
            version = bytes[offset + 4] == 0 ? 1 : Int(bytes[offset + 4]) - 0x30
            func count(_ index: Int) -> Int { Int(TimeZoneRules.integer(bytes, at: offset + 20 + index * 4, size: 4)) }
            (isUTCount, isStdCount, leapCount, timeCount, typeCount, charCount) =
                (count(0), count(1), count(2), count(3), count(4), count(5))
            guard [isUTCount, isStdCount, leapCount, timeCount, typeCount, charCount].allSatisfy({ $0 >= 0 && $0 < 1 << 20 }),
                  typeCount > 0 else { return nil }
        }

        func bodyLength(timeSize: Int) -> Int {
            timeCount * timeSize + timeCount + typeCount * 6 + charCount + leapCount * (timeSize + 4) + isStdCount + isUTCount
        }
    }

    private static func body(_ bytes: [UInt8], header: Header, at offset: Int, timeSize: Int) -> [Period]? {
        guard bytes.count >= offset + header.bodyLength(timeSize: timeSize) else { return nil }
        let typeIndexStart = offset + header.timeCount * timeSize
        let typesStart = typeIndexStart + header.timeCount
        let charsStart = typesStart + header.typeCount * 6
        var types: [(offset: Int64, abbreviation: [UInt8])] = []
        for index in 0..<header.typeCount {
            let base = typesStart + index * 6
            let utcOffset = integer(bytes, at: base, size: 4)
            let charIndex = Int(bytes[base + 5])
            guard charIndex < header.charCount else { return nil }
            var end = charsStart + charIndex
            while end < charsStart + header.charCount, bytes[end] != 0 { end += 1 }
            types.append((utcOffset, Array(bytes[(charsStart + charIndex)..<end])))
        }
        // Before the first transition, the first type applies (RFC 8536, 3.2).
        var periods = [Period(start: Int64.min, offset: types[0].offset, abbreviation: types[0].abbreviation)]
        for index in 0..<header.timeCount {
            let start = integer(bytes, at: offset + index * timeSize, size: timeSize)
            let type = Int(bytes[typeIndexStart + index])
            guard type < types.count, start > periods[periods.count - 1].start else { return nil }
            periods.append(Period(start: start, offset: types[type].offset, abbreviation: types[type].abbreviation))
        }
        return periods
    }

    /// A big-endian signed integer of 4 or 8 bytes.
    private static func integer(_ bytes: [UInt8], at offset: Int, size: Int) -> Int64 {
        var value: UInt64 = 0
        for index in 0..<size { value = value << 8 | UInt64(bytes[offset + index]) }
        if size == 4 { return Int64(Int32(bitPattern: UInt32(truncatingIfNeeded: value))) }
        return Int64(bitPattern: value)
    }
}
