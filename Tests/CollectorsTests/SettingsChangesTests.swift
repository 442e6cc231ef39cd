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

    /// One read of the view gives both parts: the non-default settings for the payload (credentials
    /// masked) and every numeric one for /metrics.
    @Test func aReadingSplitsTheViewIntoPayloadRowsAndNumericSettings() {
        let raw = [
            SettingsCollector.RawSetting(name: "application_name", setting: "", unit: nil, source: "default",
                                         pendingRestart: false, vartype: "string"),
            SettingsCollector.RawSetting(name: "jit", setting: "off", unit: nil, source: "configuration file",
                                         pendingRestart: false, vartype: "bool"),
            SettingsCollector.RawSetting(name: "primary_conninfo", setting: "host=r user=u password=hunter2", unit: nil,
                                         source: "configuration file", pendingRestart: true, vartype: "string"),
            SettingsCollector.RawSetting(name: "sync_commit_cancel_wait", setting: "on", unit: nil, source: "default",
                                         pendingRestart: nil, vartype: "bool"),
            SettingsCollector.RawSetting(name: "work_mem", setting: "4096", unit: "kB", source: "default",
                                         pendingRestart: nil, vartype: "integer"),
        ]
        let reading = SettingsCollector.reading(fingerprint: "f", rows: raw)
        #expect(reading.fingerprint == "f")
        #expect(reading.rows == [
            SettingRow(name: "jit", value: "off", unit: nil, source: "configuration file", pendingRestart: false),
            SettingRow(name: "primary_conninfo", value: "host=r user=u password=***", unit: nil, source: "configuration file",
                       pendingRestart: true),
        ])
        #expect(reading.numeric == [
            NumericSetting(name: "jit", setting: "off", unit: "", vartype: "bool"),
            NumericSetting(name: "work_mem", setting: "4096", unit: "kB", vartype: "integer"),
        ])
    }
}
