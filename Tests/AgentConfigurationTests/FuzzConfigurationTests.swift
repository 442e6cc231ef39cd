import AgentConfiguration
import Foundation
import TestSupport
import Testing

/// Seeded fuzzing of the configuration parsers (RELIABILITY.md, "Fuzzing"): the INI dialect
/// (``INIDocument``), the loader on top of it (``AgentConfiguration/load(path:environment:readFile:)``) and
/// conninfo strings (``ConnInfoParser``).
///
/// Generated documents and conninfo strings carry marker secrets in their values; mutated copies of them and
/// random text must either parse or fail with an error that names no secret still present in the input.
/// Well-formed generated inputs must parse to exactly what was written, and what parses must survive being
/// written back and parsed again.
@Suite struct FuzzConfigurationTests {
    static let iniIterations = 2_000
    static let loaderIterations = 400
    static let conninfoIterations = 4_000

    // MARK: - INI

    /// An INI document is read exactly as generated; any text either parses into valid names, unique keys and
    /// one-line values (which read back the same once written out again) or fails with a `syntax` or
    /// `conflict` error on an existing line that contains no value.
    @Test func iniDocument() {
        let run = FuzzRun(target: "FuzzConfigurationTests/iniDocument", defaultIterations: Self.iniIterations)
        var failures = 0
        for iteration in run.iterations {
            run.willRun(iteration)
            var random = run.generator(for: iteration)
            let generated = Self.iniCase(using: &random)
            var problems: [String] = []
            let text: String
            if FuzzInput.oneIn(4, using: &random) {
                text = generated.text
                problems += Self.checkExpected(generated)
            } else if FuzzInput.oneIn(16, using: &random) {
                let alphabet = Array("[]=\"\\;# \t\r\nabc.:_-é".utf8)
                text = String(decoding: FuzzInput.randomBytes(count: Int.random(in: 0...400, using: &random), alphabet: alphabet,
                                                              using: &random), as: UTF8.self)
            } else {
                text = String(decoding: FuzzInput.mutate(Array(generated.text.utf8), dictionary: Self.iniTokens, using: &random,
                                                         maximumCount: 16 << 10), as: UTF8.self)
            }
            problems += Self.checkINI(text, secrets: generated.secrets)
            if !problems.isEmpty {
                Issue.record("\(run.failure(iteration: iteration, text: text, problems: problems))")
                failures += 1
                if failures >= run.maximumFailures { break }
            }
        }
    }

    /// The whole loader over generated configurations whose values (numbers, names, conninfo strings, URLs,
    /// patterns, secret files, `POSTGRES_AGENT_*` variables) hold marker secrets: whatever it refuses, its
    /// error names no secret.
    @Test func configurationLoader() {
        let run = FuzzRun(target: "FuzzConfigurationTests/configurationLoader", defaultIterations: Self.loaderIterations)
        var failures = 0
        for iteration in run.iterations {
            run.willRun(iteration)
            var random = run.generator(for: iteration)
            var secrets: [String] = []
            var text = Self.configurationText(secrets: &secrets, using: &random)
            if Bool.random(using: &random) {
                text = String(decoding: FuzzInput.mutate(Array(text.utf8), dictionary: Self.iniTokens, using: &random,
                                                         maximumCount: 16 << 10), as: UTF8.self)
            }
            var environment: [String: String] = [:]
            let variables = ["POSTGRES_AGENT_AGENT_INTERVAL_SECONDS", "POSTGRES_AGENT_AGENT_PROJECT", "POSTGRES_AGENT_POSTGRES_PASSWORD",
                             "POSTGRES_AGENT_POSTGRES_CONNINFO", "POSTGRES_AGENT_LISTENER_API_KEY", "POSTGRES_AGENT_LISTENER_URL",
                             "POSTGRES_AGENT_SPOOL_MAX_SIZE_MB", "POSTGRES_AGENT_CORRELATION_PATTERN", "POSTGRES_AGENT_NO_SUCH_KEY"]
            for _ in 0..<Int.random(in: 0...2, using: &random) {
                let variable = FuzzInput.pick(variables, using: &random)
                environment[variable] = Self.secretValue(secrets: &secrets, using: &random)
            }
            let fileSecret = Self.secret(using: &random)
            let fileContents = FuzzInput.pick([fileSecret, "", "\n", fileSecret + "\n", fileSecret + "\nsecond line", " " + fileSecret],
                                              using: &random)
            secrets.append(fileSecret)
            let path = "/etc/bitville/postgres-agent.ini"
            var problems: [String] = []
            do {
                _ = try AgentConfiguration.load(path: path, environment: environment) { file in
                    if file == path { return text }
                    if file == Self.secretFilePath { return fileContents }
                    throw Unreadable()
                }
            } catch {
                let description = "\(error)"
                for secret in secrets where description.contains(secret) {
                    problems.append("the error \(description.debugDescription) names the secret \(secret)")
                }
            }
            if !problems.isEmpty {
                let context = "environment \(environment), secret file \(fileContents.debugDescription)"
                Issue.record("\(run.failure(iteration: iteration, text: text, problems: [context] + problems))")
                failures += 1
                if failures >= run.maximumFailures { break }
            }
        }
    }

