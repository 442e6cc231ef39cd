extension AgentConfiguration {
    /// The prefix of every environment variable the agent reads for its configuration.
    package static let environmentPrefix = "POSTGRES_AGENT_"

    /// The environment variable that overrides `key` in `[section]`: `POSTGRES_AGENT_AGENT_PROJECT`.
    package static func environmentVariable(section: String, key: String) -> String {
        "\(Self.environmentPrefix)\(section.uppercased())_\(key.uppercased())"
    }

    /// The environment variable that overrides `key` for the postgres instance `instance`:
    /// `POSTGRES_AGENT_POSTGRES_<NAME>_<KEY>`, with the name upper-cased and `-` written as `_`.
    package static func environmentVariable(postgresInstance instance: String, key: String) -> String {
        "\(Self.environmentPrefix)POSTGRES_\(Self.environmentName(of: instance))_\(key.uppercased())"
    }

    /// The prefix of the variables for a postgres section (`postgres` or `postgres:NAME`), as named
    /// in error messages: `POSTGRES_AGENT_POSTGRES_` or `POSTGRES_AGENT_POSTGRES_<NAME>_`.
    static func postgresVariablePrefix(sectionName: String) -> String {
        guard sectionName.hasPrefix("postgres:") else { return "\(Self.environmentPrefix)POSTGRES_" }
        return "\(Self.environmentPrefix)POSTGRES_\(Self.environmentName(of: String(sectionName.dropFirst("postgres:".count))))_"
    }

    private static func environmentName(of instance: String) -> String {
        instance.uppercased().replacingDashes()
    }

    /// Matches every `POSTGRES_AGENT_*` variable to a section and key.
    ///
    /// - Returns: The overrides by section name (`agent`, `postgres`, `postgres:main`) and key.
    /// - Throws: `unknownKey` for a variable that matches nothing; `conflict` when two variables set
    ///   the same setting, or two instance names map to the same variables.
    static func environmentOverrides(
        _ environment: [String: String],
        instances: [(name: String, sectionName: String, line: Int?)]
    ) throws(AgentConfigurationError) -> [String: [String: ConfigurationSectionReader.EnvironmentOverride]] {
        // Every variable we understand, and the setting it targets.
        var targets: [String: (section: String, key: String)] = [:]
        func add(_ variable: String, section: String, key: String, line: Int? = nil) throws(AgentConfigurationError) {
            if let existing = targets[variable], existing.section != section {
                throw AgentConfigurationError(
                    code: .conflict, key: section, line: line,
                    message: "maps to the same environment variables as [\(existing.section)] (instance names are "
                        + "upper-cased and `-` becomes `_`); rename one of them"
                )
            }
            targets[variable] = (section, key)
        }
        for section in Self.plainSections {
            for key in section.keys + section.environmentOnlyKeys {
                try add(Self.environmentVariable(section: section.name, key: key), section: section.name, key: key)
            }
        }
        let postgresKeys = PostgresInstance.keys + PostgresInstance.environmentOnlyKeys
        for instance in instances {
            for key in postgresKeys {
                try add(
                    Self.environmentVariable(postgresInstance: instance.name, key: key),
                    section: instance.sectionName, key: key, line: instance.line
                )
            }
        }
        // The plain form applies to the instance `default`. No postgres key ends in `_<another key>`,
        // so it cannot shadow a variable of a named instance; `add` would report it if it did.
        if let instance = instances.first(where: { $0.name == "default" }) {
            for key in postgresKeys {
                try add(
                    Self.environmentVariable(section: "postgres", key: key),
                    section: instance.sectionName, key: key, line: instance.line
                )
            }
        }

        var overrides: [String: [String: ConfigurationSectionReader.EnvironmentOverride]] = [:]
        // Sorted, so that the first error reported does not depend on dictionary order.
        for (variable, value) in environment.sorted(by: { $0.key < $1.key }) where variable.hasPrefix(Self.environmentPrefix) {
            guard let target = targets[variable] else {
                throw AgentConfigurationError(
                    code: .unknownKey, key: variable,
                    message: "is not a configuration setting; the agent reads POSTGRES_AGENT_<SECTION>_<KEY> for the "
                        + "keys of the configuration file, and POSTGRES_AGENT_POSTGRES_<NAME>_<KEY> for a "
                        + "[postgres:NAME] section that the file declares"
                )
            }
            if let previous = overrides[target.section]?[target.key] {
                throw AgentConfigurationError(
                    code: .conflict, key: variable,
                    message: "sets the same setting as \(previous.variable); set only one of them"
                )
            }
            overrides[target.section, default: [:]][target.key] = .init(variable: variable, value: value)
        }
        return overrides
    }
}

extension String {
    fileprivate func replacingDashes() -> String {
        String(self.map { $0 == "-" ? "_" : $0 })
    }
}
