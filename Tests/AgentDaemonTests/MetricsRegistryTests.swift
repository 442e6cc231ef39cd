import AgentDaemon
import Testing

@Suite struct MetricsRegistryTests {
    /// The lines of one family in a rendering, HELP and TYPE first.
    static func lines(_ text: String, of name: String) -> [String] {
        text.split(separator: "\n").map(String.init).filter {
            $0.hasPrefix(name + " ") || $0.hasPrefix(name + "{") || $0.hasPrefix("# HELP \(name) ") || $0.hasPrefix("# TYPE \(name) ")
        }
    }

    @Test func rendersTheTextFormatWithHelpAndType() async {
        let registry = MetricsRegistry()
        registry.declare("pgagent_snapshot_cycles_total", .counter, help: "Snapshot cycles run.")
        registry.declare("pgagent_spool_depth", .gauge, help: "Payloads waiting.")
        registry.add("pgagent_snapshot_cycles_total", labels: [("instance", "b")])
        registry.add("pgagent_snapshot_cycles_total", 2, labels: [("instance", "a")])
        registry.add("pgagent_snapshot_cycles_total", labels: [("instance", "a")])
        registry.set("pgagent_spool_depth", 0.25)
        registry.add("pgagent_undeclared_total")
        let text = await registry.render()
        #expect(Set(Self.lines(text, of: "pgagent_snapshot_cycles_total")) == [
            "# HELP pgagent_snapshot_cycles_total Snapshot cycles run.",
            "# TYPE pgagent_snapshot_cycles_total counter",
            #"pgagent_snapshot_cycles_total{instance="a"} 3"#,
            #"pgagent_snapshot_cycles_total{instance="b"} 1"#,
        ])
        #expect(Set(Self.lines(text, of: "pgagent_spool_depth")) == [
            "# HELP pgagent_spool_depth Payloads waiting.", "# TYPE pgagent_spool_depth gauge", "pgagent_spool_depth 0.25",
        ])
        #expect(!text.contains("pgagent_undeclared_total"))
        #expect(registry.value("pgagent_snapshot_cycles_total", labels: [("instance", "a")]) == 3)
        #expect(registry.value("pgagent_undeclared_total") == nil)
    }

    @Test func escapesLabelValuesAndRefreshesBeforeRendering() async {
        let registry = MetricsRegistry()
        registry.declare("pgagent_log_lines_total", .counter, help: "Lines read.")
        registry.set("pgagent_log_lines_total", 1, labels: [("path", "C:\\x \"y\"\nz")])
        registry.onScrape { $0.set("pgagent_log_lines_total", 42, labels: [("path", "/var/log")]) }
        let text = await registry.render()
        #expect(text.contains(#"pgagent_log_lines_total{path="C:\\x \"y\"\nz"} 1"#))
        #expect(text.contains(#"pgagent_log_lines_total{path="/var/log"} 42"#))
    }

    /// A counter mirrored from a cumulative value follows it, and drops only when the value does (a
    /// server's statistics reset), never on its own.
    @Test func aMirroredCounterFollowsTheValueAndDropsOnlyWithIt() async {
        let registry = MetricsRegistry()
        registry.declare("pg_stat_database_xact_commit", .counter, help: "Commits.")
        let labels = [("datname", "app")]
        registry.set("pg_stat_database_xact_commit", 100, labels: labels)
        registry.set("pg_stat_database_xact_commit", 150, labels: labels)
        #expect(await registry.render().contains(#"pg_stat_database_xact_commit{datname="app"} 150"#))
        registry.set("pg_stat_database_xact_commit", 7, labels: labels)
        #expect(await registry.render().contains(#"pg_stat_database_xact_commit{datname="app"} 7"#))
        #expect(registry.value("pg_stat_database_xact_commit", labels: labels) == 7)
    }

    @Test func replacingAFamilyRemovesTheSeriesNotInIt() async {
        let registry = MetricsRegistry()
        registry.declare("pg_database_size_bytes", .gauge, help: "Sizes.")
        registry.replace("pg_database_size_bytes", with: [([("datname", "a")], 1), ([("datname", "b")], 2)])
        registry.replace("pg_database_size_bytes", with: [([("datname", "b")], 3)])
        let text = await registry.render()
        #expect(!text.contains(#"datname="a""#))
        #expect(text.contains(#"pg_database_size_bytes{datname="b"} 3"#))
        #expect(registry.value("pg_database_size_bytes", labels: [("datname", "a")]) == nil)
    }

    /// A replace removes exactly the series it did not set, and with a scope only that server's: a
    /// sample given twice, or one dropped for its label names, does not hide a stale series.
    @Test func replaceRemovesTheSeriesItDidNotSetAndOnlyInItsScope() {
        let registry = MetricsRegistry()
        registry.declare("pg_locks_count", .gauge, help: "Locks.")
        let h1 = ("server", "h1:5432"), h2 = ("server", "h2:5432")
        registry.replace("pg_locks_count", with: [([("datname", "a"), h1], 1), ([("datname", "b"), h1], 2)], scope: h1)
        registry.replace("pg_locks_count", with: [([("datname", "a"), h2], 3)], scope: h2)
        registry.replace("pg_locks_count", with: [([("datname", "a"), h1], 4), ([("datname", "a"), h1], 4)], scope: h1)
        #expect(registry.value("pg_locks_count", labels: [("datname", "b"), h1]) == nil)
        #expect(registry.value("pg_locks_count", labels: [("datname", "a"), h1]) == 4)
        #expect(registry.value("pg_locks_count", labels: [("datname", "a"), h2]) == 3)
        // One series per server left; two samples, one of them dropped (other label names).
        registry.replace("pg_locks_count", with: [([("datname", "a"), h2], 5), ([("datname", "c")], 6)])
        #expect(registry.value("pg_locks_count", labels: [("datname", "a"), h1]) == nil)
        #expect(registry.value("pg_locks_count", labels: [("datname", "a"), h2]) == 5)
        #expect(registry.value("pg_locks_count", labels: [("datname", "c")]) == nil)
    }

    /// A server that is no longer watched leaves no series behind; the other server's stay.
    @Test func removingAServersSeriesLeavesTheOthers() async {
        let registry = MetricsRegistry()
        registry.declare("pg_stat_database_xact_commit", .counter, help: "Commits.")
        registry.declare("pg_locks_count", .gauge, help: "Locks.")
        registry.set("pg_stat_database_xact_commit", 5, labels: [("datname", "a"), ("server", "h1:5432")])
        registry.set("pg_stat_database_xact_commit", 6, labels: [("datname", "a"), ("server", "h2:5432")])
        registry.set("pg_locks_count", 1, labels: [("datname", "a"), ("server", "h1:5432")])
        registry.removeSeries(carrying: ("server", "h1:5432"))
        let text = await registry.render()
        #expect(!text.contains("h1:5432"))
        #expect(text.contains(#"pg_stat_database_xact_commit{datname="a",server="h2:5432"} 6"#))
        #expect(registry.value("pg_locks_count", labels: [("datname", "a"), ("server", "h1:5432")]) == nil)
        // Published again later, it starts afresh.
        registry.set("pg_locks_count", 2, labels: [("datname", "a"), ("server", "h1:5432")])
        #expect(await registry.render().contains(#"pg_locks_count{datname="a",server="h1:5432"} 2.0"#))
    }

    /// The library stops the process on a family with mixed label sets; the facade drops such a sample.
    @Test func aSampleWithOtherLabelNamesIsDropped() async {
        let registry = MetricsRegistry()
        registry.declare("pgagent_spool_depth", .gauge, help: "Payloads waiting.")
        registry.set("pgagent_spool_depth", 1)
        registry.set("pgagent_spool_depth", 2, labels: [("instance", "x")])
        #expect(registry.value("pgagent_spool_depth") == 1)
        #expect(registry.value("pgagent_spool_depth", labels: [("instance", "x")]) == nil)
        #expect(!(await registry.render()).contains("instance"))
    }
}
