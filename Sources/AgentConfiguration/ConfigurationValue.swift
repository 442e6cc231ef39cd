/// One raw setting as the operator gave it, with where it came from, and the typed reads the
/// configuration sections use. Every read that fails throws an ``AgentConfigurationError`` that
/// names ``key`` and says what is expected, without the value.
struct ConfigurationValue {
    /// The text as given (INI values are already unquoted and trimmed).
    var raw: String
    /// `section.key` for the INI file, or the environment variable's name.
    var key: String
    /// The INI line, when the value comes from the file.
    var line: Int?

    func error(_ code: AgentConfigurationError.Code, _ message: String) -> AgentConfigurationError {
        AgentConfigurationError(code: code, key: self.key, line: self.line, message: message)
    }

    /// The text; it must not be empty.
    func nonEmptyString(_ meaning: String) throws(AgentConfigurationError) -> String {
        guard !self.raw.isEmpty else {
            throw self.error(.missingValue, "must not be empty: \(meaning)")
        }
        return self.raw
    }

    /// The text, or `nil` when it is empty (optional paths: `password_file =` means "none").
    func optionalString() -> String? {
        self.raw.isEmpty ? nil : self.raw
    }

    /// A whole number in `minimum...maximum`, blanks around it allowed.
    ///
    /// The message reads "must be a whole number of milliseconds ≥ 1", or "… from 1 to 2".
    func integer(unit: String? = nil, minimum: Int, maximum: Int? = nil) throws(AgentConfigurationError) -> Int {
        let what = unit.map { "a whole number of \($0)" } ?? "a whole number"
        let range = maximum.map { "from \(minimum) to \($0)" } ?? "≥ \(minimum)"
        guard let number = Int(self.raw.trimmingSpaces()), number >= minimum, number <= (maximum ?? Int.max) else {
            throw self.error(.invalidValue, "must be \(what) \(range)")
        }
        return number
    }

    /// `true`/`yes`/`on`/`1` or `false`/`no`/`off`/`0`, in any letter case.
    func boolean() throws(AgentConfigurationError) -> Bool {
        switch self.raw.trimmingSpaces().lowercased() {
        case "true", "yes", "on", "1": return true
        case "false", "no", "off", "0": return false
        default: throw self.error(.invalidValue, "must be true or false (yes/no, on/off and 1/0 are accepted too)")
        }
    }

    /// One of the cases of `T`, by raw value, in any letter case.
    func choice<T: CaseIterable & RawRepresentable<String>>(_ type: T.Type = T.self) throws(AgentConfigurationError) -> T {
        let text = self.raw.trimmingSpaces().lowercased()
        guard let value = T.allCases.first(where: { $0.rawValue == text }) else {
            throw self.error(.invalidValue, "must be one of: \(T.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return value
    }

    /// Reads a secret from the file this value names; `nil` when the value is empty.
    ///
    /// A trailing line break is removed. An unreadable file is `unreadableFile` (the message names
    /// the path, which is not secret); an empty one is `missingValue`.
    func secretFromFile(
        describing secret: String,
        readFile: (String) throws -> String
    ) throws(AgentConfigurationError) -> Secret? {
        guard let path = self.optionalString() else { return nil }
        var contents: String
        do {
            contents = try readFile(path)
        } catch {
            throw self.error(.unreadableFile, "cannot read the \(secret) file \(path): \(AgentConfiguration.describeReadFailure(error))")
        }
        while let last = contents.last, last == "\n" || last == "\r\n" || last == "\r" {
            contents.removeLast()
        }
        guard !contents.isEmpty else {
            throw self.error(.missingValue, "names an empty file; it must contain the \(secret)")
        }
        return Secret(contents)
    }
}

extension String {
    /// The string without leading and trailing spaces and tabs.
    fileprivate func trimmingSpaces() -> Substring {
        var trimmed = self.drop { $0 == " " || $0 == "\t" }
        while let last = trimmed.last, last == " " || last == "\t" {
            trimmed = trimmed.dropLast()
        }
        return trimmed
    }
}
