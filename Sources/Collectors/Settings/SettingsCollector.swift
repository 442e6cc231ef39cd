package import AgentSchema
import Foundation
package import Logging
package import PostgresNIO
import SQLRedaction

/// `[postgres]` settings that are not at their default: read each cycle (one small query), sent only
/// in the first snapshot after start and whenever one changed, with the change (docs/payloads.md,
/// "settings"). The pure part is ``changes(from:to:)``.
package struct SettingsCollector: Sendable {
    package init() {}

    /// The non-default settings, by name, credentials masked.
    package func collect(client: PostgresClient, logger: Logger) async throws -> [SettingRow] {
        let rows = try await client.query("""
            SELECT name, setting, unit, source, pending_restart FROM pg_settings WHERE source <> 'default' ORDER BY name
            """, logger: logger)
        var settings: [SettingRow] = []
        for try await (name, value, unit, source, pending) in rows.decode((String, String?, String?, String, Bool?).self) {
            let shown = value ?? ""
            settings.append(SettingRow(name: name, value: CredentialTextMasker.masked(shown) ?? shown, unit: unit,
                                       source: source, pendingRestart: pending ?? false))
        }
        return settings
    }

    /// Every setting of type bool, integer or real, for `pg_settings_*` on `/metrics` (the query
    /// postgres_exporter runs).
    package func numeric(client: PostgresClient, logger: Logger) async throws -> [NumericSetting] {
        let rows = try await client.query("""
            SELECT name, setting, coalesce(unit, ''), vartype FROM pg_settings
            WHERE vartype IN ('bool', 'integer', 'real') AND name <> 'sync_commit_cancel_wait'
            """, logger: logger)
        var settings: [NumericSetting] = []
        for try await (name, setting, unit, vartype) in rows.decode((String, String, String, String).self) {
            settings.append(NumericSetting(name: name, setting: setting, unit: unit, vartype: vartype))
        }
        return settings
    }

    /// What changed from `before` to `after`: a value that differs, a setting that left its default,
    /// one that went back to it. Sorted by name.
    package static func changes(from before: [SettingRow], to after: [SettingRow]) -> [SettingChange] {
        let old = Dictionary(before.map { ($0.name, $0.value) }, uniquingKeysWith: { first, _ in first })
        let new = Dictionary(after.map { ($0.name, $0.value) }, uniquingKeysWith: { first, _ in first })
        return Set(old.keys).union(new.keys).sorted().compactMap { name in
            old[name] == new[name] ? nil : SettingChange(name: name, old: old[name], new: new[name])
        }
    }
}
