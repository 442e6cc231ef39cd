/// The lexical class of a ``SQLToken``, as PostgreSQL's scanner (`scan.l`) sees it.
package enum SQLTokenKind: UInt8, Sendable, Hashable {
    /// Spaces, tabs, line breaks, form feeds and vertical tabs.
    case whitespace
    /// `-- …` up to, but not including, the line break.
    case lineComment
    /// `/* … */`, nesting as PostgreSQL nests it.
    case blockComment
    /// An unquoted identifier or keyword: PostgreSQL tells them apart only in its grammar, and so do we.
    case word
    /// `"…"` or `U&"…"`.
    case quotedIdentifier
    /// `'…'` or `N'…'`, with any continuation segments glued on.
    case string
    /// `E'…'`, where backslash escapes apply.
    case escapeString
    /// `U&'…'`.
    case unicodeString
    /// `B'…'`.
    case bitString
    /// `X'…'`.
    case hexString
    /// `$$…$$` or `$tag$…$tag$`.
    case dollarString
    /// A positional parameter such as `$1`.
    case parameter
    /// An integer, decimal, real, hexadecimal, octal or binary constant, without its sign.
    case number
    /// A run of operator characters, cut where PostgreSQL cuts it; also `:=` and `..`.
    case operatorSymbol
    /// `::`.
    case typeCast
    /// `(`.
    case openParen
    /// `)`.
    case closeParen
    /// `[`.
    case openBracket
    /// `]`.
    case closeBracket
    /// `,`.
    case comma
    /// `;`.
    case semicolon
    /// `:` on its own (array slices, psql variables).
    case colon
    /// `.` when not part of a number.
    case period
    /// A byte PostgreSQL would reject (a lone `$`, `\`, `{`, a control character): kept so no input is lost.
    case other

    /// Whitespace and comments: what may sit between two tokens without changing the statement.
    package var isTrivia: Bool {
        switch self {
        case .whitespace, .lineComment, .blockComment: true
        default: false
        }
    }

    /// Every form of quoted constant, the dollar-quoted one included.
    package var isStringConstant: Bool {
        switch self {
        case .string, .escapeString, .unicodeString, .bitString, .hexString, .dollarString: true
        default: false
        }
    }
}

/// One token: its kind and the bytes it covers.
package struct SQLToken: Sendable, Hashable {
    /// What the bytes are.
    package var kind: SQLTokenKind
    /// Byte offsets into the lexed buffer (for a `String`, into its `utf8` view).
    package var range: Range<Int>
    /// False when a string, quoted identifier, comment or dollar quote runs into the end of the input,
    /// which happens all the time with texts cut by `track_activity_query_size`.
    package var isTerminated: Bool

    /// Makes a token; the lexer is the usual source.
    package init(kind: SQLTokenKind, range: Range<Int>, isTerminated: Bool = true) {
        self.kind = kind
        self.range = range
        self.isTerminated = isTerminated
    }
}

/// A PostgreSQL-compatible SQL lexer over UTF-8 bytes.
///
/// It follows the rules of
/// [Lexical Structure](https://www.postgresql.org/docs/current/sql-syntax-lexical.html) with
/// `standard_conforming_strings = on` (the default since 9.1) and PostgreSQL 16's numeric forms.
/// It never fails: bytes PostgreSQL would reject become ``SQLTokenKind/other`` tokens, and the
/// tokens always cover the input exactly, so a caller can rebuild the text from them.
///
/// The lexer works on bytes, not `Character`s, and allocates nothing: the log pipeline runs it
/// over every statement it ships. Bytes from 0x80 up are identifier characters, as in PostgreSQL,
/// so a multi-byte character never straddles a token boundary outside strings and comments,
/// and invalid UTF-8 is simply carried along.
///
/// The buffer is borrowed: use the lexer inside `withUTF8`/`withUnsafeBufferPointer` and do not
/// let it escape.
package struct SQLLexer: Sequence, IteratorProtocol {
    private let bytes: UnsafeBufferPointer<UInt8>
    /// Offset of the next byte to lex. Setting it is allowed at token boundaries only.
    package var position: Int

    /// Lexes `bytes` from `position` on.
    package init(_ bytes: UnsafeBufferPointer<UInt8>, position: Int = 0) {
        self.bytes = bytes
        self.position = position
    }

    /// True once every byte has been handed out as part of a token.
    package var isAtEnd: Bool { position >= bytes.count }

    /// The next token, or nil at the end of the input.
    package mutating func next() -> SQLToken? {
        let start = position
        guard start < bytes.count else { return nil }
        let (kind, end, terminated) = scan(at: start)
        position = end
        return SQLToken(kind: kind, range: start..<end, isTerminated: terminated)
    }

    /// All tokens of `sql`, with ranges into `sql.utf8`; for callers that want them as values.
    package static func tokens(in sql: String) -> [SQLToken] {
        var sql = sql
        return sql.withUTF8 { Array(SQLLexer($0)) }
    }

    /// All tokens of `bytes`.
    package static func tokens(in bytes: [UInt8]) -> [SQLToken] {
        bytes.withUnsafeBufferPointer { Array(SQLLexer($0)) }
    }
}

