import Foundation
import TestSupport
import Testing

/// `/metrics` against the oracles it must match: Debian's prometheus-postgres-exporter, run against the
/// same server at the same time, and prometheus-node-exporter on the same host. Every `pg_` family the
/// exporter shows, and every node_exporter family of the CPU, memory, load, disk, network and filesystem
/// areas, must be on the agent's endpoint with the same type and label names, unless it is listed below
/// with the reason.
@Suite(.serialized, .timeLimit(.minutes(3))) struct ExporterNamesTests {
    static let apiKey = "key-\(UInt64.random(in: 0...UInt64.max))"

    /// Families of the exporter the agent does not show yet, and why.
    static let exempt: [String: String] = [
        "pg_static": "an info series (version labels); the version is in the payload's server part",
        "pg_stat_bgwriter_stats_reset_total": "the exporter exports the reset time as a counter; the payload keeps it as text",
        "pg_stat_database_stats_reset": "as pg_stat_bgwriter_stats_reset_total",
        "pg_stat_database_active_time": "the exporter leaves it untyped, which swift-prometheus cannot write; in the payload's counters",
        "pg_stat_database_idle_in_transaction_time": "the exporter leaves it untyped, which swift-prometheus cannot write; in the payload's counters",
        "pg_stat_database_session_time": "the exporter leaves it untyped, which swift-prometheus cannot write; in the payload's counters",
        "pg_stat_database_sessions": "the exporter leaves it untyped, which swift-prometheus cannot write; in the payload's counters",
        "pg_stat_database_sessions_abandoned": "the exporter leaves it untyped, which swift-prometheus cannot write; in the payload's counters",
        "pg_stat_database_sessions_fatal": "the exporter leaves it untyped, which swift-prometheus cannot write; in the payload's counters",
        "pg_stat_database_sessions_killed": "the exporter leaves it untyped, which swift-prometheus cannot write; in the payload's counters",
        "pg_stat_database_checksum_failures": "the exporter leaves it untyped, which swift-prometheus cannot write",
        "pg_stat_database_checksum_last_failure": "the exporter leaves it untyped, which swift-prometheus cannot write",
    ]

    /// Exempt by prefix: the exporter's own health.
    static let exemptPrefixes = ["pg_exporter_", "pg_scrape_collector_"]

    /// node_exporter families of the covered areas the agent does not show, and why.
    static let nodeExempt: [String: String] = {
        var exempt = ["node_disk_info": "needs udev's device database (model, serial, wwn)"]
        for name in ["address_assign_type", "carrier", "carrier_changes_total", "carrier_down_changes_total",
                     "carrier_up_changes_total", "device_id", "dormant", "flags", "iface_id", "iface_link",
                     "iface_link_mode", "info", "mtu_bytes", "name_assign_type", "net_dev_group", "protocol_type",
                     "speed_bytes", "transmit_queue_length", "up"] {
            exempt["node_network_\(name)"] = "node_exporter's netclass collector (/sys/class/net attributes) is not mirrored"
        }
        return exempt
    }()

    /// The host areas compared with node_exporter.
    static let nodePrefixes = ["node_cpu_seconds_total", "node_cpu_guest_seconds_total", "node_memory_", "node_load",
                               "node_disk_", "node_network_", "node_filesystem_"]

    /// One scrape: family → (type, the label-name sets of its series, value by rendered labels).
    struct Scrape {
        var types: [String: String] = [:]
        var labelNames: [String: Set<[String]>] = [:]
        var values: [String: [String: Double]] = [:]

        init(_ text: String) {
            for line in text.split(separator: "\n") {
                if line.hasPrefix("# TYPE ") {
                    let parts = line.split(separator: " ")
                    if parts.count == 4 { types[String(parts[2])] = String(parts[3]) }
                    continue
                }
                guard !line.hasPrefix("#"), let space = line.lastIndex(of: " ") else { continue }
                let series = line[..<space]
                let name = String(series.prefix { $0 != "{" })
                var names: [String] = []
                var labels: [String] = []
                if let open = series.firstIndex(of: "{") {
                    let body = series[series.index(after: open)..<(series.lastIndex(of: "}") ?? series.endIndex)]
                    for pair in body.split(separator: ",") {
                        let key = String(pair.prefix { $0 != "=" })
                        names.append(key)
                        labels.append(String(pair))
                    }
                }
                labelNames[name, default: []].insert(names.sorted())
                values[name, default: [:]][labels.sorted().joined(separator: ",")] = Double(line[line.index(after: space)...])
            }
        }
    }

    /// Every family of `oracle` that `covered` selects is in `ours` with the same type and label names,
    /// unless `exempt` names it, and then it must be absent from `ours` (an exemption that is no longer
    /// needed fails).
    static func expectFamilies(of oracle: Scrape, in ours: Scrape, exempt: [String: String],
                               covered: (String) -> Bool) {
        for name in oracle.types.keys.sorted() where covered(name) {
            if let reason = exempt[name] {
                #expect(ours.types[name] == nil, "\(name) is exempt (\(reason)) but present: drop the exemption")
                continue
            }
            #expect(ours.types[name] == oracle.types[name], "\(name): type \(ours.types[name] ?? "missing"), oracle \(oracle.types[name] ?? "")")
            #expect(ours.labelNames[name] == oracle.labelNames[name],
                    "\(name): labels \(ours.labelNames[name] ?? []), oracle \(oracle.labelNames[name] ?? [])")
        }
    }

    /// The agent as a process on `cluster`'s `app`, visiting `databases` (`[postgres] databases`), with
    /// `/metrics` on `metricsPort`, sending to `listener`.
    static func startAgent(_ cluster: TestClusters.Cluster, scratch: ScratchDirectory, listener: ReferenceListener,
                           metricsPort: Int, databases: String = "none") throws -> DaemonProcess {
        let servers = """
            [postgres]
            conninfo = host=127.0.0.1 port=\(cluster.port) dbname=app user=\(Harness.clusters.monitorUser) connect_timeout=3
            databases = \(databases)
            """
        return try DaemonProcess(
            directory: scratch.file("daemon"),
            config: DaemonTests.config(directory: scratch.path, listener: listener.url, metricsPort: metricsPort,
                                       servers: servers, metrics: "top_statements = 1000"),
            environment: ["POSTGRES_AGENT_LISTENER_API_KEY": Self.apiKey,
                          "POSTGRES_AGENT_POSTGRES_PASSWORD": Harness.clusters.monitorPassword])
    }

    static func scrape(_ url: String) async throws -> Scrape {
        let (status, body) = try await DaemonTests.get(url)
        #expect(status == 200)
        return Scrape(body)
    }

    /// The sections of the query file Debian ships with the exporter (`examples/queries.yaml`) that the
    /// comparison runs: the others are `pg_stat_statements`, whose query reads `total_time`, a column
    /// PostgreSQL 13 renamed (the exporter logs the error and shows nothing), and `pg_process_idle`, a
    /// histogram of idle sessions by application the agent does not mirror.
    static let extendedSections = ["pg_replication", "pg_postmaster", "pg_stat_user_tables", "pg_statio_user_tables"]

    /// Those sections of Debian's file, as they are written there.
    static func extendedQueries() throws -> String {
        let file = try String(contentsOfFile: "/usr/share/doc/prometheus-postgres-exporter/examples/queries.yaml",
                              encoding: .utf8)
        var kept: [Substring] = []
        var keeping = false
        for line in file.split(separator: "\n", omittingEmptySubsequences: false) {
            if let first = line.first, !first.isWhitespace, first != "#", let colon = line.firstIndex(of: ":") {
                keeping = Self.extendedSections.contains(String(line[..<colon]))
            }
            if keeping { kept.append(line) }
        }
        return kept.joined(separator: "\n") + "\n"
    }

    @Test func everyPostgresExporterFamilyIsOnMetricsWithItsTypeAndLabels() async throws {
        let cluster = try Harness.cluster(named: "pg15")
        // A database of its own with one table the exporter's query and the agent's visit both read.
        let database = Harness.unique("names")
        try await Harness.exec(cluster, "CREATE DATABASE \(database)", database: "postgres")
        defer { Task { try? await Harness.exec(cluster, "DROP DATABASE \(database) WITH (FORCE)", database: "postgres") } }
        // Each statement's backend reports its counts as it exits, after the client has gone, so the
        // DELETE waits for the INSERT's report: the server clamps n_live_tup at 0 when a report comes in,
        // so the DELETE's -100 arriving first is lost, and the table stays at 500 live (a CI run saw it).
        for sql in ["CREATE TABLE orders (id int) WITH (autovacuum_enabled = off)", "INSERT INTO orders SELECT generate_series(1, 500)"] {
            try await Harness.exec(cluster, sql, database: database)
        }
        try await SchemaVisitTests.waitForInserts(cluster, database, "orders", 500)
        try await Harness.exec(cluster, "DELETE FROM orders WHERE id > 400", database: database)
        try await SchemaVisitTests.waitForInserts(cluster, database, "orders", 100, column: "n_dead_tup")
        try await SchemaVisitTests.waitForInserts(cluster, database, "orders", 400, column: "n_live_tup")
        // A statement whose text carries a secret (pg_stat_statements keeps utility statements' literals),
        // which /metrics shows redacted.
        let role = Harness.unique("names_role")
        let secret = "pw-\(UInt64.random(in: 0...UInt64.max))"
        try await Harness.exec(cluster, "CREATE ROLE \(role) PASSWORD '\(secret)'", database: database)
        defer { Task { try? await Harness.exec(cluster, "DROP ROLE IF EXISTS \(role)", database: "postgres") } }
        let queries = try ScratchDirectory()
        try Self.extendedQueries().write(toFile: queries.file("queries.yaml"), atomically: true, encoding: .utf8)

        let scratch = try ScratchDirectory()
        let listener = try await ReferenceListener(directory: scratch.file("listener"), token: Self.apiKey)
        defer { listener.stop() }
        let metricsPort = try TransmitterTests.freePort()
        let monitor = Harness.clusters.monitorUser
        let daemon = try Self.startAgent(cluster, scratch: scratch, listener: listener, metricsPort: metricsPort,
                                         databases: database)
        let exporterPort = try TransmitterTests.freePort()
        let exporter = try ChildProcess.start(
            ["/usr/bin/prometheus-postgres-exporter", "--web.listen-address=127.0.0.1:\(exporterPort)",
             "--extend.query-path=\(queries.file("queries.yaml"))"],
            environment: ["DATA_SOURCE_NAME": "postgresql://\(monitor):\(Harness.clusters.monitorPassword)@127.0.0.1:\(cluster.port)/\(database)?sslmode=disable"],
            stderr: scratch.file("exporter.log"))
        defer {
            exporter.kill(SIGTERM)
            _ = exporter.wait()
        }

        let agentURL = "http://127.0.0.1:\(metricsPort)/metrics"
        try await Harness.eventually("the agent's first snapshot on /metrics") {
            let scrape = try await Self.scrape(agentURL)
            return scrape.values["pg_up"]?[""] == 1 && scrape.values["pg_stat_activity_count"] != nil
                && scrape.values["pg_stat_user_tables_n_dead_tup"] != nil
        }
        try await Harness.eventually("the exporter answers") {
            (try await Self.scrape("http://127.0.0.1:\(exporterPort)/metrics")).values["pg_up"]?[""] == 1
        }
        // The role's statement is on /metrics (top_statements = 1000), without the password.
        var text = ""
        try await Harness.eventually("the CREATE ROLE statement's text on /metrics") {
            text = try await DaemonTests.get(agentURL).1
            return text.contains("query=\"CREATE ROLE \(role) PASSWORD ")
        }
        #expect(!text.contains(secret), "the password is redacted on /metrics")
        let ours = try await Self.scrape(agentURL)
        let theirs = try await Self.scrape("http://127.0.0.1:\(exporterPort)/metrics")

        Self.expectFamilies(of: theirs, in: ours, exempt: Self.exempt) {
            $0.hasPrefix("pg_") && !Self.exemptPrefixes.contains(where: $0.hasPrefix)
        }
        for name in Self.exempt.keys {
            #expect(theirs.types[name] != nil, "\(name) is exempt but the exporter does not show it: drop the exemption")
        }

        // The values are the server's: our snapshot came first, so its counters are at most the exporter's.
        let key = theirs.values["pg_stat_database_xact_commit"]?.keys.first { $0.contains(#"datname="app""#) }
        let commits = try #require(key)
        let ourCommits = try #require(ours.values["pg_stat_database_xact_commit"]?[commits])
        #expect(ourCommits > 0)
        #expect(ourCommits <= theirs.values["pg_stat_database_xact_commit"]?[commits] ?? 0)
        #expect(ours.values["pgagent_snapshot_age_seconds"]?.isEmpty == false)
        // The exporter drops the fraction of a second.
        let started = try #require(theirs.values["pg_postmaster_start_time_seconds"]?.first)
        #expect(abs((ours.values["pg_postmaster_start_time_seconds"]?[started.key] ?? 0) - started.value) < 1)
        #expect(ours.values["pg_replication_lag"] == theirs.values["pg_replication_lag"], "0 on a primary")
        // The table, as both read it: the same labels and the same figures.
        for name in ["pg_stat_user_tables_n_live_tup", "pg_stat_user_tables_n_dead_tup", "pg_stat_user_tables_n_tup_ins",
                     "pg_stat_user_tables_last_vacuum"] {
            let table = try #require(theirs.values[name]?.keys.first { $0.contains(#"relname="orders""#) }, "\(name)")
            #expect(ours.values[name]?[table] != nil && ours.values[name]?[table] == theirs.values[name]?[table], "\(name) \(table)")
        }

        // The host, against node_exporter on the same machine.
        let nodePort = try TransmitterTests.freePort()
        let node = try ChildProcess.start(
            ["/usr/bin/prometheus-node-exporter", "--web.listen-address=127.0.0.1:\(nodePort)"],
            stderr: scratch.file("node-exporter.log"))
        defer {
            node.kill(SIGTERM)
            _ = node.wait()
        }
        try await Harness.eventually("node_exporter answers") {
            (try await Self.scrape("http://127.0.0.1:\(nodePort)/metrics")).types["node_load1"] != nil
        }
        let host = try await Self.scrape("http://127.0.0.1:\(nodePort)/metrics")
        Self.expectFamilies(of: host, in: ours, exempt: Self.nodeExempt) { name in
            Self.nodePrefixes.contains(where: name.hasPrefix)
        }
        #expect((ours.values["node_memory_MemTotal_bytes"]?[""] ?? 0) == (host.values["node_memory_MemTotal_bytes"]?[""] ?? -1))

        let (status, _) = try await daemon.terminate()
        #expect(status == 0)
    }
}
