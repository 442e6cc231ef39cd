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
        var value: Int64 = 0
        while index < bytes.count {
            let digit = bytes[index] &- UInt8(ascii: "0")
            guard digit < 10 else { return nil }
            value = value &* 10 &+ Int64(digit)
            index += 1
        }
        return negative ? -value : value
    }
}

// MARK: - The matcher

extension LogLinePrefix {
    /// The tokens laid out in memory of their own, so that the matcher reads them without reference
    /// counting. Filled once in `init`, never changed, freed in `deinit`; hence `@unchecked Sendable`.
    final class Program: @unchecked Sendable {
        /// 0: literal, 1: escape, 2: `%q`.
        let kinds: UnsafeMutableBufferPointer<UInt8>
        let escapes: UnsafeMutableBufferPointer<Escape>
        let paddings: UnsafeMutableBufferPointer<Int>
        /// For literals, their bytes; for free-text escapes, the literal text right before them (`@` for
        /// `%d` in `%u@%d`), empty when there is none.
        let literalStarts: UnsafeMutableBufferPointer<Int>
        let literalCounts: UnsafeMutableBufferPointer<Int>
        let literalBytes: UnsafeMutableBufferPointer<UInt8>
        let count: Int
        /// The index of the first `%p` token, or -1.
        let pidToken: Int
        /// The index of the first `%c` token, if any: it carries the pid when `%p` is missing.
        let sessionIDToken: Int?
        let tokens: [Token]
        /// Whether the prefix has any escape at all; an unknown severity word is accepted only after one,
        /// so that with an empty prefix any `word:  text` line is not taken for an entry.
        let hasEscapes: Bool

        static let literal: UInt8 = 0
        static let escape: UInt8 = 1
        static let sessionOnly: UInt8 = 2

        init(_ tokens: [Token]) {
            self.tokens = tokens
            hasEscapes = tokens.contains { if case .escape = $0 { true } else { false } }
            count = tokens.count
            let capacity = max(count, 1)
            kinds = .allocate(capacity: capacity)
            escapes = .allocate(capacity: capacity)
            paddings = .allocate(capacity: capacity)
            literalStarts = .allocate(capacity: capacity)
            literalCounts = .allocate(capacity: capacity)
            var bytes: [UInt8] = []
            var pid = -1
            var session: Int?
            for (index, token) in tokens.enumerated() {
                var literal: [UInt8] = []
                switch token {
                case .literal(let text):
                    kinds[index] = Self.literal
                    escapes[index] = .pid
                    paddings[index] = 0
                    literal = text
                case .escape(let escape, let padding):
                    kinds[index] = Self.escape
                    escapes[index] = escape
                    paddings[index] = padding
                    if escape == .pid && pid < 0 { pid = index }
                    if escape == .sessionID && session == nil { session = index }
                    if escape.isFreeText {
                        var before = index - 1
                        while before >= 0, tokens[before] == .sessionOnly { before -= 1 }
                        if before >= 0, case .literal(let text) = tokens[before] { literal = text }
                    }
                case .sessionOnly:
                    kinds[index] = Self.sessionOnly
                    escapes[index] = .pid
                    paddings[index] = 0
                }
                literalStarts[index] = bytes.count
                literalCounts[index] = literal.count
                bytes += literal
            }
            literalBytes = .allocate(capacity: max(bytes.count, 1))
            _ = literalBytes.initialize(from: bytes)
            pidToken = pid
            sessionIDToken = session
        }

        deinit {
            kinds.deallocate()
            escapes.deallocate()
            paddings.deallocate()
            literalStarts.deallocate()
            literalCounts.deallocate()
            literalBytes.deallocate()
        }
    }

    /// A backtracking matcher over one line. Values of a fixed shape are read greedily; a free-text value
    /// tries its possible ends from the left, each checked by matching the rest of the prefix and the head.
    struct Matcher {
        let line: UnsafeBufferPointer<UInt8>
        let program: Program
        let heads: LogSeverity.HeadTable
        let captures: UnsafeMutableBufferPointer<Range<Int>>
        let acceptUnknownSeverity: Bool
        var budget: Int
        /// Values fixed in advance, if any.
        let pins: Pins?
        /// The accepted reading, once ``match(token:at:)`` returned true.
        var result: Scan?
        /// The best reading found so far that has a doubtful value (see ``doubts(tokenLimit:)``), kept while
        /// the search goes on for a reading without one; used when there is none.
        var fallback: (scan: Scan, captures: [Range<Int>], doubt: Int)?