// MARK: - Scanning

extension SQLLexer {
    private static let tab: UInt8 = 0x09, newline: UInt8 = 0x0A, verticalTab: UInt8 = 0x0B
    private static let formFeed: UInt8 = 0x0C, carriageReturn: UInt8 = 0x0D, space: UInt8 = 0x20
    private static let doubleQuote: UInt8 = 0x22, dollar: UInt8 = 0x24, ampersand: UInt8 = 0x26
    private static let quote: UInt8 = 0x27, star: UInt8 = 0x2A, plus: UInt8 = 0x2B, minus: UInt8 = 0x2D
    private static let dot: UInt8 = 0x2E, slash: UInt8 = 0x2F, zero: UInt8 = 0x30, colon: UInt8 = 0x3A
    private static let equals: UInt8 = 0x3D, backslash: UInt8 = 0x5C, underscore: UInt8 = 0x5F

    private enum QuoteStyle { case standard, backslashEscapes, bits }

    /// The byte at `index`, or 0 past the end (0 never starts or continues anything we look for).
    private func byte(at index: Int) -> UInt8 {
        index < bytes.count ? bytes[index] : 0
    }

    /// Dispatches on the first byte. The cases are plain literals so that the compiler can
    /// build a jump table: this switch runs once per token, on every log line.
    private func scan(at start: Int) -> (SQLTokenKind, Int, Bool) {
        let first = bytes[start]
        let second = byte(at: start + 1)
        switch first {
        case 0x41...0x5A, 0x61...0x7A, 0x5F, 0x80...0xFF:  // letters, _, non-ASCII
            return wordOrPrefixedConstant(at: start)
        case 0x09...0x0D, 0x20:
            var end = start + 1
            while end < bytes.count, Self.isSpace(bytes[end]) { end += 1 }
            return (.whitespace, end, true)
        case 0x30...0x39:
            return (.number, numberEnd(from: start), true)
        case 0x27:  // '
            let (end, closed) = quotedStringEnd(from: start + 1, style: .standard)
            return (.string, end, closed)
        case 0x22:  // "
            let (end, closed) = quotedIdentifierEnd(from: start + 1)
            return (.quotedIdentifier, end, closed)
        case 0x24:  // $
            return dollar(at: start)
        case 0x28: return (.openParen, start + 1, true)
        case 0x29: return (.closeParen, start + 1, true)
        case 0x5B: return (.openBracket, start + 1, true)
        case 0x5D: return (.closeBracket, start + 1, true)
        case 0x2C: return (.comma, start + 1, true)
        case 0x3B: return (.semicolon, start + 1, true)
        case 0x2E:  // .
            if Self.isDigit(second) { return (.number, numberEnd(from: start), true) }
            if second == Self.dot { return (.operatorSymbol, start + 2, true) }  // PL/pgSQL's `1..10`
            return (.period, start + 1, true)
        case 0x3A:  // :
            if second == Self.colon { return (.typeCast, start + 2, true) }
            if second == Self.equals { return (.operatorSymbol, start + 2, true) }
            return (.colon, start + 1, true)
        case 0x2D:  // -
            if second == Self.minus { return (.lineComment, lineEnd(from: start + 2), true) }
            return (.operatorSymbol, operatorEnd(from: start), true)
        case 0x2F:  // /
            if second == Self.star {
                let (end, closed) = blockCommentEnd(from: start + 2)
                return (.blockComment, end, closed)
            }
            return (.operatorSymbol, operatorEnd(from: start), true)
        case 0x7E, 0x21, 0x40, 0x23, 0x5E, 0x26, 0x7C, 0x60, 0x3F, 0x2B, 0x2A, 0x25, 0x3C, 0x3E, 0x3D:
            return (.operatorSymbol, operatorEnd(from: start), true)  // ~ ! @ # ^ & | ` ? + * % < > =
        default:
            return (.other, start + 1, true)
        }
    }

