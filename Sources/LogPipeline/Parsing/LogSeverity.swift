import AgentSchema

/// The words PostgreSQL prints in front of a log message: the severity (`ERROR:  `) and the labels of an
/// entry's extra lines (`DETAIL:  `, `HINT:  `, …), in English and in every language of PostgreSQL's own
/// message catalogs, so that a server running with a localised `lc_messages` still parses.
///
/// PostgreSQL translates these words in the stderr log (`_(error_severity(…))`, `_("DETAIL:  ")`), but not
/// in jsonlog, so the English name is what we report and the localised word is kept beside it.
///
/// The tables below were generated once from the catalogs Debian's `postgresql-15` installs
/// (`/usr/share/locale/*/LC_MESSAGES/postgres-15.mo`: de es fr it ja ka ko ru sv uk zh_CN) with
/// `msgunfmt` (package `gettext`), taking the msgids `DEBUG` … `PANIC`, `DETAIL:  ` … `QUERY:  `, the
/// `LOCATION:  %s:%d\n` format up to its first `%s`, and `[unknown]`; rows whose translation equals the
/// English text are left out. PostgreSQL's other backend catalogs (id, pl, pt_BR, tr) are not shipped
/// by Debian's 15 and are not in the table: lines in those languages are still read, with an unknown
/// severity (see ``StderrLogParser``).
///
/// The Georgian catalog uses one word for both NOTICE and WARNING; we read it as WARNING, the more
/// severe of the two, so that an alert on warnings does not miss it.
package enum LogSeverity {
    /// The label of one of an entry's extra lines, written after the prefix instead of a severity.
    package enum Label: Sendable, Equatable {
        case detail, hint, context, statement, query, location

        /// PostgreSQL's English name of the label (`DETAIL`, …).
        package var english: String {
            switch self {
            case .detail: "DETAIL"
            case .hint: "HINT"
            case .context: "CONTEXT"
            case .statement: "STATEMENT"
            case .query: "QUERY"
            case .location: "LOCATION"
            }
        }

        init?(english: String) {
            switch english {
            case "DETAIL": self = .detail
            case "HINT": self = .hint
            case "CONTEXT": self = .context
            case "STATEMENT": self = .statement
            case "QUERY": self = .query
            case "LOCATION": self = .location
            default: return nil
            }
        }
    }

    /// What a line says right after its prefix.
    enum Head: Sendable, Equatable {
        /// A severity: the start of a new entry. `localized` is the word as written when it is not English.
        case severity(english: String, localized: String?)
        /// The label of an extra line of the entry that is open for the same process.
        case label(Label)
        /// A word in the place of a severity that no table knows (a catalog we do not have).
        case unknownSeverity(written: String)
    }

    /// The severity names PostgreSQL uses, least to most severe (`DEBUG1`…`DEBUG5` print as `DEBUG`).
    static let englishSeverities = [
        "DEBUG5", "DEBUG4", "DEBUG3", "DEBUG2", "DEBUG1", "DEBUG", "LOG", "INFO", "NOTICE", "WARNING", "ERROR",
        "FATAL", "PANIC",
    ]

    /// The English name of a severity word as it appears in a log (`FEHLER` → `ERROR`, `LOG` → `LOG`).
    ///
    /// - Parameter word: the word alone, without the colon (`ERROR`, `ОШИБКА`).
    /// - Returns: `DEBUG1`…`DEBUG5`, `DEBUG`, `LOG`, `INFO`, `NOTICE`, `WARNING`, `ERROR`, `FATAL` or `PANIC`;
    ///   nil when the word is no severity in any language we know.
    package static func english(_ word: Substring) -> String? {
        english(String(word))
    }

    /// The English name of a severity word as it appears in a log (`FEHLER` → `ERROR`, `LOG` → `LOG`).
    ///
    /// - Parameter word: the word alone, without the colon (`ERROR`, `ОШИБКА`).
    /// - Returns: `DEBUG1`…`DEBUG5`, `DEBUG`, `LOG`, `INFO`, `NOTICE`, `WARNING`, `ERROR`, `FATAL` or `PANIC`;
    ///   nil when the word is no severity in any language we know.
    package static func english(_ word: String) -> String? {
        if englishSeverities.contains(word) { return word }
        return severityTranslations.first { $0.written == word }?.english
    }

    /// The English name of an extra line's label as it appears in a log (`TIPP` → `HINT`).
    ///
    /// - Parameter label: the label, with or without its colon and the spaces around it (`CONTEXTE :`,
    ///   `ZUSAMMENHANG`, `DETAIL:  `).
    /// - Returns: `DETAIL`, `HINT`, `CONTEXT`, `STATEMENT`, `QUERY` or `LOCATION`; nil when it is no label.
    package static func fieldLabel(_ label: Substring) -> String? {
        var word = label
        while let last = word.last, last == " " || last == ":" { word = word.dropLast() }
        while let first = word.first, first == " " { word = word.dropFirst() }
        let key = String(word)
        if Label(english: key) != nil { return key }
        return labelTranslations.first { trimmedLabel($0.written) == key }?.english
    }

    /// The English name of an extra line's label as it appears in a log (`TIPP` → `HINT`).
    ///
    /// - Parameter label: the label, with or without its colon and the spaces around it.
    /// - Returns: `DETAIL`, `HINT`, `CONTEXT`, `STATEMENT`, `QUERY` or `LOCATION`; nil when it is no label.
    package static func fieldLabel(_ label: String) -> String? {
        fieldLabel(label[...])
    }

    /// Whether a user, database or application name printed by `%u`, `%d` or `%a` is PostgreSQL's
    /// placeholder for "not known yet" (`[unknown]`, localised too); such values are reported as absent,
    /// as csvlog and jsonlog do.
    static func isUnknownPlaceholder(_ value: UnsafeBufferPointer<UInt8>) -> Bool {
        // Every placeholder is bracketed; this test spares the string comparisons for real names.
        guard value.count >= 3, value[0] == UInt8(ascii: "["), value[value.count - 1] == UInt8(ascii: "]") else {
            return false
        }
        let text = String(decoding: value, as: UTF8.self)
        return text == "[unknown]" || unknownTranslations.contains(text)
    }

    private static func trimmedLabel(_ written: String) -> String {
        var word = written[...]
        while let last = word.last, last == " " || last == ":" { word = word.dropLast() }
        return String(word)
    }

    /// The heads in every known language, as byte patterns with their colon and spaces, indexed by first byte.
    static let heads = HeadTable()

    /// The byte patterns of every known head (`ERROR:  `, `FEHLER:  `, `CONTEXTE :  `, `쿼리:`), indexed by
    /// their first byte so that a line whose prefix ends at a wrong place is rejected after one lookup.
    ///
    /// The matcher asks this table several times per line, so it keeps its bytes in memory of its own
    /// rather than in arrays: reading it then costs no reference counting. It is filled once in `init`
    /// and never changed or freed (there is one, for the life of the process), hence `@unchecked Sendable`.
    final class HeadTable: @unchecked Sendable {
        /// What each pattern means, by pattern number.
        let heads: [Head]
        /// The same, taken apart for the stderr parser: the English severity and the word as written when
        /// it differs, or the label.
        let severities: [PostgresSeverity?]
        let localizedSeverities: [String?]
        let labels: [Label?]
        /// All patterns, one after the other.
        private let bytes: UnsafeMutableBufferPointer<UInt8>
        /// Per pattern: where its bytes start in ``bytes``, and how many there are (without the spaces after
        /// the colon), and how many spaces must follow them (0 or 1: up to 2 are taken).
        private let starts: UnsafeMutableBufferPointer<Int32>
        private let counts: UnsafeMutableBufferPointer<Int32>
        private let minimumSpaces: UnsafeMutableBufferPointer<Int8>
        /// Pattern numbers grouped by first byte; `firstByteStart[b]..<firstByteStart[b + 1]` are those for `b`.
        private let byFirstByte: UnsafeMutableBufferPointer<Int32>
        private let firstByteStart: UnsafeMutableBufferPointer<Int32>

        init() {
            var patterns: [(bytes: [UInt8], head: Head)] = []
            // PostgreSQL prints a severity as "%s:  " in every language; only the word is translated.
            for word in LogSeverity.englishSeverities where !word.hasPrefix("DEBUG") || word == "DEBUG" {
                patterns.append((Array("\(word):  ".utf8), .severity(english: word, localized: nil)))
            }
            for row in LogSeverity.severityTranslations {
                patterns.append((Array("\(row.written):  ".utf8), .severity(english: row.english, localized: row.written)))
            }
            for label in [Label.detail, .hint, .context, .statement, .query, .location] {
                patterns.append((Array("\(label.english):  ".utf8), .label(label)))
            }
            // The translations carry their own colon and spacing ("CONTEXTE :  ", "쿼리:"), kept as written.
            for row in LogSeverity.labelTranslations {
                guard let label = Label(english: row.english) else { continue }
                let bytes = Array(row.written.utf8)
                if patterns.contains(where: { $0.bytes == bytes }) { continue }
                patterns.append((bytes, .label(label)))
            }
            // PostgreSQL writes two spaces after the colon; tools and hand-edited logs have one. The spaces
            // are matched apart: at least one when the pattern had any, up to two.
            var spaces: [Int8] = []
            for index in patterns.indices {
                var bytes = patterns[index].bytes
                var trailing = 0
                while bytes.count > 1, bytes.last == UInt8(ascii: " ") {
                    bytes.removeLast()
                    trailing += 1
                }
                patterns[index].bytes = bytes
                spaces.append(trailing > 0 ? 1 : 0)
            }
            heads = patterns.map(\.head)
            severities = heads.map { if case .severity(let english, _) = $0 { PostgresSeverity(rawValue: english) } else { nil } }
            localizedSeverities = heads.map { if case .severity(_, let localized) = $0 { localized } else { nil } }
            labels = heads.map { if case .label(let label) = $0 { label } else { nil } }
            let all = patterns.flatMap(\.bytes)
            bytes = .allocate(capacity: all.count)
            _ = bytes.initialize(from: all)
            starts = .allocate(capacity: patterns.count)
            counts = .allocate(capacity: patterns.count)
            minimumSpaces = .allocate(capacity: patterns.count)
            _ = minimumSpaces.initialize(from: spaces)
            var offset = 0
            for (index, pattern) in patterns.enumerated() {
                starts[index] = Int32(offset)
                counts[index] = Int32(pattern.bytes.count)
                offset += pattern.bytes.count
            }
            var grouped: [Int32] = []
            var groupStarts: [Int32] = []
            for byte in 0..<256 {
                groupStarts.append(Int32(grouped.count))
                for (index, pattern) in patterns.enumerated() where pattern.bytes[0] == byte {
                    grouped.append(Int32(index))
                }
            }
            groupStarts.append(Int32(grouped.count))
            byFirstByte = .allocate(capacity: max(grouped.count, 1))
            _ = byFirstByte.initialize(from: grouped)
            firstByteStart = .allocate(capacity: groupStarts.count)
            _ = firstByteStart.initialize(from: groupStarts)
        }

        /// Whether any known head could start with this byte (a cheap test before ``match(_:at:)``).
        @inline(__always)
        func mayStart(with byte: UInt8) -> Bool {
            firstByteStart[Int(byte)] != firstByteStart[Int(byte) + 1]
        }

        /// The number of the pattern at `position` and the offset where its text begins, if the line has a
        /// known head there.
        func match(_ line: UnsafeBufferPointer<UInt8>, at position: Int) -> (pattern: Int, textStart: Int)? {
            guard position < line.count else { return nil }
            let first = Int(line[position])
            for slot in Int(firstByteStart[first])..<Int(firstByteStart[first + 1]) {
                let pattern = Int(byFirstByte[slot])
                let start = Int(starts[pattern])
                let count = Int(counts[pattern])
                guard line.count - position >= count else { continue }
                var same = true
                for offset in 1..<count where line[position + offset] != bytes[start + offset] {
                    same = false
                    break
                }
                guard same else { continue }
                var textStart = position + count
                var taken = 0
                while taken < 2, textStart < line.count, line[textStart] == UInt8(ascii: " ") {
                    textStart += 1
                    taken += 1
                }
                if taken >= Int(minimumSpaces[pattern]) { return (pattern, textStart) }
            }
            return nil
        }

        /// A severity-shaped head in a language we have no table for: one word of 1 to 64 bytes without
        /// spaces or colons, not starting with a digit, followed by `: ` or `:  `. Returns where its text
        /// begins.
        func matchUnknown(_ line: UnsafeBufferPointer<UInt8>, at position: Int) -> Int? {
            guard position < line.count, line[position] &- UInt8(ascii: "0") >= 10 else { return nil }
            var end = position
            while end < line.count, end - position <= 64 {
                let byte = line[end]
                if byte == UInt8(ascii: ":") { break }
                if byte <= UInt8(ascii: " ") || byte == 0x7F { return nil }
                end += 1
            }
            guard end > position, end - position <= 64, end + 2 <= line.count,
                line[end] == UInt8(ascii: ":"), line[end + 1] == UInt8(ascii: " ")
            else { return nil }
            return end + 3 <= line.count && line[end + 2] == UInt8(ascii: " ") ? end + 3 : end + 2
        }
    }

    // MARK: - Generated from PostgreSQL 15's message catalogs (see the type's documentation)

    static let severityTranslations: [(locale: String, english: String, written: String)] = [
        ("de", "NOTICE", "HINWEIS"),
        ("de", "WARNING", "WARNUNG"),
        ("de", "ERROR", "FEHLER"),
        ("de", "PANIC", "PANIK"),
        ("fr", "WARNING", "ATTENTION"),
        ("fr", "ERROR", "ERREUR"),
        ("it", "NOTICE", "NOTIFICA"),
        ("it", "WARNING", "ATTENZIONE"),
        ("it", "ERROR", "ERRORE"),
        ("it", "FATAL", "FATALE"),
        ("it", "PANIC", "PANICO"),
        ("ka", "DEBUG", "გამართვა"),
        ("ka", "LOG", "ჟურნალი"),
        ("ka", "INFO", "ინფორმაცია"),
        ("ka", "WARNING", "გაფრთხილება"),
        ("ka", "ERROR", "შეცდომა"),
        ("ka", "FATAL", "ფატალური"),
        ("ka", "PANIC", "პანიკა"),
        ("ko", "DEBUG", "디버그"),
        ("ko", "LOG", "로그"),
        ("ko", "INFO", "정보"),
        ("ko", "NOTICE", "알림"),
        ("ko", "WARNING", "경고"),
        ("ko", "ERROR", "오류"),
        ("ko", "FATAL", "치명적오류"),
        ("ko", "PANIC", "손상"),
        ("ru", "DEBUG", "ОТЛАДКА"),
        ("ru", "LOG", "СООБЩЕНИЕ"),
        ("ru", "INFO", "ИНФОРМАЦИЯ"),
        ("ru", "NOTICE", "ЗАМЕЧАНИЕ"),
        ("ru", "WARNING", "ПРЕДУПРЕЖДЕНИЕ"),
        ("ru", "ERROR", "ОШИБКА"),
        ("ru", "FATAL", "ВАЖНО"),
        ("ru", "PANIC", "ПАНИКА"),
        ("sv", "LOG", "LOGG"),
        ("sv", "NOTICE", "NOTIS"),
        ("sv", "WARNING", "VARNING"),
        ("sv", "ERROR", "FEL"),
        ("sv", "FATAL", "FATALT"),
        ("sv", "PANIC", "PANIK"),
        ("uk", "DEBUG", "НАЛАГОДЖЕННЯ"),
        ("uk", "LOG", "ЗАПИСУВАННЯ"),
        ("uk", "INFO", "ІНФОРМАЦІЯ"),
        ("uk", "NOTICE", "ПОВІДОМЛЕННЯ"),
        ("uk", "WARNING", "ПОПЕРЕДЖЕННЯ"),
        ("uk", "ERROR", "ПОМИЛКА"),
        ("uk", "FATAL", "ФАТАЛЬНО"),
        ("uk", "PANIC", "ПАНІКА"),
        ("zh_CN", "DEBUG", "调试"),
        ("zh_CN", "LOG", "日志"),
        ("zh_CN", "INFO", "信息"),
        ("zh_CN", "NOTICE", "注意"),
        ("zh_CN", "WARNING", "警告"),
        ("zh_CN", "ERROR", "错误"),
        ("zh_CN", "FATAL", "致命错误"),
        ("zh_CN", "PANIC", "比致命错误还过分的错误"),
    ]
    static let labelTranslations: [(locale: String, english: String, written: String)] = [
        ("de", "HINT", "TIPP:  "),
        ("de", "CONTEXT", "ZUSAMMENHANG:  "),
        ("de", "STATEMENT", "ANWEISUNG:  "),
        ("de", "QUERY", "ANFRAGE:  "),
        ("de", "LOCATION", "ORT:  "),
        ("es", "DETAIL", "DETALLE:  "),
        ("es", "CONTEXT", "CONTEXTO:  "),
        ("es", "STATEMENT", "SENTENCIA:  "),
        ("es", "QUERY", "CONSULTA:  "),
        ("es", "LOCATION", "UBICACIÓN:  "),
        ("fr", "DETAIL", "DÉTAIL:  "),
        ("fr", "HINT", "ASTUCE :  "),
        ("fr", "CONTEXT", "CONTEXTE :  "),
        ("fr", "STATEMENT", "INSTRUCTION :  "),
        ("fr", "QUERY", "REQUÊTE :  "),
        ("fr", "LOCATION", "EMPLACEMENT :  "),
        ("it", "DETAIL", "DETTAGLI:  "),
        ("it", "HINT", "SUGGERIMENTO:  "),
        ("it", "CONTEXT", "CONTESTO:  "),
        ("it", "STATEMENT", "ISTRUZIONE:  "),
        ("it", "LOCATION", "POSIZIONE:  "),
        ("ja", "DETAIL", "詳細:  "),
        ("ja", "HINT", "ヒント:  "),
        ("ja", "CONTEXT", "文脈:  "),
        ("ja", "STATEMENT", "文:  "),
        ("ja", "QUERY", "問い合わせ:  "),
        ("ja", "LOCATION", "場所:  "),
        ("ka", "DETAIL", "დეტალები:  "),
        ("ka", "HINT", "მინიშნება:  "),
        ("ka", "CONTEXT", "კონტექსტი:  "),
        ("ka", "STATEMENT", "ოპერატორი:  "),
        ("ka", "QUERY", "მოთხოვნა:  "),
        ("ka", "LOCATION", "მდებარეობა:   "),
        ("ko", "DETAIL", "상세정보:  "),
        ("ko", "HINT", "힌트:  "),
        ("ko", "CONTEXT", "내용:  "),
        ("ko", "STATEMENT", "명령 구문:  "),
        ("ko", "QUERY", "쿼리:"),
        ("ko", "LOCATION", "위치: "),
        ("ru", "DETAIL", "ПОДРОБНОСТИ:  "),
        ("ru", "HINT", "ПОДСКАЗКА:  "),
        ("ru", "CONTEXT", "КОНТЕКСТ:  "),
        ("ru", "STATEMENT", "ОПЕРАТОР:  "),
        ("ru", "QUERY", "ЗАПРОС:  "),
        ("ru", "LOCATION", "ПОЛОЖЕНИЕ: "),
        ("sv", "DETAIL", "DETALJ:  "),
        ("sv", "HINT", "TIPS:  "),
        ("sv", "CONTEXT", "KONTEXT:  "),
        ("sv", "STATEMENT", "SATS:  "),
        ("sv", "QUERY", "FRÅGA:  "),
        ("sv", "LOCATION", "PLATS:  "),
        ("uk", "DETAIL", "ВІДОМОСТІ:  "),
        ("uk", "HINT", "УКАЗІВКА:  "),
        ("uk", "CONTEXT", "КОНТЕКСТ:  "),
        ("uk", "STATEMENT", "ІНСТРУКЦІЯ:  "),
        ("uk", "QUERY", "ЗАПИТ:  "),
        ("uk", "LOCATION", "РОЗТАШУВАННЯ:  "),
        ("zh_CN", "DETAIL", "详细信息:  "),
        ("zh_CN", "HINT", "提示:  "),
        ("zh_CN", "CONTEXT", "上下文:  "),
        ("zh_CN", "STATEMENT", "语句:  "),
        ("zh_CN", "QUERY", "查询:  "),
        ("zh_CN", "LOCATION", "位置:  "),
    ]
    static let unknownTranslations: [String] = [
        "[unbekannt]",
        "[desconocido]",
        "[inconnu]",
        "[sconosciuto]",
        "[不明]",
        "[უცნობი]",
        "[알수없음]",
        "[н/д]",
        "[okänd]",
        "[未知]",
    ]
}
