import AgentDaemon
import Testing

@Suite struct MetricsRegistryTests {
    @Test func rendersThePrometheusTextFormatSorted() async {
        let registry = MetricsRegistry()
        registry.declare("pgagent_snapshot_cycles_total", .counter, help: "Snapshot cycles run.")
        registry.declare("pgagent_spool_depth", .gauge, help: "Payloads waiting.\nIn the spool.")
        registry.add("pgagent_snapshot_cycles_total", labels: [("instance", "b")])
        registry.add("pgagent_snapshot_cycles_total", 2, labels: [("instance", "a")])
        registry.add("pgagent_snapshot_cycles_total", labels: [("instance", "a")])
        registry.set("pgagent_spool_depth", 0.25)
        registry.add("pgagent_undeclared_total")
        #expect(await registry.render() == """
            # HELP pgagent_snapshot_cycles_total Snapshot cycles run.
            # TYPE pgagent_snapshot_cycles_total counter
            pgagent_snapshot_cycles_total{instance="a"} 3
            pgagent_snapshot_cycles_total{instance="b"} 1
            # HELP pgagent_spool_depth Payloads waiting.\\nIn the spool.
            # TYPE pgagent_spool_depth gauge
            pgagent_spool_depth 0.25

            """)
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
}