    private func lineEnd(from start: Int) -> Int {
        var i = start
        while i < bytes.count, bytes[i] != Self.newline, bytes[i] != Self.carriageReturn { i += 1 }
        return i
    }

    private func blockCommentEnd(from start: Int) -> (Int, Bool) {
        var depth = 1
        var i = start
        while i < bytes.count {
            let current = bytes[i], next = byte(at: i + 1)
            if current == Self.slash, next == Self.star {
                depth += 1
                i += 2
            } else if current == Self.star, next == Self.slash {
                depth -= 1
                i += 2
                if depth == 0 { return (i, true) }
            } else {
                i += 1
            }
        }
        return (bytes.count, false)
    }

    /// Scans from just after an opening quote. `'a'` followed by whitespace holding a line break
    /// and another `'…'` is one constant in PostgreSQL, and the continuation keeps the first
    /// segment's escape rules, so we glue it on here.
    private func quotedStringEnd(from start: Int, style: QuoteStyle) -> (Int, Bool) {
        var i = start
        while i < bytes.count {
            switch bytes[i] {
            case Self.quote:
                if style != .bits, byte(at: i + 1) == Self.quote {
                    i += 2
                } else if let resume = continuation(after: i + 1) {
                    i = resume + 1
                } else {
                    return (i + 1, true)
                }
            case Self.backslash where style == .backslashEscapes:
                i += 2
            case Self.backslash where style == .standard:
                // With standard_conforming_strings off (a per-session setting the log does not show),
                // `\'` escapes the quote; with it on, the quote ends the constant. The two readings pair
                // every later quote differently, so either could leave a value outside a literal. An
                // odd run of backslashes before a quote is therefore read as a constant that runs to
                // the end: the rest is masked, whichever setting the session had. An even run means
                // the same under both, and the quote after it is handled as usual.
                var run = 0
                while byte(at: i + run) == Self.backslash { run += 1 }
                if run % 2 == 1, byte(at: i + run) == Self.quote { return (bytes.count, false) }
                i += run
            default:
                i += 1
            }
        }
        return (bytes.count, false)
    }

    /// The offset of the quote that continues a constant ending just before `start`, if any:
    /// only whitespace and `--` comments may come between, with at least one line break.
    private func continuation(after start: Int) -> Int? {
        var i = start
        var sawLineBreak = false
        while i < bytes.count {
            switch bytes[i] {
            case Self.newline, Self.carriageReturn:
                sawLineBreak = true
                i += 1
            case Self.tab, Self.verticalTab, Self.formFeed, Self.space:
                i += 1
            case Self.minus where byte(at: i + 1) == Self.minus:
                i = lineEnd(from: i + 2)
            case Self.quote:
                return sawLineBreak ? i : nil
            default:
                return nil
            }
        }
        return nil
    }

    private func quotedIdentifierEnd(from start: Int) -> (Int, Bool) {
        var i = start
        while i < bytes.count {
            if bytes[i] == Self.doubleQuote {
                guard byte(at: i + 1) == Self.doubleQuote else { return (i + 1, true) }
                i += 2
            } else {
                i += 1
            }
        }
        return (bytes.count, false)
    }

