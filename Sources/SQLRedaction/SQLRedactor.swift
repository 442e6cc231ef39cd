/// Takes the values out of SQL text and keeps its shape, for query texts from `pg_stat_activity`
/// and `pg_stat_statements` and for statements and bind parameters in server logs.
///
/// ## Literals
/// With ``redactLiterals`` on, every string constant of any kind (`'…'`, `E'…'`, `U&'…'`,
/// `B'…'`, `X'…'`, `N'…'`, dollar-quoted bodies) and every numeric constant becomes `?`.
/// A sign written right before a number in value position is part of the constant
/// (`= -5` → `= ?`, `a-5` → `a-?`). Type names around a constant stay (`interval '1 day'` →
/// `interval ?`, `'2024-01-01'::date` → `?::date`). Identifiers, keywords, `$n` parameters,
/// operators, comments and whitespace are copied byte for byte.
///
/// ## Collapsed lists
/// So that the same query with a different number of values reads (and groups) the same, lists
/// made only of constants keep their first element:
/// - `IN (1, 2, 3)` and `NOT IN (…)` become `IN (?)`, `ARRAY[1, 2, 3]` becomes `ARRAY[?]`.
/// - A multi-row `VALUES (1, 'a'), (2, 'b')` becomes `VALUES (?, ?) /*, ... */`: the marker is
///   the one PostgreSQL 18's `pg_stat_statements` uses for squashed lists, and it keeps a batch
///   insert distinguishable from a single-row one.
///
/// An element counts as a constant when it is a literal, `NULL`, `TRUE`, `FALSE` or an already
/// redacted `?`, optionally signed and optionally cast (`'…'::uuid`). Lists with identifiers,
/// parameters, expressions or subqueries are left alone. Comments in the dropped part go with it.
/// A list cut off by truncation collapses up to the end of the text. Redaction is idempotent.
///
/// ## Credentials
/// Statements that carry a credential have all their string constants masked even with
/// ``redactLiterals`` off; see ``isPasswordBearing(_:)``.
package struct SQLRedactor: Sendable {
    /// Whether constants are replaced by `?`. Defaults to `true`; credentials are masked either way.
    package var redactLiterals: Bool

    /// Makes a redactor; `redactLiterals` follows `[privacy] redact_query_literals`.
    package init(redactLiterals: Bool = true) {
        self.redactLiterals = redactLiterals
    }

    /// The redacted form of `sql`; the very same string when nothing needs to change.
    package func redact(_ sql: String) -> String {
        var sql = sql
        let redacted: String? = sql.withUTF8 { input in
            var splicer = Splicer(input: input)
            rewrite(&splicer)
            guard splicer.changed else { return nil }
            splicer.appendRemainder()
            // Replacements fall on ASCII token boundaries, so the bytes are still valid UTF-8.
            return String(decoding: splicer.output, as: UTF8.self)
        }
        return redacted ?? sql
    }

    /// The redacted form of raw bytes (log lines need not be valid UTF-8); `bytes` itself when
    /// nothing needs to change.
    package func redact(bytes: [UInt8]) -> [UInt8] {
        let redacted: [UInt8]? = bytes.withUnsafeBufferPointer { input in
            var splicer = Splicer(input: input)
            rewrite(&splicer)
            guard splicer.changed else { return nil }
            splicer.appendRemainder()
            return splicer.output
        }
        return redacted ?? bytes
    }

    /// Appends the redacted form of `input` to `output`, so a hot loop can reuse one buffer.
    package func appendRedacted(_ input: UnsafeBufferPointer<UInt8>, to output: inout [UInt8]) {
        var splicer = Splicer(input: input)
        swap(&splicer.output, &output)
        rewrite(&splicer)
        splicer.appendRemainder()
        swap(&splicer.output, &output)
    }

    /// Whether any statement in `sql` carries a credential:
    /// - `CREATE`/`ALTER` `ROLE`/`USER`/`GROUP` with `[ENCRYPTED] PASSWORD`;
    /// - `CREATE`/`ALTER USER MAPPING` with an option whose name contains `password`;
    /// - `CREATE`/`ALTER SUBSCRIPTION` with `CONNECTION`;
    /// - a call to `dblink_connect` or `dblink_connect_u`, or to `dblink` or `dblink_exec` whose
    ///   first argument is a connection string (holds `=` or `://`) rather than a connection name;
    /// - a string constant whose body is itself such a statement (`DO $$ … ALTER ROLE … $$`,
    ///   `EXECUTE '…'`), looked into two levels deep; there any `dblink`/`dblink_exec` call counts.
    ///
    /// Keywords match case-insensitively with comments skipped; statements are split at
    /// top-level `;`.
    package static func isPasswordBearing(_ sql: String) -> Bool {
        var sql = sql
        return sql.withUTF8 { isPasswordBearing($0) }
    }

    /// ``isPasswordBearing(_:)`` for raw bytes.
    package static func isPasswordBearing(_ input: UnsafeBufferPointer<UInt8>) -> Bool {
        var lexer = SQLLexer(input)
        while !lexer.isAtEnd {
            if statementCarriesCredential(&lexer, in: input, nesting: 0) { return true }
        }
        var tokens = SQLLexer(input)
        while let token = tokens.next() {
            if mayHideCredential(token, in: input) { return true }
        }
        return false
    }

    /// A constant that never closed may have swallowed later statements: with
    /// `standard_conforming_strings` unknown, a `\'` makes the rest of the text one constant
    /// (``SQLLexer``), and a credential statement inside it is no statement to the lexer. Such a
    /// constant is masked whole, literals kept or not, when it names a password, `dblink` or a
    /// subscription's `CONNECTION`.
    static func mayHideCredential(_ token: SQLToken, in input: UnsafeBufferPointer<UInt8>) -> Bool {
        guard !token.isTerminated, token.kind.isStringConstant else { return false }
        let bytes = input[token.range]
        let needles: [[UInt8]] = [Array("password".utf8), Array("dblink".utf8), Array("connection".utf8)]
        var index = bytes.startIndex
        while index < bytes.endIndex {
            for needle in needles where bytes.endIndex - index >= needle.count {
                var matched = true
                for offset in 0..<needle.count where bytes[index + offset] | 0x20 != needle[offset] {
                    matched = false
                    break
                }
                if matched { return true }
            }
            index += 1
        }
        return false
    }
}

