/// A configuration problem found at start-up: in the INI file, in a `POSTGRES_AGENT_*` or `PG*`
/// environment variable, in a conninfo string, or in a secret file.
///
/// The error names the offending key and says what is expected, but never repeats the offending
/// value: it may be a password, an API key or a conninfo string with a password in it. The
/// executable prints `description` and exits with ``exitCode`` (78, `EX_CONFIG`).
///
/// ```
/// /etc/bitville/postgres-agent.ini:12: postgres:main.statement_timeout_ms: must be a whole number of milliseconds ≥ 1
/// POSTGRES_AGENT_AGENT_INTERVAL_SECONDS: must be a whole number of seconds ≥ 1
/// ```
package struct AgentConfigurationError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What kind of problem this is. New codes may be added; switch with a `default`.
    package struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: Hashable, Sendable {
            case syntax
            case unknownSection
            case unknownKey
            case invalidValue
            case missingValue
            case unreadableFile
            case conflict
        }

        private let base: Base

        private init(_ base: Base) {
            self.base = base
        }

        /// A line of the INI file, or a conninfo string, cannot be parsed.
        package static let syntax = Self(.syntax)
        /// The INI file has a `[section]` the agent does not know.
        package static let unknownSection = Self(.unknownSection)
        /// A key, a `POSTGRES_AGENT_*` variable or a conninfo keyword the agent does not know, or a
        /// secret where secrets are not accepted (`password`/`api_key` in the INI file).
        package static let unknownKey = Self(.unknownKey)
        /// A value of the wrong type or out of range.
        package static let invalidValue = Self(.invalidValue)
        /// A value that must be present is empty (for example an empty password file).
        package static let missingValue = Self(.missingValue)
        /// The configuration file or a secret file cannot be read.
        package static let unreadableFile = Self(.unreadableFile)
        /// Two settings contradict each other, or one is given twice.
        package static let conflict = Self(.conflict)

        /// The code's name, such as `invalidValue`.
        package var description: String {
            switch self.base {
            case .syntax: "syntax"
            case .unknownSection: "unknownSection"
            case .unknownKey: "unknownKey"
            case .invalidValue: "invalidValue"
            case .missingValue: "missingValue"
            case .unreadableFile: "unreadableFile"
            case .conflict: "conflict"
            }
        }
    }

    /// The exit status for a configuration error: 78 (`EX_CONFIG` from `sysexits.h`).
    package static let exitCode: Int32 = 78

    /// What kind of problem this is.
    package var code: Code

    /// The setting at fault, as the operator wrote it: `section.key` for the INI file
    /// (`postgres:main.statement_timeout_ms`), the variable name for the environment
    /// (`POSTGRES_AGENT_AGENT_INTERVAL_SECONDS`, `PGPORT`), `conninfo.KEYWORD` for a conninfo string
    /// (`conninfo.sslmode`), the path for an unreadable configuration file. Empty when a line cannot
    /// be attributed to a key.
    package var key: String

    /// The 1-based line of the INI file, when the problem is in the file.
    package var line: Int?

    /// The configuration file's path, when the problem is in the file.
    package var file: String?

    /// What is expected, for example `must be a whole number of milliseconds ≥ 1`. Never contains
    /// the offending value.
    package var message: String

    /// Creates an error; `message` must not contain the offending value.
    package init(code: Code, key: String, line: Int? = nil, file: String? = nil, message: String) {
        self.code = code
        self.key = key
        self.line = line
        self.file = file
        self.message = message
    }

    /// The exit status for a configuration error: always ``exitCode`` (78).
    package var exitCode: Int32 { Self.exitCode }

    /// `FILE:LINE: KEY: MESSAGE`, leaving out the parts that are unknown.
    package var description: String {
        var text = ""
        if let file {
            text += file
            if let line { text += ":\(line)" }
            text += ": "
        } else if let line {
            text += "line \(line): "
        }
        if !self.key.isEmpty {
            text += "\(self.key): "
        }
        return text + self.message
    }
}
