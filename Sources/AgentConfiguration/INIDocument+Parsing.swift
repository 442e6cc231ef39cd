extension INIDocument {
    /// Parses `text` in the agent's INI dialect (see ``INIDocument``).
    ///
    /// - Throws: ``AgentConfigurationError`` with code `syntax` for a malformed line, or `conflict`
    ///   for a repeated section or key; the error has the line number and no file (the caller adds
    ///   it).
    package init(parsing text: String) throws(AgentConfigurationError) {
        var text = Substring(text)
        if text.first == "\u{FEFF}" {
            text = text.dropFirst()
        }
        var sections: [Section] = []
        let lines = text.split(omittingEmptySubsequences: false) { $0 == "\n" || $0 == "\r\n" || $0 == "\r" }

        for (index, rawLine) in lines.enumerated() {
            let lineNumber = index + 1
            let line = rawLine.trimmingBlanks()
            guard let first = line.first, first != ";", first != "#" else { continue }

            if first == "[" {
                let name = try Self.parseSectionHeader(line, lineNumber: lineNumber)
                if let previous = sections.first(where: { $0.name == name }) {
                    throw AgentConfigurationError(
                        code: .conflict, key: name, line: lineNumber,
                        message: "section [\(name)] appears twice (first on line \(previous.line)); merge them"
                    )
                }
                sections.append(Section(name: name, line: lineNumber))
                continue
            }

            let currentSection = sections.last?.name
            guard let equals = line.firstIndex(of: "=") else {
                throw AgentConfigurationError(
                    code: .syntax, key: currentSection ?? "", line: lineNumber,
                    message: "expected `key = value`, a `[section]` header or a comment"
                )
            }
            let key = String(line[..<equals].trimmingBlanks())
            guard !key.isEmpty, key.allSatisfy(Self.isKeyCharacter) else {
                throw AgentConfigurationError(
                    code: .syntax, key: currentSection ?? "", line: lineNumber,
                    message: "a key must be non-empty and made of letters, digits, `_`, `-` and `.`"
                )
            }
            guard let sectionIndex = sections.indices.last else {
                throw AgentConfigurationError(
                    code: .syntax, key: key, line: lineNumber,
                    message: "comes before any [section] header; every key belongs to a section"
                )
            }
            let qualifiedKey = "\(sections[sectionIndex].name).\(key)"
            let value = try Self.parseValue(line[line.index(after: equals)...], key: qualifiedKey, lineNumber: lineNumber)
            if let previous = sections[sectionIndex][key] {
                throw AgentConfigurationError(
                    code: .conflict, key: qualifiedKey, line: lineNumber,
                    message: "is set twice in [\(sections[sectionIndex].name)] (first on line \(previous.line)); keep one"
                )
            }
            sections[sectionIndex].entries.append(Entry(key: key, value: value, line: lineNumber))
        }
        self.init(sections: sections)
    }

    /// Parses `[name]` plus an optional trailing comment and returns the name.
    private static func parseSectionHeader(_ line: Substring, lineNumber: Int) throws(AgentConfigurationError) -> String {
        guard let close = line.firstIndex(of: "]") else {
            throw AgentConfigurationError(
                code: .syntax, key: "", line: lineNumber, message: "a section header must end with `]`"
            )
        }
        let name = String(line[line.index(after: line.startIndex)..<close].trimmingBlanks())
        let rest = line[line.index(after: close)...].trimmingBlanks()
        guard rest.isEmpty || rest.first == ";" || rest.first == "#" else {
            throw AgentConfigurationError(
                code: .syntax, key: name, line: lineNumber,
                message: "only a comment may follow a section header"
            )
        }
        guard !name.isEmpty, name.allSatisfy({ Self.isKeyCharacter($0) || $0 == ":" }) else {
            throw AgentConfigurationError(
                code: .syntax, key: "", line: lineNumber,
                message: "a section name must be non-empty and made of letters, digits, `_`, `-`, `.` and `:`"
            )
        }
        return name
    }

    /// Parses what follows `=`: a quoted or a bare value, then an optional comment.
    private static func parseValue(
        _ raw: Substring,
        key: String,
        lineNumber: Int
    ) throws(AgentConfigurationError) -> String {
        let text = raw.drop { $0.isBlank }
        guard text.first == "\"" else {
            // A bare value ends where an inline comment starts: `;` or `#` at the start of the value
            // or after a blank.
            var end = text.endIndex
            var previousIsBlank = true
            for index in text.indices {
                let character = text[index]
                if (character == ";" || character == "#") && previousIsBlank {
                    end = index
                    break
                }
                previousIsBlank = character.isBlank
            }
            return String(text[..<end].trimmingBlanks())
        }

        var value = ""
        var index = text.index(after: text.startIndex)
        while true {
            guard index < text.endIndex else {
                throw AgentConfigurationError(
                    code: .syntax, key: key, line: lineNumber,
                    message: "the quoted value has no closing `\"` (values cannot span lines)"
                )
            }
            let character = text[index]
            if character == "\"" {
                break
            }
            if character == "\\" {
                let next = text.index(after: index)
                guard next < text.endIndex, text[next] == "\"" || text[next] == "\\" else {
                    throw AgentConfigurationError(
                        code: .syntax, key: key, line: lineNumber,
                        message: "in a quoted value, `\\` must be followed by `\"` or `\\`"
                    )
                }
                value.append(text[next])
                index = text.index(after: next)
                continue
            }
            value.append(character)
            index = text.index(after: index)
        }
        let rest = text[text.index(after: index)...].trimmingBlanks()
        guard rest.isEmpty || rest.first == ";" || rest.first == "#" else {
            throw AgentConfigurationError(
                code: .syntax, key: key, line: lineNumber,
                message: "only a comment may follow a quoted value"
            )
        }
        return value
    }

    private static func isKeyCharacter(_ character: Character) -> Bool {
        character.isASCII && (character.isLetter || character.isNumber || character == "_" || character == "-" || character == ".")
    }
}

extension Character {
    /// A space or a tab: the blanks of an INI line.
    fileprivate var isBlank: Bool { self == " " || self == "\t" }
}

extension Substring {
    /// The substring without leading and trailing spaces and tabs.
    fileprivate func trimmingBlanks() -> Substring {
        var trimmed = self.drop { $0.isBlank }
        while let last = trimmed.last, last.isBlank {
            trimmed = trimmed.dropLast()
        }
        return trimmed
    }
}