        mutating func match(token index: Int, at position: Int) -> Bool {
            budget -= 1
            guard budget > 0 else { return false }
            guard index < program.count else { return accept(at: position, tokenLimit: index) }
            switch program.kinds[index] {
            case Program.literal:
                guard hasLiteral(index, at: position) else { return false }
                return match(token: index + 1, at: position + program.literalCounts[index])
            case Program.sessionOnly:
                // A process without a session stops here; a session goes on with the rest.
                if accept(at: position, tokenLimit: index) { return true }
                return match(token: index + 1, at: position)
            default:
                let escape = program.escapes[index]
                let padding = program.paddings[index]
                if escape.isFreeText { return matchFreeText(token: index, at: position, padding: padding) }
                var start = position
                if padding > 0 { start = skipSpaces(from: start, limit: start + padding) }
                guard let end = Self.shapedValueEnd(escape, in: line, from: start) else { return false }
                captures[index] = start..<end
                var next = end
                if padding < 0 { next = skipSpaces(from: end, limit: position - padding) }
                return match(token: index + 1, at: next)
            }
        }

        private mutating func matchFreeText(token index: Int, at position: Int, padding: Int) -> Bool {
            if let pins, let pin = program.escapes[index] == .user ? pins.user : program.escapes[index] == .database ? pins.database : nil {
                // A known value: only that reading.
                guard line.count - position >= pin.count else { return false }
                for offset in 0..<pin.count where line[position + offset] != pin[offset] { return false }
                let end = position + pin.count
                guard mayFollow(token: index + 1, at: end) else { return false }
                captures[index] = position..<end
                return match(token: index + 1, at: end)
            }
            let width = abs(padding)
            let limit = min(line.count, position + LogLinePrefix.maximumValueLength)
            // A padded value fills at least its width.
            var end = position + width
            // Where literal text follows, only its first byte can end the value: skip to it in a tight loop.
            let next = index + 1
            let delimiter: UInt8? =
                next < program.count && program.kinds[next] == Program.literal
                ? program.literalBytes[program.literalStarts[next]] : nil
            while end <= limit {
                if let delimiter {
                    while end < limit && line[end] != delimiter { end += 1 }
                    if end == limit && (limit == line.count || line[end] != delimiter) { return false }
                }
                budget -= 1
                guard budget > 0 else { return false }
                if mayFollow(token: next, at: end) {
                    var value = position..<end
                    if padding != 0 && end - position == width { value = trimmed(value, padding: padding) }
                    if program.escapes[index] == .remoteHost && !isRemoteHostAndPort(value) {
                        end += 1
                        continue
                    }
                    captures[index] = value
                    if match(token: index + 1, at: end) { return true }
                }
                end += 1
            }
            return false
        }

        /// `%r` is empty (no client), `[local]` or `host(port)`: a shape that settles IPv6 addresses, whose
        /// colons would otherwise be ambiguous in a prefix like RDS's `%t:%r:%u@%d:[%p]:`.
        private func isRemoteHostAndPort(_ range: Range<Int>) -> Bool {
            guard !range.isEmpty else { return true }
            guard line[range.upperBound - 1] == UInt8(ascii: ")") else {
                return range.count == 7 && line[range.lowerBound] == UInt8(ascii: "[")
            }
            var index = range.upperBound - 2
            while index > range.lowerBound && line[index] &- UInt8(ascii: "0") < 10 { index -= 1 }
            return index > range.lowerBound && index < range.upperBound - 2 && line[index] == UInt8(ascii: "(")
        }

        /// A cheap test whether token `index` can start at `position`, to skip hopeless ends of a value.
        @inline(__always)
        private func mayFollow(token index: Int, at position: Int) -> Bool {
            guard index < program.count else { return mayStartHead(at: position) }
            switch program.kinds[index] {
            case Program.literal: return hasLiteral(index, at: position)
            case Program.sessionOnly: return mayStartHead(at: position) || mayFollow(token: index + 1, at: position)
            default: return true
            }
        }

        @inline(__always)
        private func mayStartHead(at position: Int) -> Bool {
            guard position < line.count else { return false }
            return acceptUnknownSeverity || heads.mayStart(with: line[position])
        }