    struct Unreadable: Error, CustomStringConvertible {
        var description: String { "no such file (fuzz)" }
    }

    static let secretFilePath = "/etc/bitville/secret"

    /// A marker secret: `+` and `/` make it neither a key nor a section name, so the parser can never hand
    /// it back as a name.
    static func secret(using random: inout SeededGenerator) -> String {
        let alphabet = Array("ABCDEFGHJKLMNPQRSTUVWXYZ23456789")
        return "S3+" + String((0..<10).map { _ in FuzzInput.pick(alphabet, using: &random) }) + "/K"
    }

    struct INICase {
        var text = ""
        var sections: [(name: String, line: Int, entries: [(key: String, value: String, line: Int)])] = []
        var secrets: [String] = []
    }

    static let sectionNames = ["agent", "postgres", "postgres:main", "postgres:db-2", "collectors", "logs", "listener", "spool",
                               "privacy", "correlation", "metrics", "x.y-z_1:w"]
    static let keyNames = ["project", "interval_seconds", "conninfo", "password_file", "url", "api_key", "pattern", "path",
                           "a.b-c_d", "K9", "max_size_mb", "prefix"]
    static let iniTokens: [[UInt8]] = [
        "[", "]", "=", "\"", "\\", "\\\"", "\\\\", ";", "#", " ;", " #", "\r\n", "\r", "\n", " ", "\t", "\u{FEFF}",
        "[postgres:main]", "[agent]\n", "key = ", "project = x\n", "= \"", "\"\"", "é", "\u{301}",
    ].map { Array($0.utf8) }

    /// A document with the values each line holds (`line` 1-based), in one of the three line-end styles.
    static func iniCase(using random: inout SeededGenerator) -> INICase {
        var result = INICase()
        var lines: [String] = []
        func emit(_ line: String) -> Int {
            lines.append(line)
            return lines.count
        }
        func filler() {
            for _ in 0..<(FuzzInput.oneIn(3, using: &random) ? Int.random(in: 1...2, using: &random) : 0) {
                _ = emit(FuzzInput.pick(["", "; a comment", "# another = x", "   ; indented", "\t", "#[not] = a section"], using: &random))
            }
        }
        filler()
        for name in Self.sectionNames.shuffled(using: &random).prefix(Int.random(in: 0...4, using: &random)) {
            filler()
            let header = FuzzInput.pick(["[\(name)]", "[ \(name) ]", "  [\(name)]\t; note", "[\(name)] # note", "[\t\(name)]"],
                                        using: &random)
            let headerLine = emit(header)
            var entries: [(key: String, value: String, line: Int)] = []
            for key in Self.keyNames.shuffled(using: &random).prefix(Int.random(in: 0...6, using: &random)) {
                filler()
                let (written, value) = Self.iniValue(secrets: &result.secrets, using: &random)
                let spacing = FuzzInput.pick([" = ", "=", " =", "= ", "\t=\t", "  =  "], using: &random)
                let comment = FuzzInput.oneIn(3, using: &random)
                    ? FuzzInput.pick([" ; note", "\t# note", " ;", "   # x = y", "  "], using: &random) : ""
                let indent = FuzzInput.pick(["", "", "  ", "\t"], using: &random)
                entries.append((key, value, emit(indent + key + spacing + written + comment)))
            }
            result.sections.append((name, headerLine, entries))
        }
        filler()
        let ending = FuzzInput.pick(["\n", "\r\n", "\r"], using: &random)
        result.text = (FuzzInput.oneIn(8, using: &random) ? "\u{FEFF}" : "") + lines.joined(separator: ending)
            + (Bool.random(using: &random) ? ending : "")
        return result
    }

