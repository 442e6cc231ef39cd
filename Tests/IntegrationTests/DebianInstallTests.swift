import Foundation
import Listener
import Logging
import PostgresNIO
import TestSupport
import Testing

/// The most common install there is: Debian's `pg_createcluster` cluster (no logging collector, stderr to
/// /var/log/postgresql, prefix `%m [%p] %q%u@%d ` without `%a`), Debian's own logrotate rule, and the
/// agent with `path = auto` and `prefix = auto`. The cluster comes from scripts/debian-cluster.sh (test.sh
/// starts it and names its JSON in PGAGENT_TEST_DEBIAN_FILE).
@Suite(.serialized, .timeLimit(.minutes(4))) struct DebianInstallTests {
    /// scripts/debian-cluster.sh's answer.
    struct Cluster: Decodable {
        var name: String
        var port: Int
        var password: String
        var user: String
        var log_file: String
        var cluster_name: String
        var socket_directory: String
    }

    static let apiKey = "key-\(UInt64.random(in: 0...UInt64.max))"
    static let webPassword = "web-\(UInt64.random(in: 0...UInt64.max))"

    static func cluster() throws -> Cluster {
        let path = try #require(ProcessInfo.processInfo.environment["PGAGENT_TEST_DEBIAN_FILE"],
                                "PGAGENT_TEST_DEBIAN_FILE is not set: run the suite with scripts/test.sh")
        return try JSONDecoder().decode(Cluster.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
    }

    /// Superuser SQL over the Unix socket, as Debian allows it: the postgres OS user, peer.
    @discardableResult
    static func superuser(_ cluster: Cluster, _ statements: String...) throws -> String {
        // One -c per statement: ALTER SYSTEM cannot run in the transaction of a multi-statement string.
        let result = try ChildProcess.run(["/usr/sbin/runuser", "-u", "postgres", "--", "psql", "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1",
                                           "-h", cluster.socket_directory, "-p", "\(cluster.port)", "-d", "postgres"]
                                          + statements.flatMap { ["-c", $0] })
        try #require(result.status == 0, "psql: \(result.stderr)")
        return result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Turns log_connections and log_disconnections on or off, and waits until new sessions see it.
    static func settings(_ cluster: Cluster, connections: Bool) async throws {
        let value = connections ? "on" : "off"
        try superuser(cluster, "ALTER SYSTEM SET log_connections = \(value)", "ALTER SYSTEM SET log_disconnections = \(value)",
                      "SELECT pg_reload_conf()")
        try await Harness.eventually("new sessions see log_connections = \(value)") {
            try superuser(cluster, "SHOW log_connections") == value
        }
    }

    /// A web request's session: the `webapp` role over TCP with its application name.
    static func session(_ cluster: Cluster, application: String) async throws -> PostgresConnection {
        var config = PostgresConnection.Configuration(host: "127.0.0.1", port: cluster.port, username: "webapp",
                                                      password: webPassword, database: "postgres", tls: .disable)
        config.options.additionalStartupParameters = [("application_name", application)]
        return try await PostgresConnection.connect(configuration: config, id: Int.random(in: 1...1_000_000), logger: Harness.logger)
    }

    static func run(_ connection: PostgresConnection, _ sql: String) async throws {
        _ = try await connection.query(PostgresQuery(unsafeSQL: sql), logger: Harness.logger).collect()
    }

    static func config(_ scratch: ScratchDirectory, cluster: Cluster, listener: String, conninfo: String? = nil) -> String {
        """
        [agent]
        project = debian-test
        interval_seconds = 1
        state_dir = \(scratch.file("state"))
        [postgres:debian]
        conninfo = \(conninfo ?? "host=127.0.0.1 port=\(cluster.port) dbname=postgres user=\(cluster.user) connect_timeout=3")
        [logs]
        path = auto
        prefix = auto
        [listener]
        url = \(listener)
        timeout_ms = 2000
        [metrics]
        listen =
        """
    }

    static func check(_ config: String, cluster: Cluster, in scratch: ScratchDirectory) throws -> ChildProcess.Result {
        let path = scratch.file("check-\(UInt32.random(in: 0...UInt32.max)).ini")
        try config.write(toFile: path, atomically: true, encoding: .utf8)
        return try ChildProcess.run([try ReferenceListener.binary, "check", "--config", path], environment: [
            "PATH": "/usr/bin:/bin", "HOME": "/nonexistent", "POSTGRES_AGENT_LISTENER_API_KEY": apiKey,
            "POSTGRES_AGENT_POSTGRES_DEBIAN_PASSWORD": cluster.password,
        ])
    }

    /// Every log event the listener holds.
    static func events(_ listener: ReferenceListener) throws -> [[String: Any]] {
        try listener.store().rows(limit: 100_000).filter { $0.kind == "logs" }.flatMap { row -> [[String: Any]] in
            let object = try JSONSerialization.jsonObject(with: Data(row.json)) as? [String: Any]
            return object?["events"] as? [[String: Any]] ?? []
        }
    }

    static func text(_ event: [String: Any]) -> String {
        ["message", "statement", "detail"].compactMap { event[$0] as? String }.joined(separator: "\n")
            + ((event["details"] as? [String: Any])?["statement"] as? String ?? "")
    }

    @Test func checkNamesTheRuleTheCorrelationAndThePeerFix() async throws {
        let cluster = try Self.cluster()
        let scratch = try ScratchDirectory()
        let listener = try await ReferenceListener(directory: scratch.file("listener"), token: Self.apiKey)
        defer { listener.stop() }
        try await Self.settings(cluster, connections: true)
        let good = try Self.check(Self.config(scratch, cluster: cluster, listener: listener.url), cluster: cluster, in: scratch)
        #expect(good.status == 0, "\(good.stdout)")
        #expect(!good.stdout.contains("✗"), "\(good.stdout)")
        #expect(good.stdout.contains("✓ log [debian]: \(cluster.log_file) readable"), "\(good.stdout)")
        #expect(good.stdout.contains("Debian pg_ctlcluster (cluster_name \(cluster.cluster_name))"), "\(good.stdout)")
        #expect(good.stdout.contains("✓ log correlation [debian]:") && good.stdout.contains("log_connections = on"), "\(good.stdout)")

        // Debian's prefix has no %a: with log_connections off, no entry can be tied to a request.
        try await Self.settings(cluster, connections: false)
        let blind = try Self.check(Self.config(scratch, cluster: cluster, listener: listener.url), cluster: cluster, in: scratch)
        #expect(blind.status == 1)
        #expect(blind.stdout.contains("✗ log correlation [debian]: log_line_prefix '%m [%p] %q%u@%d ' has no %a"), "\(blind.stdout)")
        #expect(blind.stdout.contains("ALTER SYSTEM SET log_line_prefix = '%m [%p] %q%u@%d app=%a '"), "\(blind.stdout)")
        #expect(blind.stdout.contains("ALTER SYSTEM SET log_connections = on"), "\(blind.stdout)")
        try await Self.settings(cluster, connections: true)

        // Over the Unix socket as root, Debian's peer line refuses the role: say so, not "password".
        let peer = try Self.check(Self.config(scratch, cluster: cluster, listener: listener.url,
                                              conninfo: "host=\(cluster.socket_directory) port=\(cluster.port) dbname=postgres user=\(cluster.user)"),
                                  cluster: cluster, in: scratch)
        #expect(peer.status == 1)
        #expect(peer.stdout.contains("peer authentication failed"), "\(peer.stdout)")
        #expect(!peer.stdout.contains("password authentication failed"), "\(peer.stdout)")
        #expect(peer.stdout.contains("pg_ident.conf") && peer.stdout.contains("host=127.0.0.1"), "\(peer.stdout)")
        #expect(!peer.stdout.contains(cluster.password))
    }

    @Test func everyEventCarriesItsSessionsIDThroughDebiansLogrotate() async throws {
        let cluster = try Self.cluster()
        let scratch = try ScratchDirectory()
        let listener = try await ReferenceListener(directory: scratch.file("listener"), token: Self.apiKey)
        defer { listener.stop() }
        try Self.superuser(cluster,
            "DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'webapp') THEN CREATE ROLE webapp LOGIN; END IF; END $$",
            "ALTER ROLE webapp PASSWORD '\(Self.webPassword)'",
            "CREATE TABLE IF NOT EXISTS lockme (id int)", "GRANT ALL ON lockme TO webapp",
            "ALTER SYSTEM SET log_min_duration_statement = 0", "ALTER SYSTEM SET log_lock_waits = on",
            "ALTER SYSTEM SET deadlock_timeout = '100ms'")
        try await Self.settings(cluster, connections: true)
        let daemon = try DaemonProcess(
            directory: scratch.file("daemon"), config: Self.config(scratch, cluster: cluster, listener: listener.url),
            environment: ["POSTGRES_AGENT_LISTENER_API_KEY": Self.apiKey, "POSTGRES_AGENT_POSTGRES_DEBIAN_PASSWORD": cluster.password])
        do {
            try await Harness.eventually("the daemon follows Debian's log file") { daemon.logText.contains("\"log tailing started\"") }
        } catch {
            Issue.record("daemon log: \(daemon.logText)")
            throw error
        }
        #expect(daemon.logText.contains("\"path\":\"\(cluster.log_file)\",\"rule\":\"Debian pg_ctlcluster"), "\(daemon.logText)")

        // Phase 1, log_connections on: two requests, one waiting for the other's lock, and a session
        // without a correlation id.
        let first = "bitville-a1a1a1a1", second = "bitville-b2b2b2b2"
        let one = try await Self.session(cluster, application: first)
        let two = try await Self.session(cluster, application: second)
        let anonymous = try await Self.session(cluster, application: "psql")
        do {
            try await Self.phaseOne(cluster, one: one, two: two, anonymous: anonymous, scratch: scratch)
        } catch {
            for connection in [one, two, anonymous] { try? await connection.close() }
            throw error
        }
        for connection in [one, two, anonymous] { try await connection.close() }

        // Phase 2, log_connections off: a session the agent knows only from pg_stat_activity.
        try await Self.settings(cluster, connections: false)
        let third = "bitville-c3c3c3c3"
        let three = try await Self.session(cluster, application: third)
        let connected = Date().timeIntervalSince1970
        do {
            try await Harness.eventually("a snapshot taken after the third request connected", attempts: 1_000) {
                try listener.store().rows(limit: 100_000).contains { row in
                    row.kind == "snapshot" && (row.timestamp ?? 0) > connected
                }
            }
            for index in 0..<10 { try await Self.run(three, "SELECT \(index) AS marker_three_\(index)") }
            try? await Self.run(three, "SELECT 1/0 AS marker_three_error")
            try await Self.run(three, "SELECT 1 AS marker_three_last")
        } catch {
            try? await three.close()
            throw error
        }
        try await three.close()

        try await Harness.eventually("every marker reaches the listener", attempts: 1_000) {
            let texts = try Self.events(listener).map(Self.text)
            return texts.contains { $0.contains("marker_three_last") } && texts.contains { $0.contains("marker_two_39") }
        }
        _ = try await daemon.terminate()
        let events = try Self.events(listener)
        let ids = ["one": "a1a1a1a1", "two": "b2b2b2b2", "three": "c3c3c3c3"]
        var seen: [String: Int] = [:]
        for event in events {
            let text = Self.text(event)
            for (session, id) in ids where text.contains("marker_\(session)_") {
                seen[session, default: 0] += 1
                #expect(event["correlation_id"] as? String == id, "\(session): \(event)")
                #expect(event["correlation_source"] as? String == "session", "\(event)")
                #expect(event["application_name"] as? String == "bitville-\(id)")
            }
            if text.contains("marker_none_") { #expect(event["correlation_id"] == nil, "\(event)") }
        }
        // Nothing lost: every statement of each request; the lock wait and the errors of theirs too.
        for session in ["one", "two"] {
            for index in 0..<40 {
                #expect(events.contains { Self.text($0).contains("marker_\(session)_\(index) ") || Self.text($0).hasSuffix("marker_\(session)_\(index)") },
                        "marker_\(session)_\(index) missing")
            }
        }
        #expect(events.contains { $0["event"] as? String == "lock_wait" && $0["correlation_id"] as? String == "b2b2b2b2" })
        #expect(events.contains { Self.text($0).contains("marker_one_error") && $0["severity"] as? String == "ERROR" })
        #expect(events.contains { Self.text($0).contains("marker_three_error") && $0["severity"] as? String == "ERROR" })
        // Nothing twice: no event identity repeats, across the copytruncate.
        let identities = events.map { event in
            "\(event["timestamp"] ?? "")|\(event["pid"] ?? "")|\(event["message"] ?? "")|\((event["details"] as? [String: Any])?["phase"] ?? "")"
        }
        #expect(Set(identities).count == identities.count, "an event was delivered twice")
        #expect(seen["three", default: 0] >= 11)
    }

    /// Two requests, one waiting for the other's lock, a session without an id, and Debian's logrotate rule.
    static func phaseOne(_ cluster: Cluster, one: PostgresConnection, two: PostgresConnection, anonymous: PostgresConnection,
                         scratch: ScratchDirectory) async throws {
        for index in 0..<20 {
            try await run(one, "SELECT \(index) AS marker_one_\(index)")
            try await run(two, "SELECT \(index) AS marker_two_\(index)")
            try await run(anonymous, "SELECT \(index) AS marker_none_\(index)")
        }
        try? await run(one, "SELECT 1/0 AS marker_one_error")
        let before = (try FileManager.default.attributesOfItem(atPath: cluster.log_file)[.size] as? Int) ?? 0
        try await run(one, "BEGIN")
        try await run(one, "LOCK TABLE lockme IN ACCESS EXCLUSIVE MODE")
        let waiter = Task { try await run(two, "SELECT count(*) AS marker_two_lock FROM lockme") }
        try await Harness.eventually("the second request waits past deadlock_timeout and the server logs it") {
            let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: cluster.log_file))
            defer { try? handle.close() }
            try handle.seek(toOffset: UInt64(before))
            return String(decoding: try handle.readToEnd() ?? Data(), as: UTF8.self).contains("still waiting for AccessShareLock")
        }
        try await run(one, "COMMIT")
        try await waiter.value

        // Debian's rule, forced: copytruncate under the server and the agent.
        let rule = try String(contentsOfFile: "/etc/logrotate.d/postgresql-common", encoding: .utf8)
            .replacingOccurrences(of: "/var/log/postgresql/*.log", with: cluster.log_file)
        try rule.write(toFile: scratch.file("logrotate.conf"), atomically: true, encoding: .utf8)
        let rotated = try ChildProcess.run(["/usr/sbin/logrotate", "-f", "-s", scratch.file("logrotate.state"), scratch.file("logrotate.conf")])
        #expect(rotated.status == 0, "\(rotated.stderr)")
        for index in 20..<40 {
            try await run(one, "SELECT \(index) AS marker_one_\(index)")
            try await run(two, "SELECT \(index) AS marker_two_\(index)")
        }
    }
}
