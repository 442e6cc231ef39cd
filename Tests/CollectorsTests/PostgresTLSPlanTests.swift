import AgentConfiguration
import AgentSchema
@testable import Collectors
import PostgresNIO
import Testing

/// sslmode and sslrootcert to the TLS the agent's connections use, as libpq decides them (PostgresTLSPlan).
/// The real handshakes, against a server and compared with psql, are in IntegrationTests/PostgresTLSTests.
@Suite struct PostgresTLSPlanTests {
    /// A CA certificate (EC P-256), only to be parsed.
    static let caPEM = """
        -----BEGIN CERTIFICATE-----
        MIIBhjCCASygAwIBAgIUVbOpK0GlMhXqtJRneyri6FBL3L8wCgYIKoZIzj0EAwIw
        ITEfMB0GA1UEAwwWcG9zdGdyZXMtYWdlbnQgdGVzdCBDQTAeFw0yNjEyMDcwODAz
        MTRaFw0yNjEyMDkwODAzMTRaMCExHzAdBgNVBAMMFnBvc3RncmVzLWFnZW50IHRl
        c3QgQ0EwWTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAASjQN/CU3dSZZKYtUCsd3Zz
        sc0r6nnFHp/cu0/OwVKoU4fytua0JgbWE+YgO4QWbPisX0si9Pj7ogwgH28CNe7e
        o0IwQDAPBgNVHRMBAf8EBTADAQH/MA4GA1UdDwEB/wQEAwIBBjAdBgNVHQ4EFgQU
        sMPKC1PPC1qRkYmf652OsBzNDK0wCgYIKoZIzj0EAwIDSAAwRQIgavYge/s+QA/e
        PwB6T2woujxcxZ6DQ44iwDv8d4fPPBkCIQD9DghutwLfVkvyQNQuy2wKV0tFucgU
        LtFAzBM8feIHPA==
        -----END CERTIFICATE-----
        """

    static func certificate() throws -> NIOSSLCertificate {
        try NIOSSLCertificate(bytes: Array(caPEM.utf8), format: .pem)
    }

    /// Settings as the agent resolves them, with `HOME=/home/agent`.
    static func settings(_ conninfo: String, home: String? = "/home/agent") throws(AgentConfigurationError) -> ConnectionSettings {
        var environment: [String: String] = [:]
        if let home { environment["HOME"] = home }
        return try ConnectionSettings.resolve(conninfo: conninfo, environment: environment, osUser: "agent",
                                              readFile: { _ in throw CollectorError(code: .io, message: "no file") })
    }

    static func plan(_ conninfo: String, home: String? = "/home/agent", files: Set<String> = []) throws -> PostgresTLSPlan {
        try PostgresTLSPlan(try settings(conninfo, home: home), fileExists: { files.contains($0) })
    }

    static func failure(_ conninfo: String, home: String? = "/home/agent", files: Set<String> = []) -> CollectorError? {
        do {
            _ = try plan(conninfo, home: home, files: files)
            return nil
        } catch let error as CollectorError {
            return error
        } catch {
            Issue.record("not a CollectorError: \(error)")
            return nil
        }
    }

    static let home = "/home/agent/.postgresql/root.crt"

    // MARK: the modes

    @Test func disableNeverUsesTLS() throws {
        let plan = try Self.plan("host=db.example.com sslmode=disable sslrootcert=/ca.pem", files: ["/ca.pem"])
        #expect(plan == PostgresTLSPlan(use: .never, verification: .nothing, roots: nil, serverName: nil))
        #expect(try plan.tlsConfiguration() == nil)
    }