    /// `$1`, a dollar quote, or a lone `$`. A tag follows identifier rules minus `$`, so it cannot
    /// start with a digit (that is a parameter), and the body ends at the first exact repeat of
    /// the opening tag; `$$` inside `$fn$…$fn$` is just text.
    private func dollar(at start: Int) -> (SQLTokenKind, Int, Bool) {
        var i = start + 1
        if Self.isDigit(byte(at: i)) {
            while Self.isDigit(byte(at: i)) { i += 1 }
            return (.parameter, i, true)
        }
        if i < bytes.count, Self.isIdentifierStart(bytes[i]) {
            while i < bytes.count, Self.isIdentifierStart(bytes[i]) || Self.isDigit(bytes[i]) { i += 1 }
        }
        guard byte(at: i) == Self.dollar else { return (.other, start + 1, true) }
        let tagLength = i + 1 - start
        var candidate = i + 1
        while candidate + tagLength <= bytes.count {
            if bytes[candidate] == Self.dollar, hasTag(at: candidate, openedAt: start, length: tagLength) {
                return (.dollarString, candidate + tagLength, true)
            }
            candidate += 1
        }
        return (.dollarString, bytes.count, false)
    }

    private func hasTag(at candidate: Int, openedAt start: Int, length: Int) -> Bool {
        for offset in 1..<length where bytes[candidate + offset] != bytes[start + offset] { return false }
        return true
    }

    /// Numeric constants as PostgreSQL 16 reads them (`0x1F`, `0o17`, `0b101`, `1_000`); older
    /// servers read `0x1F` as `0` and `x1F`, which only ever happens in a syntax error.
    private func numberEnd(from start: Int) -> Int {
        if bytes[start] == Self.zero, let radix = Self.radix(byte(at: start + 1)) {
            var i = start + 2
            var digits = 0
            while i < bytes.count {
                if Self.isDigit(bytes[i], radix: radix) {
                    i += 1
                } else if bytes[i] == Self.underscore, Self.isDigit(byte(at: i + 1), radix: radix) {
                    i += 2
                } else {
                    break
                }
                digits += 1
            }
            if digits > 0 { return i }
        }
        var i = digitsEnd(from: start)
        // `1..10` is an integer followed by `..` (PL/pgSQL ranges), not `1.` and `.10`.
        if byte(at: i) == Self.dot, byte(at: i + 1) != Self.dot {
            i = digitsEnd(from: i + 1)
        }
        if byte(at: i) | 0x20 == 0x65 {  // e or E
            var j = i + 1
            if byte(at: j) == Self.plus || byte(at: j) == Self.minus { j += 1 }
            if Self.isDigit(byte(at: j)) { i = digitsEnd(from: j) }
        }
        return i
    }

    /// Decimal digits, with single underscores allowed between two digits.
    private func digitsEnd(from start: Int) -> Int {
        var i = start
        while i < bytes.count {
            if Self.isDigit(bytes[i]) {
                i += 1
            } else if bytes[i] == Self.underscore, i > start, Self.isDigit(byte(at: i + 1)) {
                i += 2
            } else {
                break
            }
        }
        return i
    }

    /// An operator is a run of operator characters, but PostgreSQL cuts it before `--` or `/*`,
    /// and drops a trailing `+`/`-` unless the operator holds one of `~!@#%^&|\`?`: that is what
    /// makes `=-5` read as `=` followed by `-5`.
    private func operatorEnd(from start: Int) -> Int {
        var end = start + 1
        while end < bytes.count, Self.isOperatorCharacter(bytes[end]) {
            let next = byte(at: end + 1)
            if (bytes[end] == Self.minus && next == Self.minus) || (bytes[end] == Self.slash && next == Self.star) {
                break
            }
            end += 1
        }
        if end - start > 1, bytes[end - 1] == Self.plus || bytes[end - 1] == Self.minus,
           !(start..<(end - 1)).contains(where: { Self.keepsTrailingSign(bytes[$0]) }) {
            repeat { end -= 1 } while end - start > 1 && (bytes[end - 1] == Self.plus || bytes[end - 1] == Self.minus)
        }
        return end
    }

