/// A setting that changed since the settings last sent: its old and new value (absent for one that
/// appeared or went back to its default).
package struct SettingChange: Codable, Sendable, Equatable {
    /// The setting's name.
    package var name: String
    /// The value before, if it was not at its default.
    package var old: String?
    /// The value now, if it is not at its default.
    package var new: String?

    package init(name: String, old: String?, new: String?) {
        self.name = name
        self.old = old
        self.new = new
    }
}