// MARK: - Rewriting

extension SQLRedactor {
    /// Bytes to drop from the output when a list collapses, and what to write instead.
    private struct Skip {
        var range: Range<Int>
        var marker: StaticString
    }

    /// Keywords after which `-5` is a negative constant rather than a subtraction. Only reserved
    /// or near-reserved words: an unreserved one could be a column name (`start - 1`).
    private static let valueKeywords: [StaticString] = [
        "select", "where", "and", "or", "not", "case", "when", "then", "else", "return", "returning",
        "between", "like", "ilike", "similar", "limit", "offset", "default", "by", "with", "distinct",
        "all", "any", "some", "having", "on", "from", "for", "to", "in", "is", "using", "escape",
    ]

    /// One pass over the tokens. Only `(` and `[` look ahead (to decide on a collapse), and only
    /// with ``redactLiterals`` off do we read each statement twice: once to learn whether it
    /// carries a credential, once to rewrite it.
    private func rewrite(_ splicer: inout Splicer) {
        let input = splicer.input
        var lexer = SQLLexer(input)
        // The last two significant tokens are enough to tell a sign from a minus.
        var last: SQLToken?
        var beforeLast: SQLToken?
        var depth = 0
        var atStatementStart = true
        var maskStrings = redactLiterals
        var skip: Skip?
        while let token = lexer.next() {
            if let pending = skip, token.range.lowerBound == pending.range.lowerBound {
                splicer.replace(pending.range, with: pending.marker)
                lexer.position = pending.range.upperBound
                skip = nil
                continue
            }
            if atStatementStart, !redactLiterals {
                var probe = SQLLexer(input, position: token.range.lowerBound)
                maskStrings = Self.statementCarriesCredential(&probe, in: input, nesting: 0)
                atStatementStart = false
            }
            switch token.kind {
            case .string, .escapeString, .unicodeString, .bitString, .hexString, .dollarString:
                if maskStrings || Self.mayHideCredential(token, in: input) { splicer.replace(token.range, with: "?") }
            case .number where redactLiterals:
                var range = token.range
                if let sign = last, input.isSign(sign), sign.range.upperBound == range.lowerBound,
                   Self.isValuePosition(beforeLast, in: input) {
                    range = sign.range.lowerBound..<range.upperBound
                }
                splicer.replace(range, with: "?")
            case .openParen:
                depth += 1
                guard redactLiterals, skip == nil, let word = last, word.kind == .word else { break }
                if input.matches(word.range, "in") {
                    skip = Self.listCollapse(after: token, closing: .closeParen, in: input)
                } else if input.matches(word.range, "values") {
                    skip = Self.rowsCollapse(after: token, in: input)
                }
            case .openBracket:
                guard redactLiterals, skip == nil, let word = last, word.kind == .word else { break }
                if input.matches(word.range, "array") {
                    skip = Self.listCollapse(after: token, closing: .closeBracket, in: input)
                }
            case .closeParen:
                depth = max(0, depth - 1)
            case .semicolon where depth == 0:
                atStatementStart = true
            default:
                break
            }
            if !token.kind.isTrivia { (beforeLast, last) = (last, token) }
        }
    }

