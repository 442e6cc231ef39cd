/// One setting that is not at its default (`pg_settings` where `source` is not `default`), as the
/// first snapshot after start and every snapshot after a change carry them.
package struct SettingRow: Codable, Sendable, Equatable {
    /// The setting's name.
    package var name: String
    /// Its value as `pg_settings.setting` shows it, credentials masked (`primary_conninfo`).
    package var value: String
    /// Its unit (`kB`, `ms`, `8kB`, …), when it has one.
    package var unit: String?
    /// Where the value comes from: `configuration file`, `command line`, `override`, …
    package var source: String
    /// True when the value in the configuration changed and takes effect only after a restart.
    package var pendingRestart: Bool

    package init(name: String, value: String, unit: String?, source: String, pendingRestart: Bool) {
        self.name = name
        self.value = value
        self.unit = unit
        self.source = source
        self.pendingRestart = pendingRestart
    }

    enum CodingKeys: String, CodingKey {
        case name, value, unit, source
        case pendingRestart = "pending_restart"
    }
}