    /// A value as written in the file, and as it must read.
    static func iniValue(secrets: inout [String], using random: inout SeededGenerator) -> (written: String, value: String) {
        switch Int.random(in: 0..<6, using: &random) {
        case 0:
            let secret = Self.secret(using: &random)
            secrets.append(secret)
            return (secret, secret)
        case 1:
            let secret = Self.secret(using: &random)
            secrets.append(secret)
            let value = FuzzInput.pick(["", "a ", " ; ", "\"", "\\", "# "], using: &random) + secret
                + FuzzInput.pick(["", " b", "\\\"", " #", "  "], using: &random)
            return (Self.quoted(value), value)
        case 2:
            let value = Self.quotedContent(using: &random)
            return (Self.quoted(value), value)
        case 3:
            return ("", "")
        default:
            let value = Self.bareValue(using: &random)
            return (value, value)
        }
    }

    static func quoted(_ value: String) -> String {
        "\"" + value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }

    /// Text for inside quotes: anything but a line break.
    static func quotedContent(using random: inout SeededGenerator) -> String {
        let pieces = ["a", "Z", "0", " ", "\t", ";", "#", "\"", "\\", "=", "[", "]", "é", "東京", "🐘", " ; not a comment", "\\\\"]
        return (0..<Int.random(in: 0...8, using: &random)).map { _ in FuzzInput.pick(pieces, using: &random) }.joined()
    }

    /// A bare value: words without blanks at the ends, and no `;` or `#` where a comment could start.
    static func bareValue(using random: inout SeededGenerator) -> String {
        let first = Array("abcdefXYZ0123456789/._-:@+,()%$!?'=[]")
        let rest = first + [";", "#", "\""]
        return (0..<Int.random(in: 1...3, using: &random)).map { _ -> String in
            var word = String(FuzzInput.pick(first, using: &random))
            for _ in 0..<Int.random(in: 0...8, using: &random) { word.append(FuzzInput.pick(rest, using: &random)) }
            return word
        }.joined(separator: FuzzInput.pick([" ", "  ", "\t"], using: &random))
    }

    /// The generated document reads as generated.
    static func checkExpected(_ generated: INICase) -> [String] {
        let document: INIDocument
        do {
            document = try INIDocument(parsing: generated.text)
        } catch {
            return ["a well-formed document fails: \(error)"]
        }
        let read = document.sections.map { section in
            "[\(section.name)]@\(section.line) " + section.entries.map { "\($0.key)=\($0.value.debugDescription)@\($0.line)" }.joined(separator: " ")
        }
        let written = generated.sections.map { section in
            "[\(section.name)]@\(section.line) " + section.entries.map { "\($0.key)=\($0.value.debugDescription)@\($0.line)" }.joined(separator: " ")
        }
        return read == written ? [] : ["read \(read), written \(written)"]
    }

