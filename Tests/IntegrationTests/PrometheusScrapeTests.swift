import Foundation
import PostgresNIO
import TestSupport
import Testing

/// A real Prometheus (Debian's) scraping the agent: what its query API answers must be what the server
/// and /proc say.
@Suite(.serialized, .timeLimit(.minutes(3))) struct PrometheusScrapeTests {
    /// The value of an instant query with one series, or nil.
    static func query(_ port: Int, _ expression: String) async throws -> Double? {
        var components = URLComponents(string: "http://127.0.0.1:\(port)/api/v1/query")!
        components.queryItems = [URLQueryItem(name: "query", value: expression)]
        let (status, body) = try await DaemonTests.get(components.url!.absoluteString)
        guard status == 200,
              let object = try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any],
              let data = object["data"] as? [String: Any],
              let result = data["result"] as? [[String: Any]], result.count == 1,
              let value = result[0]["value"] as? [Any], value.count == 2, let text = value[1] as? String else {
            return nil
        }
        return Double(text)
    }

    @Test func prometheusSeesTheServersCommitsAndTheHostsMemory() async throws {
        let cluster = try Harness.cluster(named: "pg16")
        let database = Harness.unique("prom")
        try await Harness.exec(cluster, "CREATE DATABASE \(database)", database: "postgres")
        defer { Task { try? await Harness.exec(cluster, "DROP DATABASE \(database) WITH (FORCE)", database: "postgres") } }
        // A table with a known number of dead tuples (no autovacuum to clear them).
        for sql in ["CREATE TABLE tuples (id int) WITH (autovacuum_enabled = off)",
                    "INSERT INTO tuples SELECT generate_series(1, 1000)", "DELETE FROM tuples WHERE id > 750"] {
            try await Harness.exec(cluster, sql, database: database)
        }
        try await SchemaVisitTests.waitForInserts(cluster, database, "tuples", 250, column: "n_dead_tup")
        let scratch = try ScratchDirectory()
        let listener = try await ReferenceListener(directory: scratch.file("listener"), token: ExporterNamesTests.apiKey)
        defer { listener.stop() }
        let metricsPort = try TransmitterTests.freePort()
        let daemon = try ExporterNamesTests.startAgent(cluster, scratch: scratch, listener: listener, metricsPort: metricsPort,
                                                       databases: database)

        let prometheusPort = try TransmitterTests.freePort()
        let configuration = scratch.file("prometheus.yml")
        try """
            global:
              scrape_interval: 1s
              evaluation_interval: 1s
            scrape_configs:
              - job_name: postgres-agent
                static_configs:
                  - targets: ['127.0.0.1:\(metricsPort)']
            """.write(toFile: configuration, atomically: true, encoding: .utf8)
        let prometheus = try ChildProcess.start(
            ["/usr/bin/prometheus", "--config.file=\(configuration)", "--storage.tsdb.path=\(scratch.file("tsdb"))",
             "--web.listen-address=127.0.0.1:\(prometheusPort)"],
            stderr: scratch.file("prometheus.log"))
        defer {
            prometheus.kill(SIGTERM)
            _ = prometheus.wait()
        }

        let commits = #"pg_stat_database_xact_commit{datname="\#(database)"}"#
        var baseline: Double = 0
        try await Harness.eventually("Prometheus has the database's commits from the agent", attempts: 1_500) {
            guard let value = try await Self.query(prometheusPort, commits) else { return false }
            baseline = value
            return true
        }
        // A known load in a database nobody else uses (the agent is connected to `app`): one session, whose
        // start-up reads the catalog in a transaction of its own, then 300 statements, each a transaction.
        let session = try await Harness.session(cluster, database: database)
        for index in 0..<300 { _ = try await session.query("SELECT \(index)", logger: Harness.logger).collect() }
        try await session.close()
        // Autovacuum's own transactions in the new database count too, so the load sets a floor, and the
        // figure must settle on the server's own count (read in another database, so it adds nothing).
        var seen: Double = 0
        var server: Double = -1
        try await Harness.eventually("Prometheus shows the server's count, the 301 commits included", attempts: 1_500) {
            seen = try await Self.query(prometheusPort, commits) ?? 0
            let observer = try await Harness.session(cluster, database: "postgres")
            defer { Task { try? await observer.close() } }
            let rows = try await observer.query(PostgresQuery(unsafeSQL:
                "SELECT xact_commit FROM pg_stat_database WHERE datname = '\(database)'"), logger: Harness.logger).collect()
            server = Double(try rows.first?.decode(Int64.self) ?? -1)
            try await observer.close()
            return seen >= baseline + 301 && seen == server
        }
        #expect(seen >= baseline + 301 && seen == server, "\(seen - baseline) commits, the server counts \(server)")
        #expect((try await Self.query(prometheusPort, "increase(\(commits)[1m])") ?? 0) > 0)
        #expect(try await Self.query(prometheusPort, "pg_up") == 1)

        // The table's dead tuples, as the server counts them.
        let deadTuples = #"pg_stat_user_tables_n_dead_tup{datname="\#(database)",relname="tuples"}"#
        try await Harness.eventually("Prometheus has the table's dead tuples", attempts: 1_500) {
            try await Self.query(prometheusPort, deadTuples) == 250
        }

        // The 300 statements are one pg_stat_statements entry: Prometheus settles on the server's calls.
        var calls: Double = -1
        var statementID = ""
        try await Harness.eventually("Prometheus shows the statement's calls as the server counts them", attempts: 1_500) {
            let observer = try await Harness.session(cluster, database: "postgres")
            defer { Task { try? await observer.close() } }
            let rows = try await observer.query(PostgresQuery(unsafeSQL: """
                SELECT queryid::text, sum(calls)::int8 FROM pg_stat_statements
                WHERE dbid = (SELECT oid FROM pg_database WHERE datname = '\(database)') AND query = 'SELECT $1'
                GROUP BY queryid
                """), logger: Harness.logger).collect()
            try await observer.close()
            guard let row = rows.first else { return false }
            let (id, server) = try row.decode((String, Int64).self)
            statementID = id
            calls = try await Self.query(prometheusPort, #"pg_stat_statements_calls_total{datname="\#(database)",queryid="\#(id)"}"#) ?? -1
            return calls >= 300 && calls == Double(server)
        }
        #expect(calls >= 300)
        #expect(try await Self.query(prometheusPort, #"count(pg_stat_statements_query_id{queryid="\#(statementID)",query="SELECT $1"})"#) == 1)

        let meminfo = try String(contentsOfFile: "/proc/meminfo", encoding: .utf8)
        let total = try #require(meminfo.split(separator: "\n").first { $0.hasPrefix("MemTotal:") }?
            .split(separator: " ").dropFirst().first.flatMap { Double($0) })
        #expect(try await Self.query(prometheusPort, "node_memory_MemTotal_bytes") == total * 1024)
        let available = try #require(try await Self.query(prometheusPort, "node_memory_MemAvailable_bytes"))
        #expect(available > 0 && available <= total * 1024)

        let (status, _) = try await daemon.terminate()
        #expect(status == 0)
    }
}
