@testable import AgentConfiguration
import Testing

/// Which secret files are too open, with an injected view of the file modes.
@Suite struct SecretFileAuditTests {
    static func configuration() throws -> AgentConfiguration {
        let text = """
                [listener]
                url = https://listener.example:8443/ingest/postgres
                api_key_file = /etc/bitville/postgres-agent.key

                [postgres:main]
                conninfo = host=db1 dbname=app user=monitor
                password_file = /etc/bitville/main.password

                [postgres:other]
                conninfo = host=db2 dbname=app user=monitor passfile=/etc/bitville/pgpass
                """
        return try AgentConfiguration.load(
            path: "/etc/bitville/agent.ini", environment: ["HOME": "/var/lib/agent"],
            readFile: { path in path == "/etc/bitville/agent.ini" ? text : path.hasSuffix(".key") ? "k\n" : "pw\n" })
    }

    @Test func theInstallersModesPassAndLooseOnesAreNamedWithTheirFix() throws {
        let configuration = try Self.configuration()
        let good: [String: UInt32] = ["/etc/bitville/postgres-agent.key": 0o640, "/etc/bitville/main.password": 0o600,
                                      "/var/lib/agent/.pgpass": 0o600, "/etc/bitville/pgpass": 0o400]
        #expect(SecretFileAudit.findings(configuration, environment: ["HOME": "/var/lib/agent"], mode: { good[$0] }).isEmpty)

        let loose: [String: UInt32] = ["/etc/bitville/postgres-agent.key": 0o644, "/etc/bitville/main.password": 0o660,
                                       "/var/lib/agent/.pgpass": 0o640, "/etc/bitville/pgpass": 0o600]
        let findings = SecretFileAudit.findings(configuration, environment: ["HOME": "/var/lib/agent"], mode: { loose[$0] })
        #expect(findings.map(\.key) == ["listener.api_key_file", "postgres:main.password_file", "postgres:main .pgpass"])
        #expect(findings[0].description == "listener.api_key_file /etc/bitville/postgres-agent.key is open to other users (mode 0644)")
        #expect(findings[0].fix == "chown root:bitville-agent /etc/bitville/postgres-agent.key && chmod 0640 /etc/bitville/postgres-agent.key")
        #expect(findings[2].ignored)
        #expect(findings[2].fix == "chmod 0600 /var/lib/agent/.pgpass")
        #expect(findings[2].description.contains("ignored, as libpq ignores it"))
    }

    @Test func missingFilesAreNoFinding() throws {
        #expect(SecretFileAudit.findings(try Self.configuration(), environment: [:], mode: { _ in nil }).isEmpty)
    }

    @Test func theRules() {
        #expect(!SecretFileAudit.isLoose(secretFileMode: 0o640))
        #expect(!SecretFileAudit.isLoose(secretFileMode: 0o600))
        #expect(SecretFileAudit.isLoose(secretFileMode: 0o604))
        #expect(SecretFileAudit.isLoose(secretFileMode: 0o660))
        #expect(SecretFileAudit.isLoose(passfileMode: 0o640))
        #expect(!SecretFileAudit.isLoose(passfileMode: 0o600))
    }
}