    @Test func preferEncryptsWithoutVerifyingAndMayFallBack() throws {
        let plan = try Self.plan("host=db.example.com")
        #expect(plan == PostgresTLSPlan(use: .preferred, verification: .nothing, roots: nil, serverName: "db.example.com"))
        // A root certificate file changes nothing for prefer (libpq would verify, then fall back to clear text).
        #expect(try Self.plan("host=db.example.com sslrootcert=/ca.pem", files: ["/ca.pem"]) == plan)
        let tls = try #require(try plan.tlsConfiguration())
        #expect(tls.certificateVerification == CertificateVerification.none)
        #expect(tls.minimumTLSVersion == TLSVersion.tlsv12)
        #expect(tls.trustRoots == NIOSSLTrustRoots.certificates([]), "never the public store")
    }

    @Test func requireVerifiesTheChainOnlyWhenARootFileExists() throws {
        #expect(try Self.plan("host=db.example.com sslmode=require")
            == PostgresTLSPlan(use: .required, verification: .nothing, roots: nil, serverName: "db.example.com"))
        // A given sslrootcert that exists: verify-ca.
        #expect(try Self.plan("host=db.example.com sslmode=require sslrootcert=/ca.pem", files: ["/ca.pem"])
            == PostgresTLSPlan(use: .required, verification: .chain, roots: .file("/ca.pem"), serverName: "db.example.com"))
        // libpq's default, ~/.postgresql/root.crt, counts too.
        #expect(try Self.plan("host=db.example.com sslmode=require", files: [Self.home])
            == PostgresTLSPlan(use: .required, verification: .chain, roots: .file(Self.home), serverName: "db.example.com"))
        // A given sslrootcert that does not exist: nothing is verified, no error (as libpq).
        #expect(try Self.plan("host=db.example.com sslmode=require sslrootcert=/missing.pem", files: [Self.home]).verification == PostgresTLSPlan.Verification.nothing)

        let tls = try #require(try Self.plan("host=db.example.com sslmode=require sslrootcert=/ca.pem", files: ["/ca.pem"])
            .tlsConfiguration(loadCertificates: { _ in [try Self.certificate()] }))
        #expect(tls.certificateVerification == CertificateVerification.noHostnameVerification)
        #expect(tls.trustRoots == NIOSSLTrustRoots.certificates([try Self.certificate()]))
        #expect(tls.minimumTLSVersion == TLSVersion.tlsv12)
    }

    @Test func verifyCAChecksTheChainAgainstTheRootFile() throws {
        let plan = try Self.plan("host=db.example.com sslmode=verify-ca sslrootcert=/ca.pem", files: ["/ca.pem"])
        #expect(plan == PostgresTLSPlan(use: .required, verification: .chain, roots: .file("/ca.pem"), serverName: "db.example.com"))
        let tls = try #require(try plan.tlsConfiguration(loadCertificates: { path in
            #expect(path == "/ca.pem")
            return [try Self.certificate()]
        }))
        #expect(tls.certificateVerification == CertificateVerification.noHostnameVerification)
        #expect(tls.trustRoots == NIOSSLTrustRoots.certificates([try Self.certificate()]))
        #expect(try Self.plan("host=db.example.com sslmode=verify-ca", files: [Self.home]).roots == .file(Self.home))
    }

    @Test func verifyFullChecksTheChainAndTheHostName() throws {
        let plan = try Self.plan("host=db.example.com sslmode=verify-full", files: [Self.home])
        #expect(plan == PostgresTLSPlan(use: .required, verification: .chainAndHostName, roots: .file(Self.home),
                                        serverName: "db.example.com"))
        let tls = try #require(try plan.tlsConfiguration(loadCertificates: { _ in [try Self.certificate()] }))
        #expect(tls.certificateVerification == CertificateVerification.fullVerification)
        #expect(tls.trustRoots == NIOSSLTrustRoots.certificates([try Self.certificate()]))
        #expect(tls.minimumTLSVersion == TLSVersion.tlsv12)
        #expect(plan.summary == "chain and host name verified against \(Self.home)")
    }

    // MARK: no root certificate: fail as libpq does, never the public store

    @Test func verifyModesWithoutARootFileFailAsLibpq() throws {
        for mode in ["verify-ca", "verify-full"] {
            let given = try #require(Self.failure("host=db.example.com sslmode=\(mode) sslrootcert=/etc/missing.pem"))
            #expect(given.code == .connectionFailed)
            #expect(given.message == "TLS: root certificate file \"/etc/missing.pem\" does not exist (sslmode=\(mode))")
            #expect(given.hint?.contains("sslrootcert=system") == true)
            let defaulted = try #require(Self.failure("host=db.example.com sslmode=\(mode)"))
            #expect(defaulted.message.contains("\"\(Self.home)\" does not exist"))
            let homeless = try #require(Self.failure("host=db.example.com sslmode=\(mode)", home: nil))
            #expect(homeless.message.contains("HOME is unknown"))
        }
        // The factory refuses too: no configuration that would fall back to the public CA store.
        let settings = try Self.settings("host=db.example.com sslmode=verify-ca sslrootcert=/etc/missing.pem")
        #expect(throws: CollectorError.self) { try PostgresClientFactory.tlsConfiguration(settings) }
        #expect(throws: CollectorError.self) { try PostgresClientFactory.configuration(settings, options: .init()) }
    }

    @Test func anUnreadableRootFileFailsWhereverItIsUsed() throws {
        let plan = try Self.plan("host=db.example.com sslmode=require sslrootcert=/ca.pem", files: ["/ca.pem"])
        do {
            _ = try plan.tlsConfiguration(loadCertificates: { _ in throw CollectorError(code: .io, message: "x") })
            Issue.record("an unreadable root file was accepted")
        } catch {
            #expect(error.code == .io)
            #expect(error.message == "TLS: could not read root certificate file \"/ca.pem\"")
        }
        do {
            _ = try plan.tlsConfiguration(loadCertificates: { _ in [] })
            Issue.record("a root file without a certificate was accepted")
        } catch {
            #expect(error.message.hasSuffix("no certificate in it"))
        }
    }

    // MARK: sslrootcert=system (libpq 16)

    @Test func systemRootsMeanVerifyFullOnly() throws {
        let defaulted = try Self.settings("host=db.example.com sslrootcert=system")
        #expect(defaulted.sslMode == .verifyFull, "sslrootcert=system makes verify-full the default")
        let plan = try PostgresTLSPlan(defaulted, fileExists: { _ in false })
        #expect(plan == PostgresTLSPlan(use: .required, verification: .chainAndHostName, roots: .system, serverName: "db.example.com"))
        let tls = try #require(try plan.tlsConfiguration())
        #expect(tls.trustRoots == NIOSSLTrustRoots.default)
        #expect(tls.certificateVerification == CertificateVerification.fullVerification)
        #expect(plan.summary == "chain and host name verified against the system's CA store")

        for mode in ["disable", "prefer", "require", "verify-ca"] {
            do {
                _ = try Self.settings("host=db.example.com sslrootcert=system sslmode=\(mode)")
                Issue.record("sslmode=\(mode) with sslrootcert=system was accepted")
            } catch {
                #expect(error.key == "conninfo.sslmode")
                #expect(error.message.contains("verify-full"))
            }
            // Settings made without resolve are refused by the plan.
            let direct = ConnectionSettings(endpoint: .tcp(host: "db.example.com", port: 5432), user: "u", database: "d",
                                            sslMode: ConnectionSettings.SSLMode(rawValue: mode)!, sslRootCert: "system",
                                            tlsServerName: "db.example.com")
            #expect(throws: CollectorError.self) { try PostgresTLSPlan(direct) }
        }
        #expect(try Self.settings("host=db.example.com sslrootcert=system sslmode=verify-full").sslMode == .verifyFull)
    }

    // MARK: transport and names

    @Test func unixSocketsNeverUseTLSWhateverTheMode() throws {
        // libpq ignores sslmode over a Unix socket: no TLS, and no error for a missing root file.
        let plan = try Self.plan("host=/var/run/postgresql sslmode=verify-full sslrootcert=/missing.pem")
        #expect(plan.use == .never)
        #expect(try PostgresClientFactory.tlsConfiguration(try Self.settings("host=/tmp sslmode=verify-ca")) == nil)
    }

    @Test func ipAddressesAreNeverSentAsServerNames() throws {
        #expect(try Self.plan("host=127.0.0.1 sslmode=require").serverName == nil)
        #expect(try Self.plan("host=::1 sslmode=require").serverName == nil)
        #expect(try Self.plan("host=db.example.com hostaddr=10.0.0.5 sslmode=require").serverName == "db.example.com")
        let configuration = try PostgresClientFactory.configuration(try Self.settings("host=127.0.0.1 sslmode=require"),
                                                                    options: .init())
        #expect(configuration.options.tlsServerName == nil, "NIOSSL refuses an IP address as SNI")
        let named = try PostgresClientFactory.configuration(try Self.settings("host=localhost sslmode=require"), options: .init())
        #expect(named.options.tlsServerName == "localhost")
    }

    @Test func onlyPreferMayFallBackToClearText() throws {
        let prefer = try #require(try PostgresClientFactory.tlsConfiguration(try Self.settings("host=db.example.com")))
        #expect(prefer.1 == false)
        let require = try #require(try PostgresClientFactory.tlsConfiguration(try Self.settings("host=db.example.com sslmode=require")))
        #expect(require.1 == true)
    }

    // MARK: errors for check

    @Test func explainRecognisesOnlyTLSFailures() throws {
        let settings = try Self.settings("host=db.example.com sslmode=verify-ca sslrootcert=/missing.pem")
        let missing = try #require(Self.failure("host=db.example.com sslmode=verify-ca sslrootcert=/missing.pem"))
        #expect(PostgresTLSPlan.explain(missing, settings: settings)?.message == missing.message)
        #expect(PostgresTLSPlan.explain(CollectorError.fromSQLState("28P01"), settings: settings) == nil)
        #expect(PostgresTLSPlan.explain(CancellationError(), settings: settings) == nil)
        #expect(!"\(missing)".contains("password"))
    }

    // MARK: the encryption line of check

    @Test func checkSaysWhenTheSessionIsNotEncrypted() throws {
        let remote = try Self.settings("host=db.example.com")
        let plain = SessionEncryption(encrypted: false, version: nil)
        let fellBack = plain.check(instance: "main", settings: remote)
        #expect(!fellBack.passed)
        #expect(fellBack.detail.contains("sslmode=prefer fell back to clear text"))
        #expect(fellBack.fix?.contains("ssl = on") == true && fellBack.fix?.contains("sslmode=disable") == true)

        let loopback = plain.check(instance: "main", settings: try Self.settings("host=127.0.0.1"))
        #expect(loopback.passed && loopback.detail.contains("fell back to clear text"))
        #expect(plain.check(instance: "main", settings: try Self.settings("host=localhost")).passed)

        let chosen = plain.check(instance: "main", settings: try Self.settings("host=db.example.com sslmode=disable"))
        #expect(chosen.passed && chosen.detail.hasPrefix("not encrypted (sslmode=disable)"))

        let socket = plain.check(instance: "main", settings: try Self.settings("host=/var/run/postgresql"))
        #expect(socket.passed && socket.detail.contains("Unix socket"))

        let encrypted = SessionEncryption(encrypted: true, version: "TLSv1.3")
            .check(instance: "main", settings: try Self.settings("host=db.example.com sslmode=require"))
        #expect(encrypted.passed)
        #expect(encrypted.rendered == "✓ encryption [main]: TLSv1.3 (sslmode=require); the server's certificate is not verified")
    }

    @Test func loopbackHosts() {
        for host in ["localhost", "127.0.0.1", "127.1.2.3", "::1", "LOCALHOST"] { #expect(SessionEncryption.isLoopback(host), "\(host)") }
        for host in ["db.example.com", "10.0.0.1", "127.0.0.1.example.com", "128.0.0.1", "::2"] { #expect(!SessionEncryption.isLoopback(host), "\(host)") }
    }
}
