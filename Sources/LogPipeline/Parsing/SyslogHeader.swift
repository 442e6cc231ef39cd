/// The header of one line a syslog daemon wrote to a file, in the forms rsyslog writes by default:
///
/// - RFC 3164, rsyslog's traditional file format: `Dec  7 05:57:28 db-1 postgres[23030]: MSG`
///   (no year, no zone: the host's local time);
/// - rsyslog's high-precision default: `2026-12-07T05:57:28.131271+01:00 db-1 postgres[23030]: MSG`;
/// - RFC 5424: `<134>1 2026-12-07T05:57:28.131271+01:00 db-1 postgres 23030 - -  MSG` (rsyslog keeps the
///   message's own leading space, hence two).
///
/// A `<PRI>` in front of the first two forms is skipped.
struct SyslogHeader {
    enum Stamp: Equatable {
        /// RFC 3164: month (1–12), day, seconds of the day, local time.
        case local(month: Int, day: Int, second: Int)
        /// RFC 3339 with its offset: the range of the text in the line.
        case rfc3339(Range<Int>)
        case none
    }

    var stamp: Stamp
    /// The program's name (`TAG` without its `[pid]`, or RFC 5424's APP-NAME), as a range of the line.
    var ident: Range<Int>
    var pid: Int?
    /// Where the message starts in the line.
    var messageStart: Int

    private static let months: [(UInt8, UInt8, UInt8)] = [
        (0x4A, 0x61, 0x6E), (0x46, 0x65, 0x62), (0x4D, 0x61, 0x72), (0x41, 0x70, 0x72), (0x4D, 0x61, 0x79), (0x4A, 0x75, 0x6E),
        (0x4A, 0x75, 0x6C), (0x41, 0x75, 0x67), (0x53, 0x65, 0x70), (0x4F, 0x63, 0x74), (0x4E, 0x6F, 0x76), (0x44, 0x65, 0x63),
    ]

    /// Reads the header of `line`; nil when the line is not a syslog line of these forms.
    init?(_ line: UnsafeBufferPointer<UInt8>) {
        var index = 0
        var rfc5424 = false
        if line.first == UInt8(ascii: "<") {
            var end = 1
            while end < line.count, end <= 4, line[end] &- 0x30 < 10 { end += 1 }
            guard end > 1, end < line.count, line[end] == UInt8(ascii: ">") else { return nil }
            index = end + 1
            if index + 1 < line.count, line[index] == UInt8(ascii: "1"), line[index + 1] == UInt8(ascii: " ") {
                rfc5424 = true
                index += 2
            }
        }
        if rfc5424 {
            guard let parsed = Self.rfc5424(line, from: index) else { return nil }
            self = parsed
            return
        }
        // The time.
        if let local = Self.rfc3164Stamp(line, at: index) {
            stamp = local
            index += 15
        } else if index + 19 < line.count, line[index] &- 0x30 < 10, line[index + 4] == UInt8(ascii: "-"),
                  line[index + 10] == UInt8(ascii: "T") {
            let end = Self.tokenEnd(line, from: index)
            stamp = .rfc3339(index..<end)
            index = end
        } else {
            return nil
        }
        // The host.
        guard index < line.count, line[index] == UInt8(ascii: " ") else { return nil }
        index += 1
        index = Self.tokenEnd(line, from: index)
        guard index < line.count else { return nil }
        index += 1
        // The tag: `name[pid]:` or `name:`.
        let tagStart = index
        while index < line.count, line[index] != UInt8(ascii: ":"), line[index] != UInt8(ascii: " "), line[index] != UInt8(ascii: "[") {
            index += 1
        }
        guard index > tagStart, index < line.count else { return nil }
        ident = tagStart..<index
        pid = nil
        if line[index] == UInt8(ascii: "[") {
            var value = 0
            var digits = 0
            index += 1
            while index < line.count, line[index] &- 0x30 < 10, digits < 10 {
                value = value * 10 + Int(line[index] - 0x30)
                digits += 1
                index += 1
            }
            guard digits > 0, index < line.count, line[index] == UInt8(ascii: "]") else { return nil }
            pid = value
            index += 1
        }
        if index < line.count, line[index] == UInt8(ascii: ":") { index += 1 }
        if index < line.count, line[index] == UInt8(ascii: " ") { index += 1 }
        messageStart = index
    }

