/// One `pg_settings` row of type bool, integer or real, as read: for postgres_exporter's
/// `pg_settings_*` gauges on `/metrics`. Not part of the payload (see ``SnapshotPayload/numericSettings``).
package struct NumericSetting: Sendable, Equatable {
    package var name: String
    /// `setting` as text (`on`/`off` for bool).
    package var setting: String
    /// `unit`, empty when none.
    package var unit: String
    /// `vartype`: `bool`, `integer` or `real`.
    package var vartype: String

    package init(name: String, setting: String, unit: String, vartype: String) {
        self.name = name
        self.setting = setting
        self.unit = unit
        self.vartype = vartype
    }
}
