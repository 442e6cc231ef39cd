import Foundation
@testable import SQLRedaction
import TestSupport
import Testing

/// Seeded fuzzing of the SQL lexer and redactor (RELIABILITY.md, "Fuzzing").
///
/// Two targets:
/// - `secretsInLiterals`: statements generated so that marker secrets sit only inside string constants,
///   written in every form PostgreSQL reads (`'…'` with doubled quotes, `E'…'` with backslash escapes, the
///   `\'` of `standard_conforming_strings = off`, dollar quotes, `U&'…'`, `N'…'`, continuation segments),
///   some of them in statements that carry a credential (`ALTER ROLE … PASSWORD`, user mappings,
///   subscriptions, dblink, nested in `DO` bodies and `EXECUTE` strings). Whole or cut anywhere, the
///   redacted text never contains a secret; with `redact_query_literals` off, never one of a credential
///   statement's.
/// - `mutatedStatements`: those statements and realistic ones, mutated, and random bytes: the lexer's tokens
///   cover the input exactly; redaction is idempotent, grows the text only by the `VALUES` marker, agrees
///   between `String`, bytes and `appendRedacted`, leaves a text alone when no statement carries a
///   credential (literals off), and never leaves a secret that the lexer itself reads as inside a string
///   constant; ``QueryText/truncate(_:maxBytes:)`` cuts on a scalar boundary.
@Suite struct FuzzSQLRedactionTests {
    static let secretIterations = 2_000
    static let mutationIterations = 3_000

    private let redactor = SQLRedactor()
    private let credentialsOnly = SQLRedactor(redactLiterals: false)

    // MARK: - Targets

    @Test func secretsInLiterals() {
        let run = FuzzRun(target: "FuzzSQLRedactionTests/secretsInLiterals", defaultIterations: Self.secretIterations)
        var failures = 0
        for iteration in run.iterations {
            run.willRun(iteration)
            var random = run.generator(for: iteration)
            let generated = Self.statements(using: &random)
            var problems = check(generated, text: generated.sql, cut: false)
            let cut = QueryText.truncate(generated.sql, maxBytes: Int.random(in: 0...generated.sql.utf8.count, using: &random)).text
            problems += check(generated, text: cut, cut: true)
            if !problems.isEmpty {
                Issue.record("\(run.failure(iteration: iteration, text: generated.sql, problems: ["cut at \(cut.utf8.count) bytes"] + problems))")
                failures += 1
                if failures >= run.maximumFailures { break }
            }
        }
    }

    @Test func mutatedStatements() {
        let run = FuzzRun(target: "FuzzSQLRedactionTests/mutatedStatements", defaultIterations: Self.mutationIterations)
        var failures = 0
        for iteration in run.iterations {
            run.willRun(iteration)
            var random = run.generator(for: iteration)
            var secrets: [[UInt8]] = []
            let input: [UInt8]
            switch Int.random(in: 0..<8, using: &random) {
            case 0:
                input = FuzzInput.randomBytes(count: Int.random(in: 0...512, using: &random),
                                              alphabet: Array("'\"$\\-/*();,eEuU&xXbBnN0123456789 \n".utf8), using: &random)
            case 1, 2:
                input = FuzzInput.mutate(Array(FuzzInput.pick(Self.realistic, using: &random).utf8), dictionary: Self.sqlTokens,
                                         using: &random, maximumCount: 16 << 10)
            default:
                let generated = Self.statements(using: &random)
                secrets = generated.secrets.map { Array($0.utf8) }
                input = FuzzInput.mutate(Array(generated.sql.utf8), dictionary: Self.sqlTokens, using: &random, maximumCount: 16 << 10)
            }
            let problems = checkMutated(input, secrets: secrets, cut: Int.random(in: 0...input.count, using: &random))
            if !problems.isEmpty {
                Issue.record("\(run.failure(iteration: iteration, input: input, problems: problems))")
                failures += 1
                if failures >= run.maximumFailures { break }
            }
        }
    }

    // MARK: - Invariants

    /// Generated statements: no secret survives redaction; none of a credential statement's survives the
    /// credentials-only redaction; a text with a credential statement is known to bear one.
    private func check(_ generated: Statements, text: String, cut: Bool) -> [String] {
        var problems: [String] = []
        let redacted = redactor.redact(text)
        for secret in generated.secrets where redacted.contains(secret) {
            problems.append("\(cut ? "cut, " : "")redacted, the text still holds the secret \(secret): \(redacted.debugDescription)")
        }
        let masked = credentialsOnly.redact(text)
        for secret in generated.credentialSecrets where masked.contains(secret) {
            problems.append("\(cut ? "cut, " : "")with literals kept, a credential statement's secret \(secret) remains: \(masked.debugDescription)")
        }
        if !cut, !generated.credentialSecrets.isEmpty, !SQLRedactor.isPasswordBearing(text) {
            problems.append("a text with a credential statement is not password-bearing")
        }
        return problems
    }

