import AgentSchema
@testable import Collectors
import Testing

/// What counts as a settings change.
@Suite struct SettingsChangesTests {
    static func row(_ name: String, _ value: String) -> SettingRow {
        SettingRow(name: name, value: value, unit: nil, source: "configuration file", pendingRestart: false)
    }

    @Test func changedAppearedAndGoneBackToDefault() {
        let before = [Self.row("work_mem", "4096"), Self.row("jit", "off"), Self.row("max_connections", "100")]
        let after = [Self.row("work_mem", "8192"), Self.row("max_connections", "100"), Self.row("log_min_duration_statement", "0")]
        #expect(SettingsCollector.changes(from: before, to: after) == [
            SettingChange(name: "jit", old: "off", new: nil),
            SettingChange(name: "log_min_duration_statement", old: nil, new: "0"),
            SettingChange(name: "work_mem", old: "4096", new: "8192"),
        ])
        #expect(SettingsCollector.changes(from: after, to: after).isEmpty)
    }
}
