import AsyncHTTPClient
import Foundation
import NIOHTTP1
import NIOSSL
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

    /// Debian's Prometheus, scraping every second with the scrape config `job` (one `- job_name:` entry,
    /// indented as under `scrape_configs:`), its data in `scratch`; with the port of its HTTP API.
    static func startPrometheus(scratch: ScratchDirectory, job: String) throws -> (ChildProcess.Running, Int) {
        let port = try TransmitterTests.freePort()
        let configuration = scratch.file("prometheus.yml")
        try "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nscrape_configs:\n\(job)\n"
            .write(toFile: configuration, atomically: true, encoding: .utf8)
        let prometheus = try ChildProcess.start(
            ["/usr/bin/prometheus", "--config.file=\(configuration)", "--storage.tsdb.path=\(scratch.file("tsdb"))",
             "--web.listen-address=127.0.0.1:\(port)"],
            stderr: scratch.file("prometheus.log"))
        return (prometheus, port)
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

        let (prometheus, prometheusPort) = try Self.startPrometheus(scratch: scratch, job: """
              - job_name: postgres-agent
                static_configs:
                  - targets: ['127.0.0.1:\(metricsPort)']
            """)
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

/// `/metrics` behind the exporters' web configuration: TLS and basic authentication, scraped by a real
/// Prometheus that is given the CA and the password.
@Suite(.serialized, .timeLimit(.minutes(3))) struct ProtectedMetricsTests {
    @Test func prometheusScrapesOverTLSWithBasicAuthAndOthersAreTurnedAway() async throws {
        let cluster = try Harness.cluster(named: "pg16")
        let scratch = try ScratchDirectory()
        let cert = scratch.file("metrics.crt")
        let key = scratch.file("metrics.key")
        try SelfSignedCertificate.make(certificate: cert, key: key)
        // The hash is made by glibc's libxcrypt, as `htpasswd -B` would make it, not by the agent's bcrypt.
        let password = "scrape-\(UInt64.random(in: 0...UInt64.max))"
        let hashed = try ChildProcess.run(["/usr/bin/python3", "-W", "ignore", "-c",
                                           "import crypt, sys; print(crypt.crypt(sys.argv[1], crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=1024)))",
                                           password])
        let hash = hashed.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        try #require(hashed.status == 0 && hash.hasPrefix("$2b$10$"), "\(hashed.stderr)")
        // Relative paths, as the exporters resolve them: next to the file.
        try """
            tls_server_config:
              cert_file: metrics.crt
              key_file: metrics.key
            http_server_config:
              headers:
                X-Content-Type-Options: nosniff
            basic_auth_users:
              prometheus: \(hash)
            """.write(toFile: scratch.file("web.yml"), atomically: true, encoding: .utf8)

        let listener = try await ReferenceListener(directory: scratch.file("listener"), token: ExporterNamesTests.apiKey)
        defer { listener.stop() }
        let metricsPort = try TransmitterTests.freePort()
        let servers = """
            [postgres]
            conninfo = host=127.0.0.1 port=\(cluster.port) dbname=app user=\(Harness.clusters.monitorUser) connect_timeout=3
            databases = none
            """
        let daemon = try DaemonProcess(
            directory: scratch.file("daemon"),
            config: DaemonTests.config(directory: scratch.path, listener: listener.url, metricsPort: metricsPort,
                                       servers: servers, metrics: "web_config_file = \(scratch.file("web.yml"))"),
            environment: ["POSTGRES_AGENT_LISTENER_API_KEY": ExporterNamesTests.apiKey,
                          "POSTGRES_AGENT_POSTGRES_PASSWORD": Harness.clusters.monitorPassword])

        let url = "https://127.0.0.1:\(metricsPort)/metrics"
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(cert))
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(tlsConfiguration: tls))
        defer { Task { try? await client.shutdown() } }
        func get(_ target: String, user: String? = nil, password: String? = nil) async throws -> HTTPClientResponse {
            var request = HTTPClientRequest(url: target)
            if let user, let password {
                request.headers.add(name: "Authorization", value: "Basic " + Data("\(user):\(password)".utf8).base64EncodedString())
            }
            return try await client.execute(request, timeout: .seconds(5))
        }
        try await Harness.eventually("the endpoint answers over TLS") {
            (try? await get(url)) != nil
        }
        let anonymous = try await get(url)
        #expect(anonymous.status.code == 401)
        #expect(anonymous.headers.first(name: "WWW-Authenticate") == "Basic")
        #expect(anonymous.headers.first(name: "X-Content-Type-Options") == "nosniff")
        #expect(try await get(url, user: "prometheus", password: "wrong").status.code == 401)
        #expect(try await get(url, user: "root", password: password).status.code == 401)
        #expect(try await get("https://127.0.0.1:\(metricsPort)/healthz").status.code == 401, "every path is behind it")
        // Plain HTTP to the TLS port gets no metrics.
        let plain = try? await HTTPClient.shared.execute(HTTPClientRequest(url: "http://127.0.0.1:\(metricsPort)/metrics"),
                                                          timeout: .seconds(5))
        #expect(plain?.status.code != 200)
        try await Harness.eventually("the right password reads the snapshot") {
            let answer = try await get(url, user: "prometheus", password: password)
            let body = String(buffer: try await answer.body.collect(upTo: 1 << 22))
            return answer.status.code == 200 && body.contains("\npg_up 1")
        }

        let (prometheus, prometheusPort) = try PrometheusScrapeTests.startPrometheus(scratch: scratch, job: """
              - job_name: postgres-agent
                scheme: https
                tls_config:
                  ca_file: \(cert)
                basic_auth:
                  username: prometheus
                  password: \(password)
                static_configs:
                  - targets: ['127.0.0.1:\(metricsPort)']
            """)
        defer {
            prometheus.kill(SIGTERM)
            _ = prometheus.wait()
        }
        try await Harness.eventually("Prometheus scrapes the protected endpoint", attempts: 1_500) {
            let up = try await PrometheusScrapeTests.query(prometheusPort, #"up{job="postgres-agent"}"#)
            let server = try await PrometheusScrapeTests.query(prometheusPort, "pg_up")
            return up == 1 && server == 1
        }

        let (status, _) = try await daemon.terminate()
        #expect(status == 0)
        let log = try String(contentsOfFile: daemon.stderrPath, encoding: .utf8)
        #expect(!log.contains(password), "the password is not in the agent's log")
        #expect(!log.contains(hash), "nor its hash")
        #expect(log.contains("https://127.0.0.1:\(metricsPort)/metrics"), "the log names the URL to scrape")
    }
}