    /// The invariants of any text.
    static func checkINI(_ text: String, secrets: [String]) -> [String] {
        let lineCount = text.split(omittingEmptySubsequences: false) { $0 == "\n" || $0 == "\r\n" || $0 == "\r" }.count
        let document: INIDocument
        do {
            document = try INIDocument(parsing: text)
        } catch {
            var problems: [String] = []
            if error.code != .syntax && error.code != .conflict { problems.append("error code \(error.code)") }
            if let line = error.line {
                if line < 1 || line > lineCount { problems.append("error on line \(line) of \(lineCount)") }
            } else {
                problems.append("an error without a line: \(error.description)")
            }
            if error.file != nil { problems.append("the parser named a file") }
            for secret in secrets where text.contains(secret) && error.description.contains(secret) {
                problems.append("the error \(error.description.debugDescription) names the value \(secret)")
            }
            return problems
        }
        var problems: [String] = []
        var names = Set<String>()
        var previousLine = 0
        let nameCharacter = { (character: Character) in
            character.isASCII && (character.isLetter || character.isNumber || "_-.".contains(character))
        }
        for section in document.sections {
            if section.name.isEmpty || !section.name.allSatisfy({ nameCharacter($0) || $0 == ":" }) {
                problems.append("section name \(section.name.debugDescription)")
            }
            if !names.insert(section.name).inserted { problems.append("section [\(section.name)] twice") }
            if section.line <= previousLine || section.line > lineCount { problems.append("section [\(section.name)] on line \(section.line)") }
            previousLine = section.line
            var keys = Set<String>()
            for entry in section.entries {
                if entry.key.isEmpty || !entry.key.allSatisfy(nameCharacter) { problems.append("key \(entry.key.debugDescription)") }
                if !keys.insert(entry.key).inserted { problems.append("key \(entry.key) twice in [\(section.name)]") }
                if entry.line <= previousLine || entry.line > lineCount { problems.append("\(entry.key) on line \(entry.line)") }
                previousLine = entry.line
                if entry.value.contains(where: { $0 == "\n" || $0 == "\r" || $0 == "\r\n" }) {
                    problems.append("\(entry.key) holds a line break")
                }
            }
        }
        // Written back with every value quoted, the document reads the same (ASCII only: a quote followed by a
        // combining mark is one character, which no writer could quote).
        let ascii = document.sections.allSatisfy { $0.entries.allSatisfy { $0.value.unicodeScalars.allSatisfy(\.isASCII) } }
        if problems.isEmpty, ascii {
            let rewritten = document.sections.map { section in
                (["[\(section.name)]"] + section.entries.map { "\($0.key) = \(Self.quoted($0.value))" }).joined(separator: "\n")
            }.joined(separator: "\n")
            do {
                let again = try INIDocument(parsing: rewritten)
                let before = document.sections.map { [$0.name] + $0.entries.flatMap { [$0.key, $0.value] } }
                let after = again.sections.map { [$0.name] + $0.entries.flatMap { [$0.key, $0.value] } }
                if before != after { problems.append("written back and read again: \(after), not \(before)") }
            } catch {
                problems.append("written back, the document fails: \(error)")
            }
        }
        return problems
    }

    // MARK: - The loader's input

    /// The keys of each section, with the kind of value they take.
    static let configurationKeys: [(section: String, keys: [(String, ValueKind)])] = [
        ("agent", [("project", .name), ("interval_seconds", .number), ("state_dir", .path), ("log_level", .name)]),
        ("postgres", [("conninfo", .conninfo), ("password_file", .secretFile), ("application_name", .name),
                      ("statement_timeout_ms", .number), ("lock_timeout_ms", .number), ("connect_timeout_ms", .number),
                      ("max_connections", .number), ("data_directory", .path)]),
        ("collectors", [("top_statements", .number), ("query_text_max_bytes", .number), ("timeout_ms", .number),
                        ("database_size_interval_seconds", .number), ("baseline_window_ms", .number)]),
        ("logs", [("path", .path), ("format", .name), ("prefix", .name), ("timezone", .name), ("journal_match", .name)]),
        ("listener", [("url", .url), ("api_key_file", .secretFile), ("ca_file", .path), ("timeout_ms", .number),
                      ("allow_insecure_http", .name)]),
        ("spool", [("max_size_mb", .number), ("min_free_disk_mb", .number)]),
        ("privacy", [("redact_query_literals", .name)]),
        ("activity", [("sample_interval_ms", .number), ("top_rows", .number)]),
        ("correlation", [("pattern", .pattern)]),
        ("metrics", [("listen", .name)]),
        ("no_such_section", [("key", .name)]),
    ]

    enum ValueKind { case name, number, path, secretFile, conninfo, url, pattern }

