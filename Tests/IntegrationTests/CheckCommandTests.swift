import Foundation
import PostgresNIO
import TestSupport
import Testing

/// `postgres-agent check` as a process, against a server that is ready and against each broken aspect.
@Suite(.serialized, .timeLimit(.minutes(2))) struct CheckCommandTests {
    static let key = "check-key-\(UInt64.random(in: 0...UInt64.max))"

    func run(_ config: String, in scratch: ScratchDirectory, key: String = CheckCommandTests.key) throws -> ChildProcess.Result {
        let path = scratch.file("agent.ini")
        try config.write(toFile: path, atomically: true, encoding: .utf8)
        return try ChildProcess.run([try ReferenceListener.binary, "check", "--config", path], environment: [
            "PATH": "/usr/bin:/bin", "HOME": "/nonexistent", "POSTGRES_AGENT_LISTENER_API_KEY": key,
            "POSTGRES_AGENT_POSTGRES_PASSWORD": Harness.clusters.monitorPassword,
        ])
    }

    static func config(_ scratch: ScratchDirectory, port: Int, user: String, database: String = "app",
                       logs: String, listener: String, metrics: String? = nil) -> String {
        """
        [agent]
        state_dir = \(scratch.file("state"))
        [postgres]
        conninfo = host=127.0.0.1 port=\(port) dbname=\(database) user=\(user) connect_timeout=3
        [logs]
        \(logs)
        [listener]
        url = \(listener)
        [metrics]
        listen = \(metrics ?? "127.0.0.1:\((try? TransmitterTests.freePort()) ?? 0)")
        """
    }

    @Test func aReadyServerPassesEveryCheck() async throws {
        let scratch = try ScratchDirectory()
        let listener = try await ReferenceListener(directory: scratch.file("listener"), token: Self.key)
        defer { listener.stop() }
        let cluster = try Harness.cluster(named: "pg16")
        // Tests running beside this one hold sessions without a correlation id on the same server; one
        // session that carries one makes the correlation aspect pass whatever they do.
        let correlated = try await Harness.session(cluster, applicationName: "bitville-check-\(UInt32.random(in: 0...UInt32.max))")
        defer { Task { try? await correlated.close() } }
        let result = try run(Self.config(scratch, port: cluster.port, user: Harness.clusters.monitorUser,
                                         logs: "path = auto", listener: listener.url), in: scratch)
        #expect(result.status == 0, "\(result.stdout)")
        for aspect in ["configuration", "state directory", "connection [default]", "privileges [default]",
                       "pg_stat_statements [default]", "correlation [default]", "log [default]", "listener",
                       "secret files", "metrics"] {
            #expect(result.stdout.contains("✓ \(aspect):"), "\(aspect): \(result.stdout)")
        }
        #expect(!result.stdout.contains("✗"))
        #expect(!result.stdout.contains(Self.key) && !result.stdout.contains(Harness.clusters.monitorPassword))
    }

    @Test func eachBrokenAspectIsACrossWithItsFix() async throws {
        let scratch = try ScratchDirectory()
        let listener = try await ReferenceListener(directory: scratch.file("listener"), token: Self.key)
        defer { listener.stop() }
        // No pg_stat_statements preloaded, a stderr log whose prefix is not the configured one, a wrong key,
        // a metrics port another program holds (the listener's).
        let log = scratch.file("postgresql.log")
        try "2026-11-27 10:00:00.123 UTC [42] LOG:  checkpoint starting: time\n".write(toFile: log, atomically: true, encoding: .utf8)
        let taken = String(listener.url.dropFirst("http://".count).prefix { $0 != "/" })
        let broken = try run(Self.config(scratch, port: try Harness.cluster(named: "pg15nopreload").port,
                                         user: Harness.clusters.monitorUser,
                                         logs: "path = \(log)\nformat = stderr\nprefix = \"%t %u@%d [%p] \"",
                                         listener: listener.url, metrics: taken), in: scratch, key: "not-the-key")
        #expect(broken.status == 1)
        #expect(broken.stdout.contains("✗ pg_stat_statements [default]: not in shared_preload_libraries"))
        #expect(broken.stdout.contains("shared_preload_libraries = '"))
        #expect(broken.stdout.contains("✗ log [default]"))
        #expect(broken.stdout.contains("SHOW log_line_prefix"))
        #expect(broken.stdout.contains("✗ listener: \(listener.url) rejects the API key (401)"))
        #expect(!broken.stdout.contains("not-the-key"))
        #expect(broken.stdout.contains("✗ metrics: \(taken) is taken by another program"))

        // A role without pg_monitor.
        let unprivileged = try run(Self.config(scratch, port: try Harness.cluster(named: "pg16").port,
                                               user: Harness.clusters.nomonitorUser, logs: "", listener: listener.url),
                                   in: scratch)
        #expect(unprivileged.status == 1)
        #expect(unprivileged.stdout.contains("✗ privileges [default]"))
        #expect(unprivileged.stdout.contains("fix: GRANT pg_monitor TO \(Harness.clusters.nomonitorUser);"))

        // Nothing listens, the log path does not exist, the server refuses the connection.
        listener.stop()
        let down = try run(Self.config(scratch, port: try TransmitterTests.freePort(), user: "nobody",
                                       logs: "path = \(scratch.file("no-such-dir"))", listener: listener.url), in: scratch)
        #expect(down.status == 1)
        #expect(down.stdout.contains("✗ connection [default]"))
        #expect(down.stdout.contains("fix: is the server running"))
        #expect(down.stdout.contains("✗ listener: \(listener.url) is unreachable"))

        // A configuration that does not load: 78, the key named.
        let bad = try run("[agent]\nintervall = 5\n", in: scratch)
        #expect(bad.status == 78)
        #expect(bad.stdout.contains("✗ configuration") && bad.stdout.contains("intervall"))
    }

    /// The metrics line: the URL to scrape with its protection, and a cross for an endpoint that would be
    /// open beyond this host or that a web configuration keeps down.
    @Test func theMetricsLineNamesTheURLAndItsProtection() async throws {
        let scratch = try ScratchDirectory()
        let listener = try await ReferenceListener(directory: scratch.file("listener"), token: Self.key)
        defer { listener.stop() }
        let cluster = try Harness.cluster(named: "pg16")
        func metricsLine(_ metrics: String) throws -> String {
            let config = Self.config(scratch, port: cluster.port, user: Harness.clusters.monitorUser, logs: "path =",
                                     listener: listener.url, metrics: metrics)
            let result = try run(config, in: scratch)
            let lines = result.stdout.split(separator: "\n").map(String.init)
            guard let index = lines.firstIndex(where: { $0.contains(" metrics: ") }) else { return result.stdout }
            return lines[index]
        }
        func fixLine(_ metrics: String) throws -> String {
            let config = Self.config(scratch, port: cluster.port, user: Harness.clusters.monitorUser, logs: "path =",
                                     listener: listener.url, metrics: metrics)
            let lines = try run(config, in: scratch).stdout.split(separator: "\n").map(String.init)
            guard let index = lines.firstIndex(where: { $0.contains(" metrics: ") }), index + 1 < lines.count else { return "" }
            return lines[index + 1]
        }
        let port = try TransmitterTests.freePort()
        let open = try metricsLine("0.0.0.0:\(port)")
        #expect(open.hasPrefix("✗ metrics: 0.0.0.0:\(port) is reachable beyond this host, without TLS or authentication"), "\(open)")
        #expect(try fixLine("0.0.0.0:\(port)").contains("set [metrics] web_config_file"))

        let cert = scratch.file("m.crt"), key = scratch.file("m.key")
        try SelfSignedCertificate.make(certificate: cert, key: key)
        let web = scratch.file("web.yml")
        try "tls_server_config:\n  cert_file: m.crt\n  key_file: m.key\nbasic_auth_users:\n  prometheus: $2b$04$O9Ux7SGvVEaLj2diSf36KehR8CPlPqKbApDMkUuxTZa5wYQcoBoQG\n"
            .write(toFile: web, atomically: true, encoding: .utf8)
        let protected = try metricsLine("0.0.0.0:\(port)\nweb_config_file = \(web)")
        #expect(protected == "✓ metrics: 0.0.0.0:\(port) is free; scrape https://0.0.0.0:\(port)/metrics (TLS, basic auth, 1 user(s))",
                "\(protected)")

        try "basic_auth_users:\n  prometheus: plain-secret-123\n".write(toFile: web, atomically: true, encoding: .utf8)
        let broken = try metricsLine("127.0.0.1:\(port)\nweb_config_file = \(web)")
        #expect(broken.hasPrefix("✗ metrics: web_config_hash:"), "\(broken)")
        #expect(!broken.contains("plain-secret-123"))
    }
}