    /// A word, unless it is one of the one-letter prefixes glued to a quote: `E'`, `B'`, `X'`,
    /// `N'`, `U&'` and `U&"`. Only at the start of a token, as in PostgreSQL: `abe'x'` is `abe`
    /// followed by a string.
    private func wordOrPrefixedConstant(at start: Int) -> (SQLTokenKind, Int, Bool) {
        let letter = bytes[start] | 0x20
        let second = byte(at: start + 1)
        if second == Self.quote {
            let style: QuoteStyle, kind: SQLTokenKind
            switch letter {
            case 0x65: (style, kind) = (.backslashEscapes, .escapeString)  // e
            case 0x62: (style, kind) = (.bits, .bitString)  // b
            case 0x78: (style, kind) = (.bits, .hexString)  // x
            case 0x6E: (style, kind) = (.standard, .string)  // n
            default: return wordEnd(from: start)
            }
            let (end, closed) = quotedStringEnd(from: start + 2, style: style)
            return (kind, end, closed)
        }
        if letter == 0x75, second == Self.ampersand {  // u&
            if byte(at: start + 2) == Self.quote {
                let (end, closed) = quotedStringEnd(from: start + 3, style: .standard)
                return (.unicodeString, end, closed)
            }
            if byte(at: start + 2) == Self.doubleQuote {
                let (end, closed) = quotedIdentifierEnd(from: start + 3)
                return (.quotedIdentifier, end, closed)
            }
        }
        return wordEnd(from: start)
    }

    private func wordEnd(from start: Int) -> (SQLTokenKind, Int, Bool) {
        var end = start + 1
        while end < bytes.count, Self.isIdentifierContinue(bytes[end]) { end += 1 }
        return (.word, end, true)
    }

    // MARK: Character classes

    // Bit n of a mask is set when byte n (or n + 64) belongs to the class: one shift and one
    // test per byte in the inner loops, with no table in memory.
    private static let spaceMask: UInt64 = 1 << 0x20 | 0b11_1110_0000_0000  // \t \n \v \f \r and space
    private static let digitMask: UInt64 = 0x03FF << 0x30
    private static let lettersMaskHigh: UInt64 = 0x07FF_FFFE_87FF_FFFE  // A-Z, _, a-z (bytes 64-127)
    private static let operatorMaskLow: UInt64 = 1 << 0x21 | 1 << 0x23 | 1 << 0x25 | 1 << 0x26 | 1 << 0x2A
        | 1 << 0x2B | 1 << 0x2D | 1 << 0x2F | 1 << 0x3C | 1 << 0x3D | 1 << 0x3E | 1 << 0x3F  // ! # % & * + - / < = > ?
    private static let operatorMaskHigh: UInt64 = 1 << (0x40 - 64) | 1 << (0x5E - 64) | 1 << (0x60 - 64)
        | 1 << (0x7C - 64) | 1 << (0x7E - 64)  // @ ^ ` | ~

    private static func isSpace(_ byte: UInt8) -> Bool {
        byte < 64 && spaceMask &>> byte & 1 == 1
    }

    private static func isDigit(_ byte: UInt8) -> Bool {
        byte &- zero < 10
    }

    /// Letters, `_` and every byte from 0x80 up, exactly PostgreSQL's `ident_start`.
    private static func isIdentifierStart(_ byte: UInt8) -> Bool {
        byte >= 0x80 || (byte >= 64 && lettersMaskHigh &>> (byte - 64) & 1 == 1)
    }

    /// `ident_cont`: `ident_start`, digits and `$`.
    private static func isIdentifierContinue(_ byte: UInt8) -> Bool {
        if byte >= 64 { return byte >= 0x80 || lettersMaskHigh &>> (byte - 64) & 1 == 1 }
        return (digitMask | 1 << 0x24) &>> byte & 1 == 1
    }

    private static func isOperatorCharacter(_ byte: UInt8) -> Bool {
        if byte < 64 { return operatorMaskLow &>> byte & 1 == 1 }
        return byte < 128 && operatorMaskHigh &>> (byte - 64) & 1 == 1
    }

    private static func keepsTrailingSign(_ byte: UInt8) -> Bool {
        switch byte {
        case 0x7E, 0x21, 0x40, 0x23, 0x5E, 0x26, 0x7C, 0x60, 0x3F, 0x25: true  // ~ ! @ # ^ & | ` ? %
        default: false
        }
    }

    private static func radix(_ byte: UInt8) -> UInt8? {
        switch byte | 0x20 {
        case 0x78: 16  // x
        case 0x6F: 8  // o
        case 0x62: 2  // b
        default: nil
        }
    }

    private static func isDigit(_ byte: UInt8, radix: UInt8) -> Bool {
        if radix == 16 { return isDigit(byte) || (byte | 0x20) &- 0x61 < 6 }
        return byte &- zero < radix
    }
}