        /// Accepts the reading if a head follows at `position` and no value in it is doubtful. A reading
        /// with doubtful values is kept as the fallback if it is less doubtful than the one kept before
        /// (the earlier one wins a tie: its values are the shortest, from the left), and the search goes on.
        private mutating func accept(at position: Int, tokenLimit: Int) -> Bool {
            var scan: Scan
            if let found = heads.match(line, at: position) {
                scan = Scan(pattern: found.pattern, messageStart: position, textStart: found.textStart, tokenLimit: tokenLimit)
            } else if acceptUnknownSeverity, let textStart = heads.matchUnknown(line, at: position) {
                scan = Scan(pattern: -1, messageStart: position, textStart: textStart, tokenLimit: tokenLimit)
            } else {
                return false
            }
            let doubt = doubt(tokenLimit: tokenLimit)
            if doubt == 0 {
                result = scan
                return true
            }
            if let kept = fallback, kept.doubt <= doubt { return false }
            scan.doubt = doubt
            fallback = (scan, Array(captures), doubt)
            return false
        }

        /// How doubtful a reading's free-text values are. Each time a value holds the literal text in front
        /// of it or after it (which would have ended it), it costs by how rarely such names hold such text:
        /// host names never (8), databases rarely (4), users sometimes (2: directory users look like
        /// `alice@example.com`), application names, command tags and backend types often (1: JDBC calls
        /// itself `PostgreSQL JDBC Driver`). An empty user or database in a line that has them costs 8.
        private func doubt(tokenLimit: Int) -> Int {
            var total = 0
            for index in 0..<tokenLimit where program.kinds[index] == Program.escape && program.escapes[index].isFreeText {
                let value = captures[index]
                let escape = program.escapes[index]
                if let pins, (escape == .user && pins.user != nil) || (escape == .database && pins.database != nil) {
                    continue  // known, not read
                }
                if value.count > placeholder.utf8CodeUnitCount, contains(placeholder, in: value) {
                    total += 8  // `[unknown]` is a value of its own, never part of one
                }
                let weight: Int
                switch escape {
                case .remoteHost, .remoteHostOnly, .localAddress: weight = 8
                case .database: weight = 4
                case .user: weight = 2
                default: weight = 1
                }
                if value.isEmpty {
                    if program.escapes[index] == .user || program.escapes[index] == .database { total += 8 }
                    continue
                }
                if program.literalCounts[index] > 0 { total += weight * occurrences(in: value, literalOf: index) }
                let next = index + 1
                if next < tokenLimit, program.kinds[next] == Program.literal {
                    total += weight * occurrences(in: value, literalOf: next)
                }
            }
            return total
        }

        /// PostgreSQL's placeholder for a name not known yet.
        private var placeholder: StaticString { "[unknown]" }

        private func contains(_ text: StaticString, in range: Range<Int>) -> Bool {
            let count = text.utf8CodeUnitCount
            guard range.count >= count else { return false }
            var start = range.lowerBound
            while start + count <= range.upperBound {
                var same = true
                for offset in 0..<count where line[start + offset] != text.utf8Start[offset] {
                    same = false
                    break
                }
                if same { return true }
                start += 1
            }
            return false
        }

        private func occurrences(in range: Range<Int>, literalOf token: Int) -> Int {
            let count = program.literalCounts[token]
            guard count > 0, range.count >= count else { return 0 }
            var found = 0
            var start = range.lowerBound
            while start + count <= range.upperBound {
                if hasLiteral(token, at: start) {
                    found += 1
                    start += count
                } else {
                    start += 1
                }
            }
            return found
        }

        private func contains(_ range: Range<Int>, literalOf token: Int) -> Bool {
            let count = program.literalCounts[token]
            guard range.count >= count else { return false }
            var start = range.lowerBound
            while start + count <= range.upperBound {
                if hasLiteral(token, at: start) { return true }
                start += 1
            }
            return false
        }

        @inline(__always)
        private func hasLiteral(_ token: Int, at position: Int) -> Bool {
            let count = program.literalCounts[token]
            guard line.count - position >= count else { return false }
            let start = program.literalStarts[token]
            for offset in 0..<count where line[position + offset] != program.literalBytes[start + offset] {
                return false
            }
            return true
        }

        private func skipSpaces(from position: Int, limit: Int) -> Int {
            var index = position
            while index < min(limit, line.count), line[index] == UInt8(ascii: " ") { index += 1 }
            return index
        }

        /// A value padded to its width loses the padding: leading spaces when right-aligned (`%10u`),
        /// trailing ones when left-aligned (`%-10u`).
        private func trimmed(_ range: Range<Int>, padding: Int) -> Range<Int> {
            var lower = range.lowerBound
            var upper = range.upperBound
            if padding > 0 {
                while lower < upper, line[lower] == UInt8(ascii: " ") { lower += 1 }
            } else {
                while upper > lower, line[upper - 1] == UInt8(ascii: " ") { upper -= 1 }
            }
            return lower..<upper
        }