    private static func isValuePosition(_ token: SQLToken?, in input: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let token else { return true }
        switch token.kind {
        case .operatorSymbol, .openParen, .openBracket, .comma, .semicolon, .colon:
            return true
        case .word:
            return valueKeywords.contains { input.matches(token.range, $0) }
        default:
            return false
        }
    }
}

// MARK: - Collapsing constant lists

extension SQLRedactor {
    /// Where a constant-only list stands, as seen by a lookahead lexer.
    private struct ConstantList {
        var elements: Int
        /// End of the first element's last significant token: what follows it is dropped.
        var firstElementEnd: Int
        /// End of the last element's last significant token, or of the input if the list is cut off.
        var lastElementEnd: Int
        /// Just past the closing bracket, or the end of the input.
        var end: Int
        var isClosed: Bool
    }

    /// How far one list element has got. Signs may repeat (`- -1`) so that an element reads as a
    /// constant before redaction exactly when it does after (idempotence).
    private enum ElementState {
        case empty, signed, constant, cast

        var isComplete: Bool { self == .constant || self == .cast }

        func advanced(by token: SQLToken, in input: UnsafeBufferPointer<UInt8>) -> ElementState? {
            switch self {
            case .empty where input.isSign(token): .signed
            case .empty where SQLRedactor.isConstant(token, in: input): .constant
            case .signed where input.isSign(token): .signed
            case .signed where token.kind != .word && SQLRedactor.isConstant(token, in: input): .constant
            case .constant where token.kind == .typeCast: .cast
            case .cast:
                switch token.kind {
                case .word, .quotedIdentifier, .period, .typeCast: .cast
                default: nil
                }
            default: nil
            }
        }
    }

    private static func isConstant(_ token: SQLToken, in input: UnsafeBufferPointer<UInt8>) -> Bool {
        switch token.kind {
        case .number: return true
        case .operatorSymbol: return input.isPlaceholder(token)
        case .word: return input.matches(token.range, "null") || input.matches(token.range, "true")
            || input.matches(token.range, "false")
        default: return token.kind.isStringConstant
        }
    }

    /// Reads one bracketed list of constants, starting just after its opening bracket.
    private static func constantList(
        _ lexer: inout SQLLexer, closing: SQLTokenKind, in input: UnsafeBufferPointer<UInt8>
    ) -> ConstantList? {
        var state = ElementState.empty
        var elements = 1
        var firstElementEnd: Int?
        var lastEnd = lexer.position
        var castBrackets = 0  // the `[]` of `::int[]`, which must not close an `ARRAY[…]`
        while let token = lexer.next() {
            if token.kind.isTrivia { continue }
            switch token.kind {
            case .openBracket where state == .cast:
                castBrackets += 1
            case .closeBracket where state == .cast && castBrackets > 0:
                castBrackets -= 1
            case closing:
                guard state.isComplete, castBrackets == 0 else { return nil }
                return ConstantList(
                    elements: elements, firstElementEnd: firstElementEnd ?? lastEnd, lastElementEnd: lastEnd,
                    end: token.range.upperBound, isClosed: true)
            case .comma:
                guard state.isComplete, castBrackets == 0 else { return nil }
                if firstElementEnd == nil { firstElementEnd = lastEnd }
                elements += 1
                state = .empty
            default:
                guard let next = state.advanced(by: token, in: input) else { return nil }
                state = next
            }
            lastEnd = token.range.upperBound
        }
        // Cut off by truncation: whatever was there was constant.
        return ConstantList(
            elements: elements, firstElementEnd: firstElementEnd ?? lastEnd, lastElementEnd: input.count,
            end: input.count, isClosed: false)
    }