    private func checkMutated(_ input: [UInt8], secrets: [[UInt8]], cut: Int) -> [String] {
        var problems: [String] = []
        // The tokens cover the input exactly, and only the last can run into the end.
        let tokens = SQLLexer.tokens(in: input)
        var position = 0
        for (index, token) in tokens.enumerated() {
            if token.range.lowerBound != position || token.range.isEmpty {
                problems.append("token \(index) (\(token.kind)) covers \(token.range), expected to start at \(position)")
                break
            }
            if !token.isTerminated, token.range.upperBound != input.count {
                problems.append("token \(index) (\(token.kind)) is unterminated but ends at \(token.range.upperBound) of \(input.count)")
            }
            position = token.range.upperBound
        }
        if position != input.count, problems.isEmpty { problems.append("the tokens end at \(position) of \(input.count)") }

        let redacted = redactor.redact(bytes: input)
        if redactor.redact(bytes: redacted) != redacted { problems.append("redaction is not idempotent: \(Self.text(redacted))") }
        let markers = Self.occurrences(of: Array("values".utf8), in: input, caseInsensitive: true)
        if redacted.count > input.count + 11 * markers.count {
            problems.append("redaction grew \(input.count) bytes to \(redacted.count) (\(markers.count) VALUES lists)")
        }
        if FuzzInput.isValidUTF8(input) {
            let viaString = Array(redactor.redact(String(decoding: input, as: UTF8.self)).utf8)
            if viaString != redacted { problems.append("the String and byte redactions differ: \(Self.text(viaString)) vs \(Self.text(redacted))") }
        }
        var appended = Array("prefix;".utf8)
        input.withUnsafeBufferPointer { redactor.appendRedacted($0, to: &appended) }
        if appended != Array("prefix;".utf8) + redacted { problems.append("appendRedacted gives \(Self.text(appended))") }

        let masked = credentialsOnly.redact(bytes: input)
        if credentialsOnly.redact(bytes: masked) != masked { problems.append("credentials-only redaction is not idempotent") }
        if masked.count > input.count { problems.append("credentials-only redaction grew the text") }
        let bearing = input.withUnsafeBufferPointer { SQLRedactor.isPasswordBearing($0) }
        if !bearing, masked != input { problems.append("no credential, yet credentials-only redaction changed \(Self.text(masked))") }

        // A secret the lexer reads as inside string constants, every time it occurs, is gone.
        for secret in secrets {
            let found = Self.occurrences(of: secret, in: input, caseInsensitive: false)
            guard !found.isEmpty else { continue }
            let insideLiterals = found.allSatisfy { occurrence in
                tokens.contains { $0.kind.isStringConstant && $0.range.lowerBound < occurrence.lowerBound && $0.range.upperBound >= occurrence.upperBound }
            }
            if insideLiterals, !Self.occurrences(of: secret, in: redacted, caseInsensitive: false).isEmpty {
                problems.append("the secret \(String(decoding: secret, as: UTF8.self)), inside string constants, survives: \(Self.text(redacted))")
            }
        }

        // Truncation for query texts: a prefix, on a scalar boundary, at most the size asked for.
        let text = String(decoding: input, as: UTF8.self)
        let (kept, truncated) = QueryText.truncate(text, maxBytes: cut)
        let bytes = Array(text.utf8)
        if kept.utf8.count > cut || !bytes.starts(with: Array(kept.utf8)) || truncated != (bytes.count > cut)
            || (truncated && bytes.count > kept.utf8.count && bytes[kept.utf8.count] & 0xC0 == 0x80) {
            problems.append("QueryText.truncate(maxBytes: \(cut)) kept \(kept.utf8.count) bytes, truncated \(truncated)")
        }
        return problems
    }

    private static func occurrences(of needle: [UInt8], in haystack: [UInt8], caseInsensitive: Bool) -> [Range<Int>] {
        guard !needle.isEmpty, haystack.count >= needle.count else { return [] }
        func fold(_ byte: UInt8) -> UInt8 { caseInsensitive && byte &- 0x41 < 26 ? byte | 0x20 : byte }
        var found: [Range<Int>] = []
        for start in 0...(haystack.count - needle.count) {
            var equal = true
            for offset in 0..<needle.count where fold(haystack[start + offset]) != fold(needle[offset]) {
                equal = false
                break
            }
            if equal { found.append(start..<(start + needle.count)) }
        }
        return found
    }

    private static func text(_ bytes: [UInt8]) -> String {
        String(String(decoding: bytes, as: UTF8.self).debugDescription.prefix(400))
    }

    // MARK: - Statements

