import AgentDaemon
import Foundation
import Testing

/// The exporter-toolkit web configuration of `/metrics`: what is read, and a clear error for what is not.
@Suite struct MetricsWebConfigTests {
    /// bcrypt hashes made by glibc's libxcrypt (Python's `crypt`), not by the library under test.
    static let prometheusHash = "$2b$04$O9Ux7SGvVEaLj2diSf36KehR8CPlPqKbApDMkUuxTZa5wYQcoBoQG" // right horse battery
    static let htpasswdHash = "$2y$04$abcdefghijklmnopqrstuung7jo9H3XNhm1jsrI1fivx7h8./rKBC" // staple y

    static func parse(_ text: String) throws -> MetricsWebConfig {
        try MetricsWebConfig.parse(text, directory: "/etc/bitville", file: "web.yml")
    }

    static func error(_ text: String) -> MetricsWebConfigError? {
        do throws(MetricsWebConfigError) {
            _ = try MetricsWebConfig.parse(text, directory: "/etc/bitville", file: "web.yml")
            return nil
        } catch {
            return error
        }
    }

    @Test func readsTheExportersFileWithRelativePathsNextToIt() throws {
        let config = try Self.parse("""
            # as node_exporter's --web.config.file
            tls_server_config:
              cert_file: metrics.crt
              key_file: /etc/ssl/private/metrics.key
              client_ca_file: ca/scrapers.pem
              client_auth_type: RequireAndVerifyClientCert
              min_version: TLS13
            http_server_config:
              http2: true
              headers:
                Strict-Transport-Security: max-age=31536000
            basic_auth_users:
              prometheus: \(Self.prometheusHash)
              'grafana agent': "\(Self.htpasswdHash)"
            """)
        let tls = try #require(config.tls)
        #expect(tls.certFile == "/etc/bitville/metrics.crt")
        #expect(tls.keyFile == "/etc/ssl/private/metrics.key")
        #expect(tls.clientCAFile == "/etc/bitville/ca/scrapers.pem")
        #expect(tls.clientAuth == .requireAndVerify)
        #expect("\(tls.minVersion)" == "tlsv13")
        #expect(config.users == ["prometheus": Self.prometheusHash, "grafana agent": Self.htpasswdHash])
        #expect(config.headers.map(\.name) == ["Strict-Transport-Security"])
    }

    @Test func emptySectionsAndAnEmptyFileMeanNothing() throws {
        #expect(try Self.parse("") == MetricsWebConfig())
        #expect(try Self.parse("tls_server_config:\nbasic_auth_users:\n") == MetricsWebConfig())
    }

    @Test func whatIsNotImplementedIsAnErrorNotASilentGap() {
        #expect(Self.error("tls_server_config:\n  cert_file: a\n  key_file: b\n  cipher_suites: [TLS_AES_128_GCM_SHA256]")?.code == .unsupported)
        #expect(Self.error("tls_server_config:\n  cert_file: a\n  key_file: b\n  client_ca_file: c\n  client_auth_type: RequireAnyClientCert")?.code == .unsupported)
        #expect(Self.error("basic_auth: {a: b}")?.code == .unsupported)
        #expect(Self.error("tls_server_config:\n  cert_file: a")?.code == .invalid, "a key file is needed")
        #expect(Self.error("tls_server_config:\n  cert_file: a\n  key_file: b\n  client_auth_type: RequireAndVerifyClientCert")?.code == .invalid,
                "client authentication needs its CA")
        #expect(Self.error("tls_server_config:\n  cert_file: a\n  key_file: b\n  min_version: SSL3")?.code == .invalid)
        #expect(Self.error("tls_server_config: [a, b]")?.code == .invalid)
        #expect(Self.error("http_server_config:\n  headers:\n    'Bad Header': x")?.code == .invalid)
        #expect(Self.error("key: [unclosed")?.code == .invalid)
    }

    @Test func aPasswordInPlaceOfAHashIsRefusedWithoutBeingRepeated() {
        let error = Self.error("basic_auth_users:\n  prometheus: hunter2-plain")
        #expect(error?.code == .hash)
        #expect(error?.description.contains("hunter2-plain") == false, "\(String(describing: error))")
        #expect(error?.description.contains("htpasswd -nBC 10 prometheus") == true)
        #expect(Self.error("basic_auth_users:\n  p: $2x$04$abcdefghijklmnopqrstuung7jo9H3XNhm1jsrI1fivx7h8./rKBC")?.code == .hash)
    }

    @Test func aMissingOrMismatchedCertificateFailsBeforeTheFirstHandshake() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("webcfg-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let missing = try MetricsWebConfig.parse("tls_server_config:\n  cert_file: none.crt\n  key_file: none.key",
                                                 directory: directory, file: "web.yml")
        #expect(throws: MetricsWebConfigError.self) { try missing.tlsConfiguration() }
        #expect(MetricsWebConfig.fingerprint(path: "") == nil)
        #expect(MetricsWebConfig.fingerprint(path: "\(directory)/absent.yml") == "unreadable")
    }

    /// A reload restarts the endpoint when the fingerprint moved: a renewed certificate under the same
    /// path moves it, an untouched file does not.
    @Test func aRenewedCertificateChangesTheFingerprint() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("webcfg-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let file = "\(directory)/web.yml"
        try "tls_server_config:\n  cert_file: m.crt\n  key_file: m.key\n".write(toFile: file, atomically: true, encoding: .utf8)
        try "old certificate".write(toFile: "\(directory)/m.crt", atomically: true, encoding: .utf8)
        try "key".write(toFile: "\(directory)/m.key", atomically: true, encoding: .utf8)
        let first = MetricsWebConfig.fingerprint(path: file)
        #expect(first != nil && first == MetricsWebConfig.fingerprint(path: file))
        try "the renewed certificate".write(toFile: "\(directory)/m.crt", atomically: true, encoding: .utf8)
        #expect(MetricsWebConfig.fingerprint(path: file) != first)
    }

    @Test func basicAuthAcceptsTheRightPasswordOnly() async {
        let verifier = BasicAuthVerifier(users: ["prometheus": Self.prometheusHash, "ops": Self.htpasswdHash])
        func header(_ user: String, _ password: String) -> String {
            "Basic " + Data("\(user):\(password)".utf8).base64EncodedString()
        }
        #expect(await verifier.check(authorization: header("prometheus", "right horse battery")) == .accepted)
        #expect(await verifier.check(authorization: header("prometheus", "right horse battery")) == .accepted, "from the cache")
        #expect(await verifier.check(authorization: header("ops", "staple y")) == .accepted, "htpasswd's $2y$")
        #expect(await verifier.check(authorization: header("prometheus", "wrong")) == .rejected)
        #expect(await verifier.check(authorization: header("nobody", "right horse battery")) == .rejected)
        #expect(await verifier.check(authorization: "Bearer right horse battery") == .rejected)
        #expect(await verifier.check(authorization: "Basic !!!") == .rejected)
        #expect(await verifier.check(authorization: nil) == .rejected)
        #expect(await BasicAuthVerifier(users: [:]).check(authorization: nil) == .accepted, "no users: open")
    }
}