    /// `IN (…)` and `ARRAY[…]`: drop everything from the end of the first element to the end of
    /// the last one, keeping the spacing before the closing bracket.
    private static func listCollapse(
        after open: SQLToken, closing: SQLTokenKind, in input: UnsafeBufferPointer<UInt8>
    ) -> Skip? {
        var lexer = SQLLexer(input, position: open.range.upperBound)
        guard let list = constantList(&lexer, closing: closing, in: input), list.elements > 1 else { return nil }
        return Skip(range: list.firstElementEnd..<list.lastElementEnd, marker: "")
    }

    /// `VALUES (…), (…)`: keep the first row, replace the others with a marker.
    private static func rowsCollapse(after open: SQLToken, in input: UnsafeBufferPointer<UInt8>) -> Skip? {
        var lexer = SQLLexer(input, position: open.range.upperBound)
        guard let first = constantList(&lexer, closing: .closeParen, in: input), first.isClosed else { return nil }
        var rows = 1
        var lastRowEnd = first.end
        while let comma = lexer.nextSignificant(), comma.kind == .comma {
            rows += 1
            guard let open = lexer.nextSignificant() else {
                lastRowEnd = input.count  // cut off right after the comma
                break
            }
            guard open.kind == .openParen, let row = constantList(&lexer, closing: .closeParen, in: input) else {
                return nil
            }
            lastRowEnd = row.end
            if !row.isClosed { break }
        }
        guard rows > 1 else { return nil }
        return Skip(range: first.end..<lastRowEnd, marker: " /*, ... */")
    }
}

// MARK: - Credentials

extension SQLRedactor {
    private enum StatementForm { case other, role, userMapping, subscription }

    /// What the previous significant token asks the next one to be.
    private enum Expectation {
        case nothing, roleOrSubscription, userOrMapping, connectionString
        case callParen(needsConnectionString: Bool)
    }

    /// Reads one statement (through its top-level `;`) and tells whether it carries a credential.
    private static func statementCarriesCredential(
        _ lexer: inout SQLLexer, in input: UnsafeBufferPointer<UInt8>, nesting: Int
    ) -> Bool {
        var depth = 0
        var found = false
        var form = StatementForm.other
        var expecting = Expectation.nothing
        while let token = lexer.next() {
            if token.kind.isTrivia { continue }
            switch token.kind {
            case .semicolon where depth == 0: return found
            case .openParen: depth += 1
            case .closeParen: depth = max(0, depth - 1)
            default: break
            }
            if found { continue }  // still read to the end of the statement
            let isWord = token.kind == .word
            let expected = expecting
            expecting = .nothing
            switch expected {
            case .roleOrSubscription where isWord:
                if input.matches(token.range, "role") || input.matches(token.range, "group") {
                    form = .role
                    continue
                } else if input.matches(token.range, "user") {
                    expecting = .userOrMapping
                    continue
                } else if input.matches(token.range, "subscription") {
                    form = .subscription
                    continue
                }
            case .userOrMapping:
                if isWord, input.matches(token.range, "mapping") {
                    form = .userMapping
                    continue
                }
                form = .role
            case .callParen(let needsConnectionString) where token.kind == .openParen:
                if needsConnectionString {
                    expecting = .connectionString
                } else {
                    found = true
                }
                continue
            case .connectionString where token.kind.isStringConstant:
                let body = input.stringBody(of: token)
                // A constant continued over lines (`'postgresql:/' '//u:pw@h'`) may split `://` or
                // `=` across its segments: a quote inside the body means segments, and is taken as a
                // connection string (found by the fuzz suite, seed 0xd3c0112458e81e3f).
                if input.contains(body, "=") || input.contains(body, "://") || input.contains(body, "'") { found = true }
                continue
            default:
                break
            }
            if isWord {
                if input.matches(token.range, "create") || input.matches(token.range, "alter") {
                    expecting = .roleOrSubscription
                } else if form == .role, input.matches(token.range, "password") {
                    found = true
                } else if form == .subscription, input.matches(token.range, "connection") {
                    found = true
                } else if input.matches(token.range, "dblink_connect")
                            || input.matches(token.range, "dblink_connect_u") {
                    expecting = .callParen(needsConnectionString: false)
                } else if input.matches(token.range, "dblink") || input.matches(token.range, "dblink_exec") {
                    // Inside a string body the argument's quotes are doubled and read as `''`: any call counts.
                    expecting = .callParen(needsConnectionString: nesting == 0)
                }
            }
            if form == .userMapping, isWord || token.kind == .quotedIdentifier,
               input.contains(token.range, "password") {
                found = true
            } else if token.kind.isStringConstant, nesting < 2,
                      bodyCarriesCredential(input.stringBody(of: token), in: input, nesting: nesting + 1) {
                found = true
            }
        }
        return found
    }

