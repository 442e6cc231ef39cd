import AgentSchema

/// A compiled `log_line_prefix`: reads the prefix PostgreSQL wrote in front of a stderr log line back
/// into its fields, and finds where the `SEVERITY:  message` part begins.
///
/// Every escape of PostgreSQL 14–18 is known: `%a %u %d %r %h %L %b %p %P %t %m %n %i %e %c %l %s %v %x %q
/// %Q %%`, with padding (`%-20u`, `%10p`). `%q` follows the server's rule: processes without a client
/// session (checkpointer, autovacuum, …) stop printing the prefix there, so for them the line's prefix is
/// only the part before `%q`.
///
/// Names may contain spaces, `@`, `:` or brackets. Values the server prints in a fixed shape (times, pids,
/// numbers, session ids) are read by their shape; free text (`%u %d %a %r %h %L %b %i`) ends at the next
/// literal part of the prefix. Where that leaves more than one reading we keep only readings after which
/// the line goes on with a severity or a label we know (`ERROR:  `, `FEHLER:  `, `DETAIL:  `): that settles
/// a database `my db` in `%u@%d `. `%r` must also have its shape (`host(port)`, `[local]` or nothing),
/// which settles an address `::1(5432)` in RDS's `%t:%r:%u@%d:[%p]:`. If several readings remain, we
/// prefer one in which no value contains the literal text in front of it, and among those the one with
/// the shortest values, from the left: so `%u@%d ` with `alice@example.com@appdb` reads the user
/// `alice@example.com` (Entra ID and other directory users have such names; databases rarely do). A name
/// that contains a delimiter followed by a severity (an application called `x] LOG:  y`) is still misread:
/// the prefix is ambiguous there.
///
/// Times (`%m %t %s %n`) become RFC 3339 UTC with milliseconds through a ``LogTimestampReader``, which
/// resolves the zone PostgreSQL printed with the server's `log_timezone`; a time it cannot resolve is left
/// out rather than guessed. Without `%p`, the pid is read from the session id (`%c`), which holds it in hex
/// after the dot.
///
/// The matcher works on the bytes of one line, without regular expressions or per-character strings, and
/// bounds its work per line, so that garbage and very long lines cost little.
package struct LogLinePrefix: Sendable {
    /// Why a `log_line_prefix` could not be compiled.
    package struct CompileError: Error, Sendable, Hashable, CustomStringConvertible {
        /// The kind of problem; new codes may be added.
        package struct Code: Hashable, Sendable, CustomStringConvertible {
            private enum Base: Hashable, Sendable {
                case unknownEscape, danglingPercent, badPadding
            }

            private let base: Base

            /// A `%` followed by a letter PostgreSQL does not know (the server prints nothing for it).
            package static let unknownEscape = Code(base: .unknownEscape)
            /// A `%` at the very end of the prefix.
            package static let danglingPercent = Code(base: .danglingPercent)
            /// Padding digits with no escape letter after them, or a width too large to be real.
            package static let badPadding = Code(base: .badPadding)

            /// The code's name (`unknownEscape`, …).
            package var description: String {
                switch base {
                case .unknownEscape: "unknownEscape"
                case .danglingPercent: "danglingPercent"
                case .badPadding: "badPadding"
                }
            }
        }

        /// What went wrong.
        package var code: Code
        /// The position of the offending `%` in the prefix, in characters.
        package var position: Int
        /// The escape as written (`%k`, `%-5`), when there is one.
        package var escape: String

        /// A message that names the escape and its position (a prefix holds no secrets).
        package var description: String {
            switch code {
            case .unknownEscape: "log_line_prefix: unknown escape \(escape) at position \(position)"
            case .danglingPercent: "log_line_prefix: a lone % at the end (position \(position))"
            default: "log_line_prefix: bad padding \(escape) at position \(position)"
            }
        }
    }

    /// The fields one line's prefix held, and where its `SEVERITY:  message` part begins.
    ///
    /// A field is nil when the prefix has no escape for it, when the server printed nothing for it (no
    /// session, no transaction, no leader) or when it printed its placeholder for "not known" (`[unknown]`,
    /// a transaction id or query id of 0).
    package struct Fields: Sendable, Equatable {
        /// The time of the entry (`%n`, else `%m`, else `%t`): RFC 3339 UTC with milliseconds; nil when
        /// its zone could not be resolved (see ``LogTimestampReader``).
        package var timestamp: String?
        /// The zone abbreviation the server printed after the time (`UTC`, `+01`, `CET`).
        package var timeZone: String?
        /// `%p`, else the pid inside `%c`.
        package var pid: Int?
        /// `%u`.
        package var user: String?
        /// `%d`.
        package var database: String?
        /// `%a`.
        package var applicationName: String?
        /// `%h`, or the host part of `%r` (`[local]` for Unix sockets).
        package var remoteHost: String?
        /// The port part of `%r`.
        package var remotePort: String?
        /// `%L` (PostgreSQL 18): the server address the client connected to, `[local]` or `[none]`.
        package var localAddress: String?
        /// `%c`: start time and pid in hex (`6746f1d8.4001`).
        package var sessionID: String?
        /// `%l`: the process's log line number (it counts every prefixed line, DETAIL lines included).
        package var sessionLine: Int64?
        /// `%s`, converted like ``timestamp``.
        package var sessionStart: String?
        /// `%i`: the command tag or process title (`SELECT`, `idle`, `authentication`).
        package var commandTag: String?
        /// `%v`: `procNumber/localXID`.
        package var virtualXID: String?
        /// `%x`.
        package var xid: Int64?
        /// `%e`.
        package var sqlstate: String?
        /// `%b`: `client backend`, `checkpointer`, …
        package var backendType: String?
        /// `%P`: the parallel group leader's pid.
        package var leaderPID: Int?
        /// `%Q`.
        package var queryID: Int64?
        /// False when the line stopped at `%q` (a process without a client session).
        package var hasSessionPart: Bool = true
        /// The byte offset in the line where `SEVERITY:  ` (or `DETAIL:  `, …) begins.
        package var messageStart: Int = 0
        /// The byte offset where the text after the severity or label begins.
        package var textStart: Int = 0
        /// What the line says after the prefix.
        var head: LogSeverity.Head = .unknownSeverity(written: "")

        package init() {}
    }

    /// An escape of `log_line_prefix`; the raw value is the letter after `%`.
    enum Escape: UInt8, Sendable {
        case applicationName = 97  // a
        case backendType = 98  // b
        case sessionID = 99  // c
        case database = 100  // d
        case sqlstate = 101  // e
        case remoteHostOnly = 104  // h
        case commandTag = 105  // i
        case sessionLine = 108  // l
        case timestampMilliseconds = 109  // m
        case epoch = 110  // n
        case pid = 112  // p
        case remoteHost = 114  // r
        case sessionStart = 115  // s
        case timestamp = 116  // t
        case user = 117  // u
        case virtualXID = 118  // v
        case xid = 120  // x
        case localAddress = 76  // L
        case leaderPID = 80  // P
        case queryID = 81  // Q

        /// Whether the value is free text, which only the following part of the prefix can end.
        var isFreeText: Bool {
            switch self {
            case .applicationName, .backendType, .database, .remoteHostOnly, .commandTag, .remoteHost, .user,
                .localAddress:
                true
            default: false
            }
        }
    }

    enum Token: Sendable, Equatable {
        case literal([UInt8])
        case escape(Escape, padding: Int)
        /// `%q`: the rest is printed only for processes with a client session.
        case sessionOnly
    }

    /// The `log_line_prefix` this matcher was compiled from.
    package let text: String
    /// The prefix laid out for the matcher (one reference, so that copying a prefix is cheap).
    let program: Program
    /// The prefix as a sequence of literal text, escapes and `%q`.
    var tokens: [Token] { program.tokens }

    /// The longest free-text value we look for (host names can be 1,025 bytes, `%i` longer than names).
    static let maximumValueLength = 4_096
    /// The most candidate positions one line may cost, so that a hostile or binary line stays cheap.
    static let stepBudget = 65_536

    /// Compiles a `log_line_prefix`.
    ///
    /// - Parameter prefix: the setting's value as `SHOW log_line_prefix` prints it (no quotes).
    /// - Throws: ``CompileError`` for an escape PostgreSQL does not know, a lone `%` at the end, or
    ///   padding without an escape letter.
    package init(_ prefix: String) throws {
        let bytes = Array(prefix.utf8)
        var tokens: [Token] = []
        var literal: [UInt8] = []
        var index = 0
        func flushLiteral() {
            if !literal.isEmpty { tokens.append(.literal(literal)) }
            literal = []
        }
        func characterPosition(_ byteOffset: Int) -> Int {
            String(decoding: bytes[..<byteOffset], as: UTF8.self).count
        }
        while index < bytes.count {
            let byte = bytes[index]
            guard byte == UInt8(ascii: "%") else {
                literal.append(byte)
                index += 1
                continue
            }
            let start = index
            index += 1
            guard index < bytes.count else {
                throw CompileError(code: .danglingPercent, position: characterPosition(start), escape: "%")
            }
            if bytes[index] == UInt8(ascii: "%") {
                literal.append(byte)
                index += 1
                continue
            }
            // Padding as PostgreSQL reads it: an optional '-', then digits (process_log_prefix_padding).
            var negative = false
            if bytes[index] == UInt8(ascii: "-") {
                negative = true
                index += 1
            }
            var width = 0
            var digits = 0
            while index < bytes.count, bytes[index] >= UInt8(ascii: "0"), bytes[index] <= UInt8(ascii: "9") {
                width = width * 10 + Int(bytes[index] - UInt8(ascii: "0"))
                digits += 1
                index += 1
                if width > 100_000 { break }
            }
            let written = String(decoding: bytes[start..<min(index + 1, bytes.count)], as: UTF8.self)
            guard index < bytes.count, width <= 100_000, !(negative && digits == 0) else {
                throw CompileError(code: .badPadding, position: characterPosition(start), escape: written)
            }
            let letter = bytes[index]
            index += 1
            if letter == UInt8(ascii: "q") {
                flushLiteral()
                tokens.append(.sessionOnly)
                continue
            }
            guard let escape = Escape(rawValue: letter) else {
                throw CompileError(code: .unknownEscape, position: characterPosition(start), escape: written)
            }
            flushLiteral()
            tokens.append(.escape(escape, padding: negative ? -width : width))
        }
        flushLiteral()
        self.text = prefix
        self.program = Program(tokens)
    }

    /// Reads the prefix of one line.
    ///
    /// - Parameter line: the bytes of one line, without its newline.
    /// - Returns: the fields and where the message part begins; nil when the line does not start with
    ///   this prefix followed by a severity or a label.
    package func parse(_ line: UnsafeBufferPointer<UInt8>, timeZone: TimeZoneRules? = nil) -> Fields? {
        withScan(line) { scan, captures in
            guard let scan else { return nil }
            var timestamps = LogTimestampReader(timeZone: timeZone)
            return fields(scan, captures: captures, line: line, timestamps: &timestamps)
        }
    }

    /// Reads the prefix of one line given as an array (tests, tools); see ``parse(_:)-(UnsafeBufferPointer<UInt8>)``.
    package func parse(_ line: [UInt8]) -> Fields? {
        line.withUnsafeBufferPointer { parse($0) }
    }

    /// Reads the prefix of one line given as text (tests, tools).
    package func parse(_ line: String) -> Fields? {
        parse(Array(line.utf8))
    }

    // MARK: - Scanning without building strings

    /// Where a match ended; the values it read are ranges in the `captures` handed out with it.
    struct Scan {
        /// The number of the head pattern in ``LogSeverity/heads``, or -1 for an unknown severity word.
        var pattern: Int
        var messageStart: Int
        var textStart: Int
        /// Tokens before this index were printed (all of them, or those before `%q`).
        var tokenLimit: Int
        /// How doubtful the reading is (0: no value holds a delimiter; see `Matcher.doubt`).
        var doubt = 0
    }

    /// Values a line is known to hold (the session's user and database, learnt from its `connection
    /// authorized` line): a doubtful line is read again with them fixed.
    struct Pins: Sendable, Equatable {
        var user: [UInt8]?
        var database: [UInt8]?
    }

    /// Matches one line and hands the result to `body`, with the value of each token as a byte range of
    /// the line (valid only inside `body`). The stderr parser reads only what it needs from it.
    func withScan<Result>(
        _ line: UnsafeBufferPointer<UInt8>, pins: Pins? = nil,
        _ body: (Scan?, UnsafeMutableBufferPointer<Range<Int>>) -> Result
    ) -> Result {
        withUnsafeTemporaryAllocation(of: Range<Int>.self, capacity: max(program.count, 1)) { captures in
            captures.initialize(repeating: 0..<0)
            if let scan = scan(line, captures: captures, acceptUnknownSeverity: false, pins: pins) {
                return body(scan, captures)
            }
            if program.hasEscapes, let scan = scan(line, captures: captures, acceptUnknownSeverity: true, pins: pins) {
                return body(scan, captures)
            }
            return body(nil, captures)
        }
    }

    private func scan(
        _ line: UnsafeBufferPointer<UInt8>, captures: UnsafeMutableBufferPointer<Range<Int>>, acceptUnknownSeverity: Bool,
        pins: Pins?
    ) -> Scan? {
        var matcher = Matcher(
            line: line, program: program, heads: LogSeverity.heads, captures: captures,
            acceptUnknownSeverity: acceptUnknownSeverity, budget: Self.stepBudget, pins: pins
        )
        if matcher.match(token: 0, at: 0) { return matcher.result }
        guard let fallback = matcher.fallback else { return nil }
        for index in 0..<fallback.captures.count { captures[index] = fallback.captures[index] }
        return fallback.scan
    }

    /// What the line says after the prefix.
    func head(_ scan: Scan, line: UnsafeBufferPointer<UInt8>) -> LogSeverity.Head {
        if scan.pattern >= 0 { return LogSeverity.heads.heads[scan.pattern] }
        var wordEnd = scan.messageStart
        while wordEnd < scan.textStart, line[wordEnd] != UInt8(ascii: ":") { wordEnd += 1 }
        let word = UnsafeBufferPointer(rebasing: line[scan.messageStart..<wordEnd])
        return .unknownSeverity(written: String(decoding: word, as: UTF8.self))
    }

    /// The pid (`%p`) of a scanned line, without reading anything else.
    func pid(_ scan: Scan, captures: UnsafeMutableBufferPointer<Range<Int>>, line: UnsafeBufferPointer<UInt8>) -> Int? {
        if program.pidToken >= 0, program.pidToken < scan.tokenLimit {
            return Self.integer(UnsafeBufferPointer(rebasing: line[captures[program.pidToken]])).map { Int($0) }
        }
        if let session = program.sessionIDToken, session < scan.tokenLimit {
            return Self.pidOfSessionID(UnsafeBufferPointer(rebasing: line[captures[session]]))
        }
        return nil
    }

    /// The fields of a scanned line.
    func fields(
        _ scan: Scan, captures: UnsafeMutableBufferPointer<Range<Int>>, line: UnsafeBufferPointer<UInt8>,
        timestamps: inout LogTimestampReader
    ) -> Fields {
        var fields = Fields()
        fields.messageStart = scan.messageStart
        fields.textStart = scan.textStart
        fields.head = head(scan, line: line)
        fields.hasSessionPart = scan.tokenLimit == program.count
        fill(&fields, scan: scan, captures: captures, line: line, timestamps: &timestamps)
        return fields
    }

    /// Writes the values of a scanned line into `target` (``Fields``, or a ``LogEvent`` directly); times
    /// go through `timestamps`.
    func fill<Target: PrefixFieldTarget>(
        _ target: inout Target, scan: Scan, captures: UnsafeMutableBufferPointer<Range<Int>>,
        line: UnsafeBufferPointer<UInt8>, timestamps: inout LogTimestampReader
    ) {
        // %n is exact UTC and wins; %m carries milliseconds and wins over %t.
        var time: (escape: Escape, value: Range<Int>)?
        for index in 0..<scan.tokenLimit where program.kinds[index] == Program.escape {
            let escape = program.escapes[index]
            let value = captures[index]
            switch escape {
            case .epoch: time = (escape, value)
            case .timestampMilliseconds where time?.escape != .epoch: time = (escape, value)
            case .timestamp where time == nil: time = (escape, value)
            case .timestamp, .timestampMilliseconds: break
            case .sessionStart:
                if Target.wantsExtras {
                    let bytes = UnsafeBufferPointer(rebasing: line[value])
                    target.setExtra(.sessionStart, timestamps.rfc3339(local: bytes))
                }
            default: fill(&target, escape: escape, value: value, line: line)
            }
        }
        if let time {
            let bytes = UnsafeBufferPointer(rebasing: line[time.value])
            if time.escape == .epoch {
                target.timestamp = LogTimestampReader.rfc3339(epoch: bytes)
                if Target.wantsExtras { target.setExtra(.timeZone, "UTC") }
            } else {
                target.timestamp = timestamps.rfc3339(local: bytes)
                if Target.wantsExtras { target.setExtra(.timeZone, TimestampText.zone(bytes)) }
            }
        }
        // Without %p, the pid is the hex number after the dot of the session id (%c).
        if target.pid == nil, let session = program.sessionIDToken, session < scan.tokenLimit {
            target.pid = Self.pidOfSessionID(UnsafeBufferPointer(rebasing: line[captures[session]]))
        }
    }

    /// The pid inside a session id (`6746f1d8.4001`: start time and pid, both in hex).
    static func pidOfSessionID(_ bytes: UnsafeBufferPointer<UInt8>) -> Int? {
        guard let dot = bytes.firstIndex(of: UInt8(ascii: ".")), dot + 1 < bytes.count, bytes.count - dot - 1 <= 8 else {
            return nil
        }
        var value = 0
        for byte in bytes[(dot + 1)...] {
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            default: return nil
            }
            value = value << 4 | Int(digit)
        }
        return value
    }

    // MARK: - Turning captured values into fields

    private func fill<Target: PrefixFieldTarget>(
        _ target: inout Target, escape: Escape, value: Range<Int>, line: UnsafeBufferPointer<UInt8>
    ) {
        let bytes = UnsafeBufferPointer(rebasing: line[value])
        func text() -> String? {
            bytes.isEmpty ? nil : String(decoding: bytes, as: UTF8.self)
        }
        func name() -> String? {
            LogSeverity.isUnknownPlaceholder(bytes) ? nil : text()
        }
        switch escape {
        case .applicationName: target.applicationName = name()
        case .user: target.user = name()
        case .database: target.database = name()
        case .backendType: target.backendType = text()
        case .remoteHostOnly: target.remoteHost = text()
        case .remoteHost:
            // "host(port)" for TCP, "[local]" for Unix sockets; a host name never contains '('.
            if let open = bytes.lastIndex(of: UInt8(ascii: "(")), bytes.last == UInt8(ascii: ")") {
                target.remoteHost = open == 0 ? nil : String(decoding: bytes[..<open], as: UTF8.self)
                if Target.wantsExtras {
                    target.setExtra(.remotePort, String(decoding: bytes[(open + 1)..<(bytes.count - 1)], as: UTF8.self))
                }
            } else {
                target.remoteHost = text()
            }
        case .sessionID: target.sessionID = text()
        case .sqlstate: target.sqlstate = text()
        case .virtualXID: target.virtualXID = text()
        case .pid: target.pid = Self.integer(bytes).map { Int($0) }
        case .leaderPID: target.leaderPID = Self.integer(bytes).map { Int($0) }
        case .sessionLine: target.sessionLine = Self.integer(bytes)
        case .xid: target.xid = Self.integer(bytes).flatMap { $0 == 0 ? nil : $0 }
        case .queryID: target.queryID = Self.integer(bytes).flatMap { $0 == 0 ? nil : $0 }
        case .epoch, .timestampMilliseconds, .timestamp: break  // chosen by the caller
        case .commandTag: if Target.wantsExtras { target.setExtra(.commandTag, text()) }
        case .localAddress: if Target.wantsExtras { target.setExtra(.localAddress, text()) }
        case .sessionStart: break  // converted by the caller, which has the time zone
        }
    }

    /// A decimal integer, optionally negative (`%Q` can be); nil when empty or not a number.
    static func integer(_ bytes: UnsafeBufferPointer<UInt8>) -> Int64? {
        var index = 0
        var negative = false
        if index < bytes.count, bytes[index] == UInt8(ascii: "-") {
            negative = true
            index += 1
        }
        guard index < bytes.count, bytes.count - index <= 19 else { return nil }
        // Accumulated as a negative number, with overflow checked, so that Int64.min (a query id
        // PostgreSQL can print) reads back and anything out of range is nil, never a trap or a wrap.
        var value: Int64 = 0
        while index < bytes.count {
            let digit = bytes[index] &- UInt8(ascii: "0")
            guard digit < 10 else { return nil }
            let (scaled, over) = value.multipliedReportingOverflow(by: 10)
            let (next, under) = scaled.subtractingReportingOverflow(Int64(digit))
            guard !over, !under else { return nil }
            value = next
            index += 1
        }
        if negative { return value }
        return value == .min ? nil : -value
    }
}
