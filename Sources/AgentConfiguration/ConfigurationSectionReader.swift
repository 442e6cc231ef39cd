/// The settings of one configuration section after the environment has been applied: for each key,
/// the `POSTGRES_AGENT_*` variable if set, else the INI entry if present, else nothing (the section
/// type keeps its declared default).
struct ConfigurationSectionReader {
    /// The section as written in the INI file and in error keys: `agent`, `postgres`, `postgres:main`.
    var name: String
    /// The section from the file, if the file has it.
    var section: INIDocument.Section?
    /// Environment overrides by key: the variable's name and value.
    var overrides: [String: EnvironmentOverride]

    /// One `POSTGRES_AGENT_*` variable that overrides a key.
    struct EnvironmentOverride {
        var variable: String
        var value: String
    }

    /// The value for `key`, with its source, or `nil` if neither the environment nor the file sets it.
    func value(_ key: String) -> ConfigurationValue? {
        if let override = self.overrides[key] {
            return ConfigurationValue(raw: override.value, key: override.variable, line: nil)
        }
        if let entry = self.section?[key] {
            return ConfigurationValue(raw: entry.value, key: "\(self.name).\(key)", line: entry.line)
        }
        return nil
    }
}