    private static func bodyCarriesCredential(
        _ body: Range<Int>, in input: UnsafeBufferPointer<UInt8>, nesting: Int
    ) -> Bool {
        guard body.count >= 9 else { return false }  // the shortest match is a cut-off `dblink('=`
        let text = UnsafeBufferPointer(rebasing: input[body])
        var lexer = SQLLexer(text)
        while !lexer.isAtEnd {
            if statementCarriesCredential(&lexer, in: text, nesting: nesting) { return true }
        }
        return false
    }
}

// MARK: - Output

/// Copies the input to the output lazily: nothing is written before the first replacement, so a
/// text without literals costs no copy at all.
private struct Splicer {
    let input: UnsafeBufferPointer<UInt8>
    var output: [UInt8] = []
    private(set) var changed = false
    private var copied = 0

    init(input: UnsafeBufferPointer<UInt8>) {
        self.input = input
    }

    mutating func replace(_ range: Range<Int>, with replacement: StaticString) {
        if !changed {
            changed = true
            // Only into an empty buffer: reserving on a reused one would defeat its geometric growth.
            if output.isEmpty { output.reserveCapacity(input.count + 16) }
        }
        output.append(contentsOf: UnsafeBufferPointer(rebasing: input[copied..<range.lowerBound]))
        replacement.withUTF8Buffer { output.append(contentsOf: $0) }
        copied = range.upperBound
    }

    /// Appends the input not yet copied: all of it if nothing was replaced.
    mutating func appendRemainder() {
        output.append(contentsOf: UnsafeBufferPointer(rebasing: input[copied...]))
        copied = input.count
    }
}

// MARK: - Byte helpers

extension UnsafeBufferPointer<UInt8> {
    /// Case-insensitive ASCII comparison of a token with a lowercase keyword.
    fileprivate func matches(_ range: Range<Int>, _ keyword: StaticString) -> Bool {
        guard range.count == keyword.utf8CodeUnitCount else { return false }
        let letters = keyword.utf8Start
        for offset in 0..<range.count where Self.lowercased(self[range.lowerBound + offset]) != letters[offset] {
            return false
        }
        return true
    }

    /// Case-insensitive ASCII search for a lowercase needle.
    fileprivate func contains(_ range: Range<Int>, _ needle: StaticString) -> Bool {
        let length = needle.utf8CodeUnitCount
        guard range.count >= length else { return false }
        for start in range.lowerBound...(range.upperBound - length) where matches(start..<(start + length), needle) {
            return true
        }
        return false
    }

    fileprivate func isSign(_ token: SQLToken) -> Bool {
        token.kind == .operatorSymbol && token.range.count == 1
            && (self[token.range.lowerBound] == 0x2D || self[token.range.lowerBound] == 0x2B)
    }

    /// A lone `?`: the placeholder an earlier redaction left.
    fileprivate func isPlaceholder(_ token: SQLToken) -> Bool {
        token.kind == .operatorSymbol && token.range.count == 1 && self[token.range.lowerBound] == 0x3F
    }

    /// The bytes between the quotes (or dollar tags) of a string constant, as far as they go.
    fileprivate func stringBody(of token: SQLToken) -> Range<Int> {
        let opener: UInt8 = token.kind == .dollarString ? 0x24 : 0x27
        var start = token.range.lowerBound + (token.kind == .dollarString ? 1 : 0)
        while self[start] != opener { start += 1 }
        start += 1
        let closerLength = token.kind == .dollarString ? start - token.range.lowerBound : 1
        let end = token.isTerminated ? token.range.upperBound - closerLength : token.range.upperBound
        return start..<Swift.max(start, end)
    }

    private static func lowercased(_ byte: UInt8) -> UInt8 {
        byte &- 0x41 < 26 ? byte | 0x20 : byte
    }
}

extension SQLLexer {
    /// The next token that is not whitespace or a comment.
    fileprivate mutating func nextSignificant() -> SQLToken? {
        while let token = next() {
            if !token.kind.isTrivia { return token }
        }
        return nil
    }
}