    struct Statements {
        var sql = ""
        /// Every secret, each inside a literal.
        var secrets: [String] = []
        /// The secrets inside literals of statements that carry a credential.
        var credentialSecrets: [String] = []
    }

    /// One to three statements, `;`-separated, each plain or carrying a credential.
    static func statements(using random: inout SeededGenerator) -> Statements {
        var result = Statements()
        var parts: [String] = []
        for _ in 0..<Int.random(in: 1...3, using: &random) {
            let secret = Self.secret(using: &random)
            let credential = Bool.random(using: &random)
            let template = FuzzInput.pick(credential ? Self.credentialTemplates : Self.plainTemplates, using: &random)
            var sql = Bool.random(using: &random) ? template.lowercased() : template
            // {1}: a literal holding the secret; {2}: a connection string with it as the password; {3}: a
            // literal without it; {4}: a role name; {5}: the bare secret (inside a literal already). Digits, so
            // that lower-casing the template keeps them.
            while let range = sql.range(of: "{1}") {
                sql.replaceSubrange(range, with: Self.literal(Self.body(around: secret, using: &random), using: &random))
            }
            while let range = sql.range(of: "{2}") {
                let body = FuzzInput.pick(["host=db password=", "dbname=x user=u password=", "postgresql://u:"], using: &random) + secret
                sql.replaceSubrange(range, with: Self.literal(body, using: &random))
            }
            while let range = sql.range(of: "{3}") {
                sql.replaceSubrange(range, with: Self.literal(Self.body(around: "plain", using: &random), using: &random))
            }
            while let range = sql.range(of: "{4}") {
                sql.replaceSubrange(range, with: FuzzInput.pick(["app", "\"Quoted User\"", "current_user", "bob_2"], using: &random))
            }
            while let range = sql.range(of: "{5}") {
                sql.replaceSubrange(range, with: secret)
            }
            parts.append(sql)
            result.secrets.append(secret)
            if credential { result.credentialSecrets.append(secret) }
        }
        result.sql = parts.joined(separator: FuzzInput.pick(["; ", ";\n", " ;\t", ";/* next */ "], using: &random))
            + (Bool.random(using: &random) ? ";" : "")
        return result
    }

    static let plainTemplates = [
        "SELECT * FROM t WHERE a = {1}",
        "INSERT INTO t (a, b) VALUES ({1}, {3}), ({3}, 2)",
        "UPDATE t SET a = {1} WHERE id IN ({3}, {1}, 3)",
        "SELECT {1}::text, ARRAY[{3}, {1}]",
        "SELECT f({1}) -- trailing comment\n",
        "SELECT interval {1}, -{1}",
        "CALL p({1}, $1)",
        "SELECT 1 WHERE x LIKE {1} ESCAPE {3}",
        "SELECT \"col\" FROM \"T\" /* a 'comment' */ WHERE b = {1} LIMIT 5",
        "COPY (SELECT {1}) TO STDOUT",
    ]

    static let credentialTemplates = [
        "ALTER ROLE {4} WITH PASSWORD {1}",
        "CREATE USER {4} ENCRYPTED PASSWORD {1} VALID UNTIL 'infinity'",
        "CREATE ROLE {4} LOGIN PASSWORD {1} CONNECTION LIMIT 5",
        "ALTER /* c */ ROLE {4} -- note\n PASSWORD {1}",
        "ALTER USER {4} PASSWORD {1}",
        "CREATE USER MAPPING FOR {4} SERVER s OPTIONS (user {3}, password {1})",
        "ALTER USER MAPPING FOR PUBLIC SERVER s OPTIONS (SET password {1})",
        "CREATE SUBSCRIPTION sub CONNECTION {2} PUBLICATION pub",
        "ALTER SUBSCRIPTION sub CONNECTION {2}",
        "SELECT dblink_connect({2})",
        "SELECT dblink_connect('name', {2})",
        "SELECT public.dblink_connect_u({2})",
        "SELECT * FROM dblink({2}, 'SELECT 1') AS t(a int)",
        "SELECT dblink_exec({2}, 'DELETE FROM t')",
        "DO $fz$BEGIN ALTER ROLE x PASSWORD '{5}'; END$fz$",
        "SELECT run_sql('ALTER USER bob PASSWORD ''{5}''')",
    ]

    /// `zq` and 12 letters or digits: nothing else in a statement looks like it.
    static func secret(using random: inout SeededGenerator) -> String {
        let alphabet = Array("ABCDEFGHJKLMNPQRSTUVWXYZabcdefghjkmnpqrstuvwxyz23456789")
        return "zq" + String((0..<12).map { _ in FuzzInput.pick(alphabet, using: &random) })
    }