    /// A configuration file: known sections (sometimes an unknown one or an unknown key), values that are
    /// valid, or hold a secret where a value of their kind belongs. Paths never hold one: an unreadable
    /// file's error names its path, which is not secret.
    static func configurationText(secrets: inout [String], using random: inout SeededGenerator) -> String {
        var lines: [String] = []
        for (section, keys) in Self.configurationKeys.shuffled(using: &random).prefix(Int.random(in: 1...5, using: &random)) {
            let named = FuzzInput.oneIn(3, using: &random)
            let name = section == "postgres" && named ? "postgres:main" : section
            lines.append("[\(name)]")
            var chosen = Array(keys.shuffled(using: &random).prefix(Int.random(in: 1...keys.count, using: &random)))
            if FuzzInput.oneIn(8, using: &random) { chosen.append(("unknown_key", .name)) }
            for (key, kind) in chosen {
                let value: String
                switch kind {
                case .path:
                    value = FuzzInput.pick(["/var/lib/bitville-postgres-agent", "/nonexistent/file", "", "relative/path"], using: &random)
                case .secretFile:
                    value = FuzzInput.pick([Self.secretFilePath, "/nonexistent/secret", ""], using: &random)
                default:
                    value = FuzzInput.oneIn(3, using: &random)
                        ? Self.validValue(kind, using: &random) : Self.secretValue(kind, secrets: &secrets, using: &random)
                }
                let quote = FuzzInput.oneIn(4, using: &random)
                let written = quote || value.contains(where: { $0 == ";" || $0 == "#" || $0 == "\"" }) ? Self.quoted(value) : value
                lines.append("\(key) = \(written)")
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func validValue(_ kind: ValueKind, using random: inout SeededGenerator) -> String {
        switch kind {
        case .number: FuzzInput.pick(["60", "1", "0", "4096", "100"], using: &random)
        case .conninfo: FuzzInput.pick(["host=/var/run/postgresql dbname=postgres", "postgresql:///postgres?host=/tmp", ""], using: &random)
        case .url: FuzzInput.pick(["https://listener:8443/ingest/postgres", "http://127.0.0.1:8080/ingest/postgres", ""], using: &random)
        case .pattern: FuzzInput.pick(["bitville-([a-f0-9-]+)", "(x)"], using: &random)
        default: FuzzInput.pick(["info", "auto", "stderr", "true", "bitville", "127.0.0.1:9188", "Europe/Berlin", "%m [%p] "], using: &random)
        }
    }

    /// A value with a secret in it, shaped like the kind's values (a conninfo's password, a URL's user info, a
    /// number with a secret glued to it, a broken pattern).
    static func secretValue(_ kind: ValueKind = .name, secrets: inout [String], using random: inout SeededGenerator) -> String {
        let secret = Self.secret(using: &random)
        secrets.append(secret)
        switch kind {
        case .number:
            return FuzzInput.pick(["", "60", "-", "1e"], using: &random) + secret
        case .conninfo:
            return FuzzInput.pick([
                "host=/tmp password=\(secret)", "password=\(secret) def=x", "password='\(secret) x' sslmode=bogus",
                "postgresql://u:\(secret)@h:5432/db", "postgresql://u:\(secret)@h:notaport/db?sslmode=\(secret)",
                "password=\(secret)\\", "password='\(secret)", "\(secret)=x", "host=h password=\(secret) port=\(secret)",
            ], using: &random)
        case .url:
            return FuzzInput.pick(["https://u:\(secret)@listener/ingest", "http://u:\(secret)@10.0.0.9/ingest",
                                   "https://listener/ingest?token=\(secret)", "ftp://u:\(secret)@h/", secret], using: &random)
        case .pattern:
            return FuzzInput.pick(["(\(secret)", "\(secret)", "[\(secret)", "\(secret))("], using: &random)
        default:
            return FuzzInput.pick([secret, "\(secret) trailing", "%k\(secret)", "\(secret)%"], using: &random)
        }
    }

    // MARK: - conninfo

    /// conninfo strings, well-formed (keyword/value with every quoting, URIs with percent-encoding) and
    /// mutated: well-formed ones parse to what was written; any string parses into known keywords (which
    /// read back the same once written out again) or fails with an error whose key is `conninfo` or
    /// `conninfo.KEYWORD` and which names no word of the password.
    @Test func conninfo() {
        let run = FuzzRun(target: "FuzzConfigurationTests/conninfo", defaultIterations: Self.conninfoIterations)
        var failures = 0
        for iteration in run.iterations {
            run.willRun(iteration)
            var random = run.generator(for: iteration)
            let generated = Self.conninfoCase(using: &random)
            var problems: [String] = []
            let text: String
            if FuzzInput.oneIn(3, using: &random) {
                text = generated.text
                if let expected = generated.expected {
                    do {
                        let read = try ConnInfoParser.parse(text)
                        if read != expected { problems.append("read \(read), written \(expected)") }
                    } catch {
                        problems.append("a well-formed string fails: \(error)")
                    }
                }
            } else {
                text = String(decoding: FuzzInput.mutate(Array(generated.text.utf8), dictionary: Self.conninfoTokens,
                                                         using: &random, maximumCount: 4_096), as: UTF8.self)
            }
            problems += Self.checkConninfo(text, words: generated.words)
            if !problems.isEmpty {
                Issue.record("\(run.failure(iteration: iteration, text: text, problems: problems))")
                failures += 1
                if failures >= run.maximumFailures { break }
            }
        }
    }

    struct ConninfoCase {
        var text = ""
        /// What the string sets, when it is well-formed.
        var expected: [String: String]?
        /// The words of the password: runs of capitals and digits, which no error text contains.
        var words: [String] = []
    }

    static let conninfoTokens: [[UInt8]] = [
        "'", "\\", "\\'", "=", " ", "  ", "\t", "\r\n", "%", "%00", "%ZZ", "%C3", "%FF", "%2", "@", ":", "/", "?", "&", "[", "]",
        ",", "postgresql://", "postgres://", "password=", "host=", "sslkey=", "ssl=true", "ssl=false", "dbname = ", "é",
    ].map { Array($0.utf8) }

    static let conninfoValues = ["localhost", "/var/run/postgresql", "5432", "postgres", "require", "verify-full", "app name",
                                 "-c statement_timeout=5s", "it's", "back\\slash", "", "10", "db=x", "ünïcode"]

    /// The password's words (4 to 10 capitals and digits, at least one of each) and what joins them.
    static func passwordWords(using random: inout SeededGenerator) -> (password: String, words: [String]) {
        let letters = Array("ABCDEFGHJKLMNPQRSTUVWXYZ")
        let digits = Array("23456789")
        var words: [String] = []
        for _ in 0..<Int.random(in: 1...3, using: &random) {
            var word = [FuzzInput.pick(letters, using: &random), FuzzInput.pick(digits, using: &random)]
            for _ in 0..<Int.random(in: 2...8, using: &random) { word.append(FuzzInput.pick(letters + digits, using: &random)) }
            words.append(String(word.shuffled(using: &random)))
        }
        var password = words[0]
        for word in words.dropFirst() {
            password += FuzzInput.pick([" ", "=", "\\", "'", "  ", "\t", "\\ ", "\\'", "=x ", " host="], using: &random) + word
        }
        return (password, words)
    }

    static func conninfoCase(using random: inout SeededGenerator) -> ConninfoCase {
        var result = ConninfoCase()
        let (password, words) = Self.passwordWords(using: &random)
        result.words = words
        if FuzzInput.oneIn(3, using: &random) {
            // URI, every part percent-encoded.
            let user = FuzzInput.pick(["app", "bitville monitor", "ü"], using: &random)
            let host = FuzzInput.pick(["db.example.com", "[::1]", "10.0.0.7", "%2Fvar%2Frun%2Fpostgresql"], using: &random)
            let database = FuzzInput.pick(["postgres", "app db", "x/y"], using: &random)
            var expected = ["user": user, "password": password, "port": "5432", "dbname": database]
            expected["host"] = host == "[::1]" ? "::1" : host.removingPercentEncoding
            var text = FuzzInput.pick(ConnInfoParser.uriPrefixes, using: &random) + Self.percentEncoded(user) + ":"
                + Self.percentEncoded(password) + "@" + host + ":5432/" + Self.percentEncoded(database)
            if Bool.random(using: &random) {
                text += "?sslmode=require&application_name=" + Self.percentEncoded("fuzz app")
                expected["sslmode"] = "require"
                expected["application_name"] = "fuzz app"
            }
            result.text = text
            result.expected = expected
            return result
        }
        var pairs: [(String, String)] = []
        for _ in 0..<Int.random(in: 0...4, using: &random) {
            pairs.append((FuzzInput.pick(ConnInfoParser.keywords, using: &random), FuzzInput.pick(Self.conninfoValues, using: &random)))
        }
        pairs.insert(("password", password), at: Int.random(in: 0...pairs.count, using: &random))
        let wellFormed = !FuzzInput.oneIn(3, using: &random)
        var expected: [String: String] = [:]
        var parts: [String] = []
        for (keyword, value) in pairs {
            expected[keyword] = value
            let written: String
            if wellFormed {
                written = Bool.random(using: &random) || value.isEmpty ? Self.singleQuoted(value) : Self.escapedBare(value)
            } else {
                written = FuzzInput.pick([value, "'\(value)'", "'\(value)", Self.singleQuoted(value)], using: &random)
            }
            parts.append(keyword + FuzzInput.pick(["=", " = ", "= ", " ="], using: &random) + written)
        }
        if !wellFormed, FuzzInput.oneIn(3, using: &random) {
            parts.append(FuzzInput.pick(["sslkey=/k", "nosuch=1", "x", "=y", "'"], using: &random))
        }
        result.text = parts.joined(separator: FuzzInput.pick([" ", "  ", "\t", "\n"], using: &random))
        result.expected = wellFormed ? expected : nil
        return result
    }

    static func singleQuoted(_ value: String) -> String {
        "'" + value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "'", with: "\\'") + "'"
    }

    /// Unquoted, with a backslash before each backslash, blank and quote.
    static func escapedBare(_ value: String) -> String {
        var text = ""
        for character in value {
            if character == "\\" || character == "'" || character.isWhitespace { text.append("\\") }
            text.append(character)
        }
        return text
    }

    static func percentEncoded(_ text: String) -> String {
        text.utf8.map { byte -> String in
            let unreserved = (byte >= 0x30 && byte <= 0x39) || (byte | 0x20 >= 0x61 && byte | 0x20 <= 0x7A)
                || byte == 0x2D || byte == 0x2E || byte == 0x5F || byte == 0x7E
            let hex = String(byte, radix: 16, uppercase: true)
            return unreserved ? String(UnicodeScalar(byte)) : "%" + (hex.count == 1 ? "0" : "") + hex
        }.joined()
    }

    static func checkConninfo(_ text: String, words: [String]) -> [String] {
        let settings: [String: String]
        do {
            settings = try ConnInfoParser.parse(text)
        } catch {
            var problems: [String] = []
            let keyword = error.key.hasPrefix("conninfo.") ? String(error.key.dropFirst("conninfo.".count)) : nil
            if error.key != "conninfo", keyword?.isEmpty != false || keyword?.allSatisfy({ $0 == "_" || ("a"..."z").contains($0) }) != true {
                problems.append("error key \(error.key.debugDescription) is neither conninfo nor conninfo.KEYWORD")
            }
            if error.line != nil || error.file != nil { problems.append("a conninfo error with a line or file") }
            for word in words where error.description.contains(word) {
                problems.append("the error \(error.description.debugDescription) names the password's word \(word)")
            }
            return problems
        }
        var problems: [String] = []
        for key in settings.keys where !ConnInfoParser.keywords.contains(key) {
            problems.append("an unknown keyword \(key.debugDescription) was accepted")
        }
        // Written back quoted, the settings read the same (ASCII only: a quote followed by a combining mark is
        // one character).
        if settings.values.allSatisfy({ $0.unicodeScalars.allSatisfy(\.isASCII) }) {
            let rewritten = settings.sorted { $0.key < $1.key }.map { "\($0.key)=\(Self.singleQuoted($0.value))" }.joined(separator: " ")
            do {
                let again = try ConnInfoParser.parse(rewritten)
                if again != settings { problems.append("written back and read again: \(again), not \(settings)") }
            } catch {
                problems.append("written back (\(rewritten.debugDescription)), the settings fail: \(error)")
            }
        }
        return problems
    }
}