    private init(stamp: Stamp, ident: Range<Int>, pid: Int?, messageStart: Int) {
        self.stamp = stamp
        self.ident = ident
        self.pid = pid
        self.messageStart = messageStart
    }

    /// `<PRI>1 TIMESTAMP HOST APP PROCID MSGID SD [MSG]`, after `<PRI>1 `.
    private static func rfc5424(_ line: UnsafeBufferPointer<UInt8>, from start: Int) -> SyslogHeader? {
        var fields: [Range<Int>] = []
        var index = start
        for _ in 0..<5 {
            guard index < line.count else { return nil }
            let end = tokenEnd(line, from: index)
            fields.append(index..<end)
            index = end + 1
        }
        // Structured data: `-`, or one or more `[id k="v" …]` (a `]` inside a value is escaped `\]`).
        guard index < line.count else { return nil }
        if line[index] == UInt8(ascii: "-") {
            index += 1
        } else {
            while index < line.count, line[index] == UInt8(ascii: "[") {
                var quoted = false
                index += 1
                while index < line.count {
                    let byte = line[index]
                    if byte == UInt8(ascii: "\\") { index += 2; continue }
                    if byte == UInt8(ascii: "\"") { quoted.toggle() }
                    index += 1
                    if byte == UInt8(ascii: "]"), !quoted { break }
                }
            }
        }
        // One space before MSG, and the leading space rsyslog keeps in a local message; a BOM.
        for _ in 0..<2 where index < line.count && line[index] == UInt8(ascii: " ") { index += 1 }
        if index + 2 < line.count, line[index] == 0xEF, line[index + 1] == 0xBB, line[index + 2] == 0xBF { index += 3 }
        let time = fields[0]
        let stamp: Stamp = line[time.lowerBound] == UInt8(ascii: "-") ? .none : .rfc3339(time)
        var pid: Int?
        let procID = fields[3]
        if procID.count <= 10, procID.allSatisfy({ line[$0] &- 0x30 < 10 }) {
            pid = procID.reduce(0) { $0 * 10 + Int(line[$1] - 0x30) }
        }
        return SyslogHeader(stamp: stamp, ident: fields[2], pid: pid, messageStart: min(index, line.count))
    }

    /// `Mmm dd hh:mm:ss ` at `index` (the day padded with a space or a zero).
    private static func rfc3164Stamp(_ line: UnsafeBufferPointer<UInt8>, at index: Int) -> Stamp? {
        guard index + 15 < line.count, line[index + 3] == 0x20, line[index + 6] == 0x20,
              line[index + 9] == 0x3A, line[index + 12] == 0x3A else { return nil }
        let name = (line[index], line[index + 1], line[index + 2])
        guard let month = months.firstIndex(where: { $0 == name }) else { return nil }
        func digit(_ offset: Int) -> Int? {
            let byte = line[index + offset]
            return byte &- 0x30 < 10 ? Int(byte - 0x30) : nil
        }
        let tens = line[index + 4] == 0x20 ? 0 : digit(4)
        guard let tens, let ones = digit(5), let h1 = digit(7), let h2 = digit(8), let m1 = digit(10), let m2 = digit(11),
              let s1 = digit(13), let s2 = digit(14) else { return nil }
        return .local(month: month + 1, day: tens * 10 + ones, second: (h1 * 10 + h2) * 3_600 + (m1 * 10 + m2) * 60 + s1 * 10 + s2)
    }

    private static func tokenEnd(_ line: UnsafeBufferPointer<UInt8>, from start: Int) -> Int {
        var index = start
        while index < line.count, line[index] != UInt8(ascii: " ") { index += 1 }
        return index
    }
}
