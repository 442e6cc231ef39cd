extension AgentConfiguration {
    /// The sections other than `[postgres]`, with their INI keys and their environment-only keys.
    static let plainSections: [(name: String, keys: [String], environmentOnlyKeys: [String])] = [
        ("agent", Agent.keys, []),
        ("collectors", Collectors.keys, []),
        ("logs", Logs.keys, []),
        ("listener", Listener.keys, Listener.environmentOnlyKeys),
        ("spool", Spool.keys, []),
        ("privacy", Privacy.keys, []),
        ("activity", Activity.keys, []),
        ("correlation", Correlation.keys, []),
        ("metrics", Metrics.keys, []),
    ]

    /// Loads the configuration: defaults, then the INI file at `path`, then the `POSTGRES_AGENT_*`
    /// environment (see ``AgentConfiguration`` for the rules), and reads the secret files.
    ///
    /// Everything is validated here, so a bad configuration stops the agent at start-up (exit code
    /// 78) with an error that names the key, and never its value. Connection settings are resolved
    /// later, by ``PostgresInstance/connectionSettings(environment:osUser:readFile:)``, but each
    /// conninfo string is already checked for syntax, keywords and values.
    ///
    /// - Parameters:
    ///   - path: The INI file; `nil` means defaults and environment only.
    ///   - environment: The process environment.
    ///   - readFile: Reads a file's text: the INI file, `password_file`, `api_key_file`.
    /// - Throws: ``AgentConfigurationError``: `unreadableFile` (key: the path) when `path` cannot be
    ///   read; otherwise whatever the file, the environment or a secret file gets wrong.
    package static func load(
        path: String?,
        environment: [String: String],
        readFile: (String) throws -> String
    ) throws(AgentConfigurationError) -> AgentConfiguration {
        var document = INIDocument()
        if let path {
            let text: String
            do {
                text = try readFile(path)
            } catch {
                throw AgentConfigurationError(
                    code: .unreadableFile, key: path,
                    message: "cannot read the configuration file: \(Self.describeReadFailure(error))"
                )
            }
            do {
                document = try INIDocument(parsing: text)
            } catch {
                var error = error
                error.file = path
                throw error
            }
        }
        do {
            return try Self.load(document: document, environment: environment, readFile: readFile)
        } catch {
            var error = error
            if error.line != nil { error.file = path }
            throw error
        }
    }

    /// Builds the configuration from a parsed document and the environment.
    static func load(
        document: INIDocument,
        environment: [String: String],
        readFile: (String) throws -> String
    ) throws(AgentConfigurationError) -> AgentConfiguration {
        var plainSections: [String: INIDocument.Section] = [:]
        var postgresSections: [(name: String, section: INIDocument.Section)] = []
        var plainPostgresSection: INIDocument.Section?

        for section in document.sections {
            if section.name == "postgres" {
                plainPostgresSection = section
                try Self.checkKeys(of: section, allowed: PostgresInstance.keys)
            } else if section.name.hasPrefix("postgres:") {
                let name = String(section.name.dropFirst("postgres:".count))
                guard !name.isEmpty, name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-") }) else {
                    throw AgentConfigurationError(
                        code: .invalidValue, key: section.name, line: section.line,
                        message: "an instance name (after `postgres:`) must be non-empty and made of letters, digits, `_` and `-`"
                    )
                }
                postgresSections.append((name, section))
                try Self.checkKeys(of: section, allowed: PostgresInstance.keys)
            } else if let known = Self.plainSections.first(where: { $0.name == section.name }) {
                plainSections[section.name] = section
                try Self.checkKeys(of: section, allowed: known.keys)
            } else {
                throw AgentConfigurationError(
                    code: .unknownSection, key: section.name, line: section.line,
                    message: "is not a configuration section; the sections are [agent], [postgres] or "
                        + "[postgres:NAME], [collectors], [logs], [listener], [spool], [privacy], [activity], [correlation] and [metrics]"
                )
            }
        }
        if let plain = plainPostgresSection, let named = postgresSections.first {
            throw AgentConfigurationError(
                code: .conflict, key: "postgres", line: max(plain.line, named.section.line),
                message: "[postgres] and [postgres:NAME] sections cannot be mixed; name every instance, or use one [postgres] section"
            )
        }

        let instances: [(name: String, sectionName: String, section: INIDocument.Section?)] =
            if !postgresSections.isEmpty {
                postgresSections.map { ($0.name, $0.section.name, $0.section) }
            } else {
                [("default", "postgres", plainPostgresSection)]
            }

        let overrides = try Self.environmentOverrides(
            environment, instances: instances.map { (name: $0.name, sectionName: $0.sectionName, line: $0.section?.line) }
        )
        func reader(_ name: String, _ section: INIDocument.Section?) -> ConfigurationSectionReader {
            ConfigurationSectionReader(name: name, section: section, overrides: overrides[name] ?? [:])
        }

        var configuration = AgentConfiguration()
        configuration.agent = try Agent(reading: reader("agent", plainSections["agent"]))
        configuration.postgres = []
        for instance in instances {
            configuration.postgres.append(
                try PostgresInstance(
                    name: instance.name, reading: reader(instance.sectionName, instance.section), readFile: readFile
                )
            )
        }
        configuration.collectors = try Collectors(reading: reader("collectors", plainSections["collectors"]))
        configuration.logs = try Logs(reading: reader("logs", plainSections["logs"]))
        configuration.listener = try Listener(reading: reader("listener", plainSections["listener"]), readFile: readFile)
        configuration.spool = try Spool(reading: reader("spool", plainSections["spool"]))
        configuration.privacy = try Privacy(reading: reader("privacy", plainSections["privacy"]))
        configuration.activity = try Activity(reading: reader("activity", plainSections["activity"]))
        configuration.correlation = try Correlation(reading: reader("correlation", plainSections["correlation"]))
        configuration.metrics = try Metrics(reading: reader("metrics", plainSections["metrics"]))
        // Two servers cannot both own one log file: their entries would be shipped twice.
        var owners: [String: String] = [:]
        for instance in configuration.postgres {
            let path = configuration.logs(for: instance).path
            guard !path.isEmpty, path != "auto" else { continue }
            if let other = owners[path] {
                throw AgentConfigurationError(
                    code: .invalidValue, key: "\(instance.sectionName).log_path", line: nil, file: nil,
                    message: "[\(other)] already tails this log; give each server its own log_path")
            }
            owners[path] = instance.sectionName
        }
        return configuration
    }

    /// Refuses keys the section does not have, with a pointer to the right place for secrets.
    private static func checkKeys(of section: INIDocument.Section, allowed: [String]) throws(AgentConfigurationError) {
        let isPostgres = section.name == "postgres" || section.name.hasPrefix("postgres:")
        for entry in section.entries where !allowed.contains(entry.key) {
            let key = "\(section.name).\(entry.key)"
            if entry.key == "password" && isPostgres {
                let variable = Self.postgresVariablePrefix(sectionName: section.name) + "PASSWORD"
                throw AgentConfigurationError(
                    code: .unknownKey, key: key, line: entry.line,
                    message: "secrets do not belong in the configuration file; put the password in a file named by "
                        + "password_file, or set \(variable) in the agent's environment"
                )
            }
            if entry.key == "api_key" && section.name == "listener" {
                throw AgentConfigurationError(
                    code: .unknownKey, key: key, line: entry.line,
                    message: "secrets do not belong in the configuration file; put the key in a file named by "
                        + "api_key_file, or set POSTGRES_AGENT_LISTENER_API_KEY in the agent's environment"
                )
            }
            throw AgentConfigurationError(
                code: .unknownKey, key: key, line: entry.line,
                message: "is not a key of [\(section.name)]; the keys are \(allowed.joined(separator: ", "))"
            )
        }
    }
}