        /// The end of a value whose shape is fixed, read from `position`; nil when the bytes do not have it.
        static func shapedValueEnd(_ escape: Escape, in line: UnsafeBufferPointer<UInt8>, from position: Int) -> Int? {
            switch escape {
            case .pid, .sessionLine, .xid:
                let end = digitsEnd(line, from: position)
                return end > position ? end : nil
            case .leaderPID:
                return digitsEnd(line, from: position)  // empty when the process has no leader
            case .queryID:
                var start = position
                if start < line.count, line[start] == UInt8(ascii: "-") { start += 1 }
                let end = digitsEnd(line, from: start)
                return end > start ? end : nil
            case .sessionID:
                let dot = hexEnd(line, from: position)
                guard dot > position, dot < line.count, line[dot] == UInt8(ascii: ".") else { return nil }
                let end = hexEnd(line, from: dot + 1)
                return end > dot + 1 ? end : nil
            case .sqlstate:
                guard line.count - position >= 5 else { return nil }
                for offset in 0..<5 {
                    let byte = line[position + offset]
                    let isDigit = byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
                    let isUpper = byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z")
                    guard isDigit || isUpper else { return nil }
                }
                return position + 5
            case .virtualXID:
                // "procNumber/localXID", or nothing for a process without one.
                let slash = digitsEnd(line, from: position)
                guard slash > position else { return position }
                guard slash < line.count, line[slash] == UInt8(ascii: "/") else { return nil }
                let end = digitsEnd(line, from: slash + 1)
                return end > slash + 1 ? end : nil
            case .epoch:
                let dot = digitsEnd(line, from: position)
                guard dot > position, dot + 4 <= line.count, line[dot] == UInt8(ascii: ".") else { return nil }
                let end = digitsEnd(line, from: dot + 1)
                return end == dot + 4 ? end : nil
            case .timestampMilliseconds:
                return TimestampText.localEnd(line, from: position, milliseconds: true)
            case .timestamp, .sessionStart:
                return TimestampText.localEnd(line, from: position, milliseconds: false)
            default:
                return nil
            }
        }

        static func digitsEnd(_ line: UnsafeBufferPointer<UInt8>, from position: Int) -> Int {
            var index = position
            while index < line.count, line[index] &- UInt8(ascii: "0") < 10 { index += 1 }
            return index
        }

        static func hexEnd(_ line: UnsafeBufferPointer<UInt8>, from position: Int) -> Int {
            var index = position
            while index < line.count {
                let byte = line[index]
                guard byte &- UInt8(ascii: "0") < 10 || byte &- UInt8(ascii: "a") < 6 else { break }
                index += 1
            }
            return index
        }
    }
}

// MARK: - Times

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

/// Where ``LogLinePrefix`` writes the values of a line: ``LogLinePrefix/Fields``, or a ``LogEvent`` directly
/// (the stderr parser, which so builds no intermediate strings it would throw away).
protocol PrefixFieldTarget {
    var timestamp: String? { get set }
    var pid: Int? { get set }
    var user: String? { get set }
    var database: String? { get set }
    var applicationName: String? { get set }
    var remoteHost: String? { get set }
    var sessionID: String? { get set }
    var sessionLine: Int64? { get set }
    var virtualXID: String? { get set }
    var xid: Int64? { get set }
    var sqlstate: String? { get set }
    var backendType: String? { get set }
    var leaderPID: Int? { get set }
    var queryID: Int64? { get set }
    /// Whether the target keeps the values a log event has no field for (port, zone, `%i`, `%L`, `%s`).
    static var wantsExtras: Bool { get }
    mutating func setExtra(_ field: PrefixExtraField, _ value: String?)
}

/// The values of a prefix that a ``LogEvent`` has no field for.
enum PrefixExtraField {
    case remotePort, localAddress, commandTag, sessionStart, timeZone
}

extension LogLinePrefix.Fields: PrefixFieldTarget {
    static var wantsExtras: Bool { true }

    mutating func setExtra(_ field: PrefixExtraField, _ value: String?) {
        switch field {
        case .remotePort: remotePort = value
        case .localAddress: localAddress = value
        case .commandTag: commandTag = value
        case .sessionStart: sessionStart = value
        case .timeZone: timeZone = value
        }
    }
}

extension LogEvent: PrefixFieldTarget {
    static var wantsExtras: Bool { false }

    mutating func setExtra(_ field: PrefixExtraField, _ value: String?) {}
}
