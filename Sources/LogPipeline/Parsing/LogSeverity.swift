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
