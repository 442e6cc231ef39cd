import AgentConfiguration
@testable import Collectors
import Foundation
import PostgresNIO
import TestSupport
import Testing

/// PostgreSQL TLS exactly as libpq does it: real servers with `ssl = on` and a test CA
/// (scripts/test-tls-ca.sh), each sslmode against a good certificate, one from another CA, a wrong host
/// name, no root certificate and libpq's default `~/.postgresql/root.crt`, and a server without TLS.
/// The agent's outcome (its own connection path: conninfo resolved like libpq, the client factory, the
/// probe, the pool) is compared with `psql`'s for the same conninfo and `HOME`.
@Suite(.serialized, .timeLimit(.minutes(3))) struct PostgresTLSTests {
    static let bin = "/usr/lib/postgresql/15/bin"
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().path
    static let modes = ["disable", "prefer", "require", "verify-ca", "verify-full"]

    /// Two PostgreSQL 15 servers of the test's own with `ssl = on`, both with a certificate for
    /// `localhost` only (no IP address): `good` from the test CA, `foreign` from another CA. Trust
    /// authentication, user `postgres`. Also two homes: one without `.postgresql/root.crt`, one whose
    /// `root.crt` is the test CA.
    final class Servers {
        let directory = "/tmp/pgagent-tls-\(UInt32.random(in: 0...UInt32.max))"
        var certificates: String { directory + "/ca" }
        var caFile: String { certificates + "/ca.crt" }
        var emptyHome: String { directory + "/home-empty" }
        var caHome: String { directory + "/home-ca" }
        private(set) var good = 0
        private(set) var foreign = 0
        private var started: [String] = []

        init() throws {
            // Reachable by the server's user: no 0700 parent (the harness's rule), so under /tmp.
            #expect(try TestClusters.runAsPostgres(["/bin/mkdir", "-p", directory]) == 0)
            // As root the key files must belong to the server's user (PostgreSQL refuses others').
            let owner = getuid() == 0 ? ["postgres"] : []
            let ca = try ChildProcess.run(["/bin/bash", PostgresTLSTests.repository + "/scripts/test-tls-ca.sh", certificates] + owner)
            try #require(ca.status == 0, "test-tls-ca.sh: \(ca.stderr)")
            try FileManager.default.createDirectory(atPath: emptyHome, withIntermediateDirectories: true)
            try FileManager.default.createDirectory(atPath: caHome + "/.postgresql", withIntermediateDirectories: true)
            try FileManager.default.copyItem(atPath: caFile, toPath: caHome + "/.postgresql/root.crt")
            let initdb = try TestClusters.runAsPostgres([
                "/usr/bin/env", "LC_ALL=C", "\(PostgresTLSTests.bin)/initdb", "-D", directory + "/template", "-U", "postgres",
                "--auth-local=trust", "--auth-host=trust", "-E", "UTF8", "--locale=C", "--no-sync"])
            try #require(initdb == 0, "initdb")
            good = try start("good", certificate: "server")
            foreign = try start("foreign", certificate: "other-server")
        }

        private func start(_ name: String, certificate: String) throws -> Int {
            let data = directory + "/" + name
            try #require(try TestClusters.runAsPostgres(["/bin/cp", "-a", directory + "/template", data]) == 0)
            let port = try TransmitterTests.freePort()
            let options = "-p \(port) -k \(directory) -c listen_addresses=localhost -c fsync=off -c ssl=on "
                + "-c ssl_cert_file=\(certificates)/\(certificate).crt -c ssl_key_file=\(certificates)/\(certificate).key"
            let log = directory + "/\(name).log"
            let status = try TestClusters.runAsPostgres([
                "\(PostgresTLSTests.bin)/pg_ctl", "-D", data, "-w", "-o", options, "-l", log, "start"])
            started.append(data)
            try #require(status == 0, "pg_ctl start \(name): \((try? String(contentsOfFile: log, encoding: .utf8)) ?? "")")
            return port
        }

        deinit {
            for data in started {
                _ = try? TestClusters.runAsPostgres(["\(PostgresTLSTests.bin)/pg_ctl", "-D", data, "-m", "immediate", "-w", "stop"])
            }
            try? FileManager.default.removeItem(atPath: directory)
        }
    }

    /// How a connection attempt ended.
    enum Outcome: String, CustomStringConvertible {
        case refused, plain, encrypted
        var description: String { rawValue }
    }

    /// Where to connect and with what: everything of the conninfo but the sslmode, and the `HOME`.
    struct Target {
        var name: String
        var host: String
        var port: Int
        var rootCert: String?
        var home: String
        var user = "postgres"
        var database = "postgres"
        var password: String?

        func conninfo(_ mode: String) -> String {
            "host=\(host) port=\(port) user=\(user) dbname=\(database) connect_timeout=5 sslmode=\(mode)"
                + (rootCert.map { " sslrootcert=\($0)" } ?? "")
        }
    }

    /// What psql does with `conninfo`: refused (with its message), or connected and whether encrypted.
    static func psql(_ conninfo: String, _ target: Target) throws -> (Outcome, String) {
        var environment = ["PATH": "/usr/bin:/bin", "HOME": target.home]
        if let password = target.password { environment["PGPASSWORD"] = password }
        let result = try ChildProcess.run(
            ["\(bin)/psql", conninfo, "-X", "-A", "-t", "-c", "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()"],
            environment: environment)
        guard result.status == 0 else { return (.refused, result.stderr) }
        return (result.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "t" ? .encrypted : .plain, "")
    }

    /// What the agent does with `conninfo`: its probe connection, then a query through its pool.
    static func agent(_ conninfo: String, _ target: Target) async -> (Outcome, String) {
        var environment = ["HOME": target.home]
        if let password = target.password { environment["PGPASSWORD"] = password }
        let settings: ConnectionSettings
        do {
            settings = try ConnectionSettings.resolve(conninfo: conninfo, environment: environment, osUser: "nobody",
                                                      readFile: { try String(contentsOfFile: $0, encoding: .utf8) })
        } catch {
            return (.refused, "\(error)")
        }
        do {
            let encryption = try await Harness.withAgentClient(settings) { agent in
                try await agent.probe.run(logger: Harness.logger)
                return try await withDeadline(.seconds(15), clock: ContinuousClock()) {
                    try await SessionEncryption.fetch(client: agent.client, logger: Harness.logger)
                }
            }
            return (encryption.encrypted ? .encrypted : .plain, "")
        } catch {
            return (.refused, "\(PostgresTLSPlan.explain(error, settings: settings) ?? CollectorError.from(error))")
        }
    }

    @Test func everySSLModeEndsAsPsqlDoes() async throws {
        let servers = try Servers()
        let noTLS = try Harness.cluster(named: "pg16")
        let ca = servers.caFile
        let (r, p, e) = (Outcome.refused, Outcome.plain, Outcome.encrypted)
        // psql's outcome per mode: disable, prefer, require, verify-ca, verify-full (seen with PostgreSQL 15's
        // psql). `differs`: modes where the agent is known to end otherwise (below).
        let cases: [(target: Target, psql: [Outcome], differs: Set<String>)] = [
            (Target(name: "good certificate", host: "localhost", port: servers.good, rootCert: ca, home: servers.emptyHome),
             [p, e, e, e, e], []),
            (Target(name: "certificate from another CA", host: "localhost", port: servers.foreign, rootCert: ca, home: servers.emptyHome),
             [p, p, r, r, r], ["prefer"]),
            (Target(name: "wrong host name", host: "127.0.0.1", port: servers.good, rootCert: ca, home: servers.emptyHome),
             [p, e, e, e, r], []),
            (Target(name: "no root certificate", host: "localhost", port: servers.good, rootCert: nil, home: servers.emptyHome),
             [p, e, e, r, r], []),
            (Target(name: "~/.postgresql/root.crt, good certificate", host: "localhost", port: servers.good, rootCert: nil,
                    home: servers.caHome),
             [p, e, e, e, e], []),
            (Target(name: "~/.postgresql/root.crt, certificate from another CA", host: "localhost", port: servers.foreign,
                    rootCert: nil, home: servers.caHome),
             [p, p, r, r, r], ["prefer"]),
            (Target(name: "server without TLS", host: "127.0.0.1", port: noTLS.port, rootCert: ca, home: servers.emptyHome,
                    user: Harness.clusters.monitorUser, database: "app", password: Harness.clusters.monitorPassword),
             [p, p, r, r, r], []),
        ]
        var matrix: [String] = []
        for (target, expected, differs) in cases {
            for (mode, want) in zip(Self.modes, expected) {
                let conninfo = target.conninfo(mode)
                let (psql, psqlMessage) = try Self.psql(conninfo, target)
                let (agent, agentMessage) = await Self.agent(conninfo, target)
                let line = "\(target.name), sslmode=\(mode): psql \(psql), agent \(agent)"
                matrix.append(line)
                #expect(psql == want, "\(line) (expected psql \(want)): \(psqlMessage)")
                if differs.contains(mode) {
                    // libpq verifies the chain in prefer mode too when a root certificate file exists, and
                    // when that fails reconnects in clear text; the agent encrypts without verifying
                    // (PostgresTLSPlan): both connect, and the agent's session is never the weaker one.
                    #expect(psql == .plain && agent == .encrypted, "\(line): \(agentMessage)")
                } else {
                    #expect(agent == psql, "\(line): agent: \(agentMessage) psql: \(psqlMessage)")
                }
                // The agent's reason names what psql's names.
                for (libpq, ours) in [("root certificate file", "root certificate file"),
                                      ("does not exist", "does not exist"),
                                      ("does not match host name", "does not match the host name"),
                                      ("certificate verify failed", "does not chain to"),
                                      ("server does not support SSL", "does not accept TLS")]
                where psql == .refused && agent == .refused && psqlMessage.contains(libpq) {
                    #expect(agentMessage.contains(ours), "\(line): psql: \(psqlMessage) agent: \(agentMessage)")
                }
                #expect(!agentMessage.contains(Harness.clusters.monitorPassword) || Harness.clusters.monitorPassword.isEmpty)
            }
        }
        print(matrix.joined(separator: "\n"))
    }

    /// `check` names the session's encryption, and a TLS refusal with libpq's reason and the fix.
    @Test func checkSaysWhetherTheSessionIsEncrypted() async throws {
        let servers = try Servers()
        let scratch = try ScratchDirectory()
        let ca = servers.caFile
        let noTLS = try Harness.cluster(named: "pg16")
        func check(_ conninfo: String, password: String? = nil) throws -> String {
            let path = scratch.file("agent.ini")
            try "[agent]\nstate_dir = \(scratch.file("state"))\n[postgres]\nconninfo = \(conninfo) connect_timeout=5\n"
                .write(toFile: path, atomically: true, encoding: .utf8)
            var environment = ["PATH": "/usr/bin:/bin", "HOME": servers.emptyHome]
            if let password { environment["POSTGRES_AGENT_POSTGRES_PASSWORD"] = password }
            let output = try ChildProcess.run([try ReferenceListener.binary, "check", "--config", path], environment: environment).stdout
            #expect(!output.contains(Harness.clusters.monitorPassword) || Harness.clusters.monitorPassword.isEmpty)
            return output
        }
        let server = "host=localhost port=\(servers.good) user=postgres dbname=postgres"

        let verified = try check("\(server) sslmode=verify-full sslrootcert=\(ca)")
        #expect(verified.contains("✓ connection [default]"), "\(verified)")
        #expect(verified.contains("✓ encryption [default]: TLSv1."), "\(verified)")
        #expect(verified.contains("(sslmode=verify-full); chain and host name verified against \(ca)"), "\(verified)")

        let unverified = try check("\(server) sslmode=require")
        #expect(unverified.contains("(sslmode=require); the server's certificate is not verified"), "\(unverified)")

        let clear = try check("host=127.0.0.1 port=\(noTLS.port) user=\(Harness.clusters.monitorUser) dbname=app",
                              password: Harness.clusters.monitorPassword)
        #expect(clear.contains("✓ encryption [default]: not encrypted: the server does not offer TLS, and sslmode=prefer fell back to clear text"),
                "\(clear)")

        let noRoot = try check("\(server) sslmode=verify-ca")
        #expect(noRoot.contains("✗ connection [default]: postgres@localhost:\(servers.good)/postgres: connection_failed: TLS: root certificate file \"\(servers.emptyHome)/.postgresql/root.crt\" does not exist (sslmode=verify-ca)"),
                "\(noRoot)")
        #expect(noRoot.contains("sslrootcert=system"), "the fix names the choices: \(noRoot)")

        let wrongHost = try check("host=127.0.0.1 port=\(servers.good) user=postgres dbname=postgres sslmode=verify-full sslrootcert=\(ca)")
        #expect(wrongHost.contains("✗ connection [default]"), "\(wrongHost)")
        #expect(wrongHost.contains("the server's certificate does not match the host name 127.0.0.1"), "\(wrongHost)")

        let foreign = try check("host=localhost port=\(servers.foreign) user=postgres dbname=postgres sslmode=require sslrootcert=\(ca)")
        #expect(foreign.contains("the server's certificate does not chain to the root certificate file \(ca)"), "\(foreign)")

        let refused = try check("host=127.0.0.1 port=\(noTLS.port) user=\(Harness.clusters.monitorUser) dbname=app sslmode=require",
                                password: Harness.clusters.monitorPassword)
        #expect(refused.contains("the server does not accept TLS connections, and sslmode=require requires TLS"), "\(refused)")
    }
}