    /// What a literal holds: the marker among characters that trip lexers.
    static func body(around marker: String, using random: inout SeededGenerator) -> String {
        let pieces = [" ", "a", "Z9", "'", "''", "\\", "\\'", "--", "/*", "*/", ";", "\"", "\n", "é", "東京", "(", ",", "=", "$$", "$x$"]
        var text = ""
        for _ in 0..<Int.random(in: 0...4, using: &random) { text += FuzzInput.pick(pieces, using: &random) }
        text += marker
        for _ in 0..<Int.random(in: 0...4, using: &random) { text += FuzzInput.pick(pieces, using: &random) }
        return text
    }

    /// `body` written as one string constant, in one of the forms PostgreSQL reads.
    static func literal(_ body: String, using random: inout SeededGenerator) -> String {
        func doubled(_ text: String) -> String { text.replacingOccurrences(of: "'", with: "''") }
        func backslashed(_ text: String) -> String {
            text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "'", with: FuzzInput.oneIn(2, using: &random) ? "\\'" : "''")
        }
        switch Int.random(in: 0..<8, using: &random) {
        case 0:
            return "'" + doubled(body) + "'"  // standard_conforming_strings = on
        case 1:
            return FuzzInput.pick(["E", "e"], using: &random) + "'" + backslashed(body) + "'"
        case 2:
            return "'" + backslashed(body) + "'"  // standard_conforming_strings = off
        case 3:
            // The tag must not occur in the body: take one the body's characters cannot spell.
            let tag = FuzzInput.pick(["", "q", "fz_1", "tag"], using: &random)
            let safe = body.replacingOccurrences(of: "$", with: "")
            return "$\(tag)$" + safe + "$\(tag)$"
        case 4:
            return "U&'" + doubled(body.replacingOccurrences(of: "\\", with: "\\\\")) + "'"
        case 5:
            return "N'" + doubled(body) + "'"
        case 6:
            // Two segments with a line break (and maybe a comment) between are one constant.
            let split = body.index(body.startIndex, offsetBy: Int.random(in: 0...body.count, using: &random))
            let gap = FuzzInput.pick(["\n", "\n  ", " \n\t", " -- between\n ", "\r\n"], using: &random)
            return "'" + doubled(String(body[..<split])) + "'" + gap + "'" + doubled(String(body[split...])) + "'"
        default:
            return "'" + doubled(body) + "'"
        }
    }

    // MARK: - Realistic statements to mutate

    static let realistic = [
        "SELECT * FROM users WHERE email = 'alice@example.com' AND id IN (1, 2, 3)",
        "INSERT INTO t (a, b) VALUES (1, 'x'), (2, 'y'), (3, E'it\\'s')",
        "UPDATE accounts SET balance = balance - 100.50 WHERE id = $1 RETURNING -balance",
        "ALTER ROLE app WITH PASSWORD 'hunter2' VALID UNTIL 'infinity'",
        "DO $body$BEGIN EXECUTE 'SELECT ''x'''; END$body$",
        "SELECT U&'d\\0061t\\+000061' UESCAPE '!', B'1010', X'1F', N'national'",
        "SELECT 'multi'\n  'line' || $$dollar 'quoted'$$, -5, 1e-3, 0x1F, 0o17, 0b101, 1_000, .5, 1..10",
        "/* comment 'with quote' /* nested */ */ SELECT \"quoted \"\"ident\"\"\" FROM \"T\" -- trailing 'x'\n",
        "CREATE USER MAPPING FOR bob SERVER s OPTIONS (user 'bob', password 'pw')",
        "SELECT dblink_connect('host=h password=pw'); SELECT * FROM dblink('myconn', 'SELECT 1') AS t(a int)",
        "SELECT ARRAY[1, 2, 3]::int[], interval '1 day', '2024-01-01'::date, ARRAY['a'::text, 'b']",
        "SELECT a FROM t WHERE b = 'it''s' AND c = 'back\\slash' LIMIT 10 OFFSET 5;",
        "COPY t FROM STDIN; SELECT 1; SELECT 'a;b', x IN (NULL, TRUE, - -1, '?'::uuid)",
        "INSERT INTO product (id, name, price) VALUES (1, 'Widget', 9.99), (2, 'Gadget', -1.5), (3,",
        "SELECT e'\\\\', e'\\'', 'x\\' || 'y'",
    ]

    static let sqlTokens: [[UInt8]] = [
        "'", "''", "\"", "$$", "$x$", "$1", "E'", "U&'", "U&\"", "B'", "X'", "N'", "\\", "\\'", "--", "/*", "*/", ";", "(", ")",
        "[", "]", ",", "::", "-", "+", "IN (", "VALUES (", "ARRAY[", " PASSWORD ", "ALTER ROLE x ", "dblink(", "1e", "0x", "_",
        "\n", "\r", "\t", "é",
    ].map { Array($0.utf8) }
}
