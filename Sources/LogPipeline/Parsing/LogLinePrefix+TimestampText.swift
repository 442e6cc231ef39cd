import AgentSchema

extension LogLinePrefix {
    /// Reading PostgreSQL's log times by hand (no date formatter per line) and writing RFC 3339.
    enum TimestampText {
        /// The end of `YYYY-MM-DD HH:MM:SS[.mmm] ZONE` starting at `position`. The zone is a run of letters,
        /// digits, `+` and `-`, as tz abbreviations are; it ends at anything else (a space, `:`, `]`).
        static func localEnd(_ line: UnsafeBufferPointer<UInt8>, from position: Int, milliseconds: Bool) -> Int? {
            let fixed = milliseconds ? 23 : 19
            guard line.count - position >= fixed + 1 else { return nil }
            // Digits where digits belong, separators where they belong: "YYYY-MM-DD HH:MM:SS.mmm".
            let base = position
            guard line[base + 4] == UInt8(ascii: "-"), line[base + 7] == UInt8(ascii: "-"),
                line[base + 10] == UInt8(ascii: " "), line[base + 13] == UInt8(ascii: ":"),
                line[base + 16] == UInt8(ascii: ":")
            else { return nil }
            // Bit i set: byte i is a digit (positions 0-3, 5-6, 8-9, 11-12, 14-15, 17-18).
            let digits: UInt32 = 0b110_1101_1011_0110_1111
            for offset in 0..<19 where digits & (1 << offset) != 0 && line[base + offset] &- UInt8(ascii: "0") >= 10 {
                return nil
            }
            if milliseconds {
                guard line[base + 19] == UInt8(ascii: "."), line[base + 20] &- UInt8(ascii: "0") < 10,
                    line[base + 21] &- UInt8(ascii: "0") < 10, line[base + 22] &- UInt8(ascii: "0") < 10
                else { return nil }
            }
            var index = position + fixed
            guard line[index] == UInt8(ascii: " ") else { return nil }
            index += 1
            let zoneStart = index
            while index < line.count, isZoneByte(line[index]) { index += 1 }
            return index > zoneStart ? index : nil
        }

        private static func isZoneByte(_ byte: UInt8) -> Bool {
            byte &- UInt8(ascii: "A") < 26 || byte &- UInt8(ascii: "a") < 26 || byte &- UInt8(ascii: "0") < 10
                || byte == UInt8(ascii: "+") || byte == UInt8(ascii: "-")
        }

        /// The zone printed after a local time (`UTC`, `CET`, `+0545`): what follows the time and its space.
        static func zone(_ bytes: UnsafeBufferPointer<UInt8>) -> String? {
            guard bytes.count > 20 else { return nil }
            let zoneStart = bytes[19] == UInt8(ascii: ".") ? 24 : 20
            guard bytes.count > zoneStart else { return nil }
            return String(decoding: bytes[zoneStart...], as: UTF8.self)
        }
    }
}
