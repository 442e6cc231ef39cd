package import AgentSchema
import Foundation
package import Logging
package import PostgresNIO
import SQLRedaction

/// `pg_settings`, read for the snapshot's `settings` (the non-default ones, sent only in the first snapshot
/// after start and whenever one changed, with the change; docs/payloads.md, "settings") and for
/// `pg_settings_*` on `/metrics` (every bool, integer and real one, as postgres_exporter reads them).
///
/// Settings change seldom, and decoding the view's ~350 rows every cycle was about a tenth of a cycle's
/// CPU. So a cycle first asks the server for a fingerprint of the view (a SHA-256 of its rows, computed
/// by the server: one short row back) and reads the rows only when it differs from the last read's. The
/// fingerprint never leaves the agent: it is not sent back as a parameter, so no server log can show a
/// hash of values that may hold a password. Both queries run on one connection, in that order: a
/// backend applies a reload between statements, never backwards, so rows read after a fingerprint are
/// never older than it. The pure parts are ``reading(fingerprint:rows:)`` and ``changes(from:to:)``.
package struct SettingsCollector: Sendable {
    /// One read of the view.
    package struct Reading: Sendable, Equatable {
        /// The server's fingerprint of the rows read (hex SHA-256).
        package var fingerprint: String
        /// The non-default settings, by name, credentials masked.
        package var rows: [SettingRow]
        /// Every setting of type bool, integer or real, by name.
        package var numeric: [NumericSetting]
    }

    /// One row of `pg_settings` as read.
    package struct RawSetting: Sendable {
        package var name: String
        package var setting: String?
        package var unit: String?
        package var source: String
        package var pendingRestart: Bool?
        package var vartype: String

        package init(name: String, setting: String?, unit: String?, source: String, pendingRestart: Bool?, vartype: String) {
            self.name = name
            self.setting = setting
            self.unit = unit
            self.source = source
            self.pendingRestart = pendingRestart
            self.vartype = vartype
        }
    }

    package init() {}

    /// The fingerprint of every row and column the reading uses.
    static let fingerprintQuery: PostgresQuery = """
        SELECT encode(sha256(textsend(coalesce(string_agg(s::text, E'\n' ORDER BY s.name), ''))), 'hex') AS fingerprint
        FROM (SELECT name, setting, unit, source, pending_restart, vartype FROM pg_settings) s
        """

    /// Reads the view, or returns nil when its fingerprint is `previous` (nothing changed since that read).
    package func read(client: PostgresClient, unchangedSince previous: String?, logger: Logger) async throws -> Reading? {
        try await client.withOpenConnection { connection in
            let fingerprint = try await connection.rows(Self.fingerprintQuery, logger: logger).first?
                .value("fingerprint", as: String.self) ?? ""
            if let previous, fingerprint == previous { return nil }
            var raw: [RawSetting] = []
            raw.reserveCapacity(400)
            let rows = try await connection.query("""
                SELECT name, setting, unit, source, pending_restart, vartype FROM pg_settings ORDER BY name
                """, logger: logger)
            for try await (name, setting, unit, source, pending, vartype)
                in rows.decode((String, String?, String?, String, Bool?, String).self) {
                raw.append(RawSetting(name: name, setting: setting, unit: unit, source: source, pendingRestart: pending, vartype: vartype))
            }
            // A cancelled task's row stream ends early without an error: not a reading to keep.
            try Task.checkCancellation()
            return Self.reading(fingerprint: fingerprint, rows: raw)
        }
    }

    /// The reading of `rows` (sorted by name): the non-default ones with credentials masked, and the
    /// numeric ones (`sync_commit_cancel_wait`, which some builds add, left out as postgres_exporter does).
    package static func reading(fingerprint: String, rows: [RawSetting]) -> Reading {
        var reading = Reading(fingerprint: fingerprint, rows: [], numeric: [])
        for row in rows {
            let shown = row.setting ?? ""
            if row.source != "default" {
                reading.rows.append(SettingRow(name: row.name, value: CredentialTextMasker.masked(shown) ?? shown, unit: row.unit,
                                               source: row.source, pendingRestart: row.pendingRestart ?? false))
            }
            if ["bool", "integer", "real"].contains(row.vartype), row.name != "sync_commit_cancel_wait" {
                reading.numeric.append(NumericSetting(name: row.name, setting: shown, unit: row.unit ?? "", vartype: row.vartype))
            }
        }
        return reading
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
