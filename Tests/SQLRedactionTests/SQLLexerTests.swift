@testable import SQLRedaction
import Testing

@Suite struct SQLLexerTests {
    /// The significant tokens of `sql` as `kind(text)`, space-separated; unterminated ones get a `…`.
    private func lexed(_ sql: String, trivia: Bool = false) -> String {
        let bytes = Array(sql.utf8)
        return SQLLexer.tokens(in: sql)
            .filter { trivia || !$0.kind.isTrivia }
            .map { "\($0.kind)(\(String(decoding: bytes[$0.range], as: UTF8.self)))\($0.isTerminated ? "" : "…")" }
            .joined(separator: " ")
    }

    /// The tokens always tile the input: no byte lost, none repeated.
    private func tiles(_ bytes: [UInt8]) -> Bool {
        var next = 0
        for token in SQLLexer.tokens(in: bytes) {
            guard token.range.lowerBound == next, !token.range.isEmpty else { return false }
            next = token.range.upperBound
        }
        return next == bytes.count
    }

    @Test func emptyInputHasNoTokens() {
        #expect(SQLLexer.tokens(in: "").isEmpty)
        #expect(SQLLexer.tokens(in: [UInt8]()).isEmpty)
    }

    @Test func identifiersKeywordsAndDollarInsideIdentifiers() {
        #expect(lexed("SELECT t1, col_2, a$b, _x FROM café") ==
            "word(SELECT) word(t1) comma(,) word(col_2) comma(,) word(a$b) comma(,) word(_x) word(FROM) word(café)")
        // `$$` after identifier characters belongs to the identifier, as in PostgreSQL.
        #expect(lexed("foo$$bar$$") == "word(foo$$bar$$)")
    }

    @Test func quotedIdentifiersKeepDoubledQuotesAndSingleQuotes() {
        #expect(lexed(#"SELECT "weird 'name'", "a""b" FROM "T""#) ==
            #"word(SELECT) quotedIdentifier("weird 'name'") comma(,) quotedIdentifier("a""b") word(FROM) quotedIdentifier("T")"#)
    }

    @Test func stringConstantsWithDoubledQuotes() {
        #expect(lexed("name = 'O''Brien'") == "word(name) operatorSymbol(=) string('O''Brien')")
        #expect(lexed("''''") == "string('''')")
    }

    @Test func adjacentStringsJoinOnlyAcrossALineBreak() {
        #expect(lexed("SELECT 'foo'\n  'bar'") == "word(SELECT) string('foo'\n  'bar')")
        #expect(lexed("SELECT 'foo' -- note\n'bar'") == "word(SELECT) string('foo' -- note\n'bar')")
        #expect(lexed("SELECT 'foo' 'bar'") == "word(SELECT) string('foo') string('bar')")
        #expect(lexed("SELECT 'foo' /* c */\n'bar'") == "word(SELECT) string('foo') string('bar')")
    }

    @Test func escapeStringsHonourBackslashes() {
        #expect(lexed(#"E'\'' x"#) == #"escapeString(E'\'') word(x)"#)
        #expect(lexed(#"e'a\\' x"#) == #"escapeString(e'a\\') word(x)"#)
        #expect(lexed(#"E'it''s\n'"#) == #"escapeString(E'it''s\n')"#)
        // Without the prefix a backslash before a quote reads two ways (standard_conforming_strings on:
        // the quote ends the constant; off: it is escaped), so the constant runs to the end. An even
        // run of backslashes reads the same both ways.
        #expect(lexed(#"'a\' x"#) == #"string('a\' x)…"#)
        #expect(lexed(#"'a\\' x"#) == #"string('a\\') word(x)"#)
        #expect(lexed(#"'a\b' x"#) == #"string('a\b') word(x)"#)
        // A continuation keeps the escape rules of the first segment.
        #expect(lexed("E'a'\n'\\'' x") == "escapeString(E'a'\n'\\'') word(x)")
    }

    @Test func prefixedConstantsOnlyAtTokenStart() {
        #expect(lexed(#"U&'d\0061t' U&"d\0061t" u&'x'"#) ==
            #"unicodeString(U&'d\0061t') quotedIdentifier(U&"d\0061t") unicodeString(u&'x')"#)
        #expect(lexed("B'1010' X'1F' N'abc' b'' x'ff'") ==
            "bitString(B'1010') hexString(X'1F') string(N'abc') bitString(b'') hexString(x'ff')")
        #expect(lexed("abe'x' U & 'y'") == "word(abe) string('x') word(U) operatorSymbol(&) string('y')")
    }

    @Test func dollarQuotesAndParameters() {
        #expect(lexed("$$it's$$ $1 $23") == "dollarString($$it's$$) parameter($1) parameter($23)")
        let function = "AS $fn$ BEGIN RETURN $$x$$ || $1; END $fn$ LANGUAGE plpgsql"
        #expect(lexed(function) ==
            "word(AS) dollarString($fn$ BEGIN RETURN $$x$$ || $1; END $fn$) word(LANGUAGE) word(plpgsql)")
        // A tag cannot start with a digit; a different tag does not close the quote.
        #expect(lexed("$1$") == "parameter($1) other($)")
        #expect(lexed("$a$ $b$ $A$ $a$") == "dollarString($a$ $b$ $A$ $a$)")
        #expect(lexed("$_t9$x$_t9$") == "dollarString($_t9$x$_t9$)")
        #expect(lexed("$ x") == "other($) word(x)")
    }

    @Test(arguments: ["42", "3.5", "4.", ".001", "5e2", "1.925e-3", "1E+10", "0x1F", "0o17", "0b101", "1_000_000", "0X_ff"])
    func numericConstantsAreOneToken(_ number: String) {
        #expect(lexed("x = \(number);") == "word(x) operatorSymbol(=) number(\(number)) semicolon(;)")
    }

    @Test func numbersStopWhereTheirSyntaxEnds() {
        #expect(lexed("1..10") == "number(1) operatorSymbol(..) number(10)")
        #expect(lexed("1e") == "number(1) word(e)")
        #expect(lexed("1__0") == "number(1) word(__0)")
        #expect(lexed("0x") == "number(0) word(x)")
        #expect(lexed("t.col") == "word(t) period(.) word(col)")
    }

    @Test func operatorsAreCutAsPostgresCutsThem() {
        #expect(lexed("a-5") == "word(a) operatorSymbol(-) number(5)")
        #expect(lexed("x=-5") == "word(x) operatorSymbol(=) operatorSymbol(-) number(5)")
        #expect(lexed("x@-5") == "word(x) operatorSymbol(@-) number(5)")
        #expect(lexed("a<>b a->>'k' a||b a!=b") == "word(a) operatorSymbol(<>) word(b) word(a) operatorSymbol(->>) "
            + "string('k') word(a) operatorSymbol(||) word(b) word(a) operatorSymbol(!=) word(b)")
        #expect(lexed("a+/*c*/b", trivia: true) == "word(a) operatorSymbol(+) blockComment(/*c*/) word(b)")
        #expect(lexed("a*--c", trivia: true) == "word(a) operatorSymbol(*) lineComment(--c)")
    }

    @Test func punctuationAndCasts() {
        #expect(lexed("f(a[1:2])::int, x := 1;") == "word(f) openParen(() word(a) openBracket([) number(1) colon(:) "
            + "number(2) closeBracket(]) closeParen()) typeCast(::) word(int) comma(,) word(x) operatorSymbol(:=) "
            + "number(1) semicolon(;)")
        #expect(lexed("'2024-01-01'::date") == "string('2024-01-01') typeCast(::) word(date)")
    }

    @Test func commentsHideQuotesAndQuotesHideComments() {
        #expect(lexed("SELECT 1 -- it's 'fine'\n, 2", trivia: true) ==
            "word(SELECT) whitespace( ) number(1) whitespace( ) lineComment(-- it's 'fine') whitespace(\n) comma(,) whitespace( ) number(2)")
        #expect(lexed("/* outer /* inner 'q' */ still */ x", trivia: true) ==
            "blockComment(/* outer /* inner 'q' */ still */) whitespace( ) word(x)")
        #expect(lexed("'-- no' '/* no */' \"--id\"") == "string('-- no') string('/* no */') quotedIdentifier(\"--id\")")
        #expect(lexed("/**/x/***/", trivia: true) == "blockComment(/**/) word(x) blockComment(/***/)")
    }

    @Test func truncatedTokensRunToTheEnd() {
        #expect(lexed("WHERE a = 'abc") == "word(WHERE) word(a) operatorSymbol(=) string('abc)…")
        #expect(lexed("WHERE a = 'it''") == "word(WHERE) word(a) operatorSymbol(=) string('it'')…")
        #expect(lexed(#"E'abc\"#) == #"escapeString(E'abc\)…"#)
        #expect(lexed(#"SELECT "col"#) == #"word(SELECT) quotedIdentifier("col)…"#)
        #expect(lexed("x /* a /* b */", trivia: true) == "word(x) whitespace( ) blockComment(/* a /* b */)…")
        #expect(lexed("AS $fn$ BEGIN $$") == "word(AS) dollarString($fn$ BEGIN $$)…")
        #expect(lexed("AS $fn") == "word(AS) other($) word(fn)")
        #expect(lexed("x -- note", trivia: true) == "word(x) whitespace( ) lineComment(-- note)")
    }

    @Test func rangesAreUTF8ByteOffsets() {
        let sql = "SELECT 'Grüße' AS naïve"
        let tokens = SQLLexer.tokens(in: sql).filter { !$0.kind.isTrivia }
        #expect(tokens.map(\.range) == [0..<6, 7..<16, 17..<19, 20..<26])
        #expect(lexed(sql) == "word(SELECT) string('Grüße') word(AS) word(naïve)")
    }

    @Test func tokensTileEveryInput() {
        let samples = [
            "SELECT * FROM t WHERE id IN (1,2,3) AND name = 'O''Brien'",
            "$fn$ x $fn", "'a'\n'b", "/* /* */", "U&", "e'", "0b", "1.e5", "\\{}\u{0}", "-", "$",
        ]
        for sample in samples { #expect(tiles(Array(sample.utf8)), "\(sample)") }
        // Invalid UTF-8 is carried along inside words and strings.
        #expect(tiles([0x53, 0xFF, 0xC3, 0x27, 0x80, 0x27, 0xE2, 0x82]))
    }

    @Test func lexerRunsOverRawBuffersFromAnyPosition() {
        let bytes = Array("SELECT 1".utf8)
        let kinds = bytes.withUnsafeBufferPointer { buffer in
            Array(SQLLexer(buffer, position: 6)).map(\.kind)
        }
        #expect(kinds == [.whitespace, .number])
    }
}
