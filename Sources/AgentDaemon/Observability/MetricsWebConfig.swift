import Crypto
import Foundation
package import NIOSSL
import Yams

/// `[metrics] web_config_file`: TLS and basic authentication for `/metrics` and `/healthz`, in the web
/// configuration file of the Prometheus exporters (exporter-toolkit), so the file an operator already
/// gives node_exporter or postgres_exporter (`--web.config.file`) works here unchanged:
///
/// ```yaml
/// tls_server_config:
///   cert_file: metrics.crt          # relative paths are relative to this file, as the exporters read them
///   key_file: metrics.key
///   client_ca_file: scrapers-ca.crt # optional, with client_auth_type
///   client_auth_type: RequireAndVerifyClientCert
///   min_version: TLS12
/// http_server_config:
///   headers:
///     Strict-Transport-Security: max-age=31536000
/// basic_auth_users:
///   prometheus: $2y$10$…            # bcrypt (htpasswd -nB prometheus)
/// ```
///
/// Implemented: `tls_server_config` (`cert_file`, `key_file`, `client_ca_file`, `client_auth_type`
/// `NoClientCert`, `VerifyClientCertIfGiven` or `RequireAndVerifyClientCert`, `min_version`,
/// `max_version` `TLS10` … `TLS13`), `http_server_config` (`headers`; `http2` is accepted and the
/// endpoint speaks HTTP/1.1), `basic_auth_users` (bcrypt `$2a$`, `$2b$`, `$2y$`). Any other key is an
/// error, not a setting silently dropped: `cipher_suites`, `curve_preferences`,
/// `prefer_server_cipher_suites`, `client_allowed_sans`, and the client-auth types that do not verify.
package struct MetricsWebConfig: Sendable, Equatable {
    /// `tls_server_config`.
    package struct TLS: Sendable, Equatable {
        /// `cert_file`: the PEM certificate chain, server certificate first.
        package var certFile: String
        /// `key_file`: its PEM private key.
        package var keyFile: String
        /// `client_ca_file`: the PEM CAs client certificates must chain to.
        package var clientCAFile: String?
        /// `client_auth_type`.
        package var clientAuth: ClientAuth = .none
        /// `min_version` (default TLS 1.2, as the exporters).
        package var minVersion: TLSVersion = .tlsv12
        /// `max_version` (default: the newest).
        package var maxVersion: TLSVersion?
    }

    /// `client_auth_type`: what a client must show.
    package enum ClientAuth: String, Sendable, Equatable {
        /// `NoClientCert`: nothing.
        case none = "NoClientCert"
        /// `VerifyClientCertIfGiven`: a certificate that is shown must chain to `client_ca_file`.
        case verifyIfGiven = "VerifyClientCertIfGiven"
        /// `RequireAndVerifyClientCert`: a certificate that chains to `client_ca_file`.
        case requireAndVerify = "RequireAndVerifyClientCert"
    }

    /// TLS, or nil for plain HTTP.
    package var tls: TLS?
    /// `basic_auth_users`: user name → bcrypt hash; empty means no authentication.
    package var users: [String: String] = [:]
    /// `http_server_config.headers`: added to every answer.
    package var headers: [(name: String, value: String)] = []

    package init(tls: TLS? = nil, users: [String: String] = [:], headers: [(name: String, value: String)] = []) {
        self.tls = tls
        self.users = users
        self.headers = headers
    }

    package static func == (lhs: MetricsWebConfig, rhs: MetricsWebConfig) -> Bool {
        lhs.tls == rhs.tls && lhs.users == rhs.users
            && lhs.headers.map { "\($0.name)\u{0}\($0.value)" } == rhs.headers.map { "\($0.name)\u{0}\($0.value)" }
    }

    /// Reads and checks the file at `path` (certificate files are read by ``tlsConfiguration()``).
    package static func load(path: String) throws(MetricsWebConfigError) -> MetricsWebConfig {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw MetricsWebConfigError(.unreadable, "cannot read \(path) ([metrics] web_config_file): \(Self.reason(error))")
        }
        return try parse(text, directory: (path as NSString).deletingLastPathComponent, file: path)
    }

    /// Parses the text of a web configuration file; `directory` anchors relative paths.
    package static func parse(_ text: String, directory: String, file: String) throws(MetricsWebConfigError) -> MetricsWebConfig {
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch {
            throw MetricsWebConfigError(.invalid, "\(file) is not YAML: \(error)")
        }
        var config = MetricsWebConfig()
        guard let root else { return config }
        let top = try mapping(root, "the top level", file: file)
        for (key, value) in top {
            switch key {
            case "tls_server_config":
                config.tls = try parseTLS(value, directory: directory, file: file)
            case "http_server_config":
                config.headers = try parseHTTP(value, file: file)
            case "basic_auth_users":
                for (user, hash) in try mapping(value, key, file: file) {
                    guard let hash = hash.string, Self.isBcrypt(hash) else {
                        throw MetricsWebConfigError(.hash, "\(file): basic_auth_users.\(user) is not a bcrypt hash ($2a$, $2b$ or $2y$); make one with `htpasswd -nBC 10 \(user)`")
                    }
                    config.users[user] = hash
                }
            default:
                throw MetricsWebConfigError(.unsupported, "\(file): unknown key \(key) (known: tls_server_config, http_server_config, basic_auth_users)")
            }
        }
        return config
    }

    private static func parseTLS(_ node: Node, directory: String, file: String) throws(MetricsWebConfigError) -> TLS? {
        var cert: String?, key: String?, clientCA: String?
        var clientAuth = ClientAuth.none
        var minVersion = TLSVersion.tlsv12, maxVersion: TLSVersion?
        for (name, value) in try mapping(node, "tls_server_config", file: file) {
            let path = "tls_server_config.\(name)"
            switch name {
            case "cert_file": cert = try scalar(value, path, file: file)
            case "key_file": key = try scalar(value, path, file: file)
            case "client_ca_file": clientCA = try scalar(value, path, file: file)
            case "client_auth_type":
                let text = try scalar(value, path, file: file)
                guard let parsed = ClientAuth(rawValue: text) else {
                    throw MetricsWebConfigError(.unsupported, "\(file): \(path) \(text) is not supported; use NoClientCert, VerifyClientCertIfGiven or RequireAndVerifyClientCert (the others do not verify the certificate)")
                }
                clientAuth = parsed
            case "min_version": minVersion = try version(value, path, file: file)
            case "max_version": maxVersion = try version(value, path, file: file)
            default:
                throw MetricsWebConfigError(.unsupported, "\(file): \(path) is not supported by postgres-agent (supported: cert_file, key_file, client_ca_file, client_auth_type, min_version, max_version)")
            }
        }
        // An empty section, as the exporters read it: no TLS.
        if cert == nil, key == nil, clientCA == nil { return nil }
        guard let cert, let key else {
            throw MetricsWebConfigError(.invalid, "\(file): tls_server_config needs both cert_file and key_file")
        }
        if clientAuth != .none, clientCA == nil {
            throw MetricsWebConfigError(.invalid, "\(file): tls_server_config.client_auth_type \(clientAuth.rawValue) needs client_ca_file")
        }
        func resolve(_ path: String) -> String { path.hasPrefix("/") ? path : (directory as NSString).appendingPathComponent(path) }
        return TLS(certFile: resolve(cert), keyFile: resolve(key), clientCAFile: clientCA.map(resolve), clientAuth: clientAuth,
                   minVersion: minVersion, maxVersion: maxVersion)
    }

    private static func parseHTTP(_ node: Node, file: String) throws(MetricsWebConfigError) -> [(name: String, value: String)] {
        var headers: [(name: String, value: String)] = []
        for (name, value) in try mapping(node, "http_server_config", file: file) {
            switch name {
            case "http2":
                guard value.bool != nil else {
                    throw MetricsWebConfigError(.invalid, "\(file): http_server_config.http2 must be true or false")
                }
            case "headers":
                for (header, text) in try mapping(value, "http_server_config.headers", file: file) {
                    let line = try scalar(text, "http_server_config.headers.\(header)", file: file)
                    guard !header.isEmpty, header.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }),
                          !line.contains(where: { $0 == "\r" || $0 == "\n" }) else {
                        throw MetricsWebConfigError(.invalid, "\(file): http_server_config.headers.\(header) is not a valid header")
                    }
                    headers.append((header, line))
                }
            default:
                throw MetricsWebConfigError(.unsupported, "\(file): http_server_config.\(name) is not supported by postgres-agent (supported: headers, http2)")
            }
        }
        return headers
    }

    private static func mapping(_ node: Node, _ what: String, file: String) throws(MetricsWebConfigError) -> [(String, Node)] {
        if case .scalar(let scalar) = node, scalar.string.isEmpty || scalar.string == "~" || scalar.string == "null" { return [] }
        guard let mapping = node.mapping else {
            throw MetricsWebConfigError(.invalid, "\(file): \(what) must be a mapping")
        }
        var pairs: [(String, Node)] = []
        for (key, value) in mapping {
            guard let name = key.string else { throw MetricsWebConfigError(.invalid, "\(file): a key of \(what) is not text") }
            pairs.append((name, value))
        }
        return pairs
    }

    private static func scalar(_ node: Node, _ path: String, file: String) throws(MetricsWebConfigError) -> String {
        guard let text = node.string, !text.isEmpty else {
            throw MetricsWebConfigError(.invalid, "\(file): \(path) must be text")
        }
        return text
    }

    private static func version(_ node: Node, _ path: String, file: String) throws(MetricsWebConfigError) -> TLSVersion {
        switch try scalar(node, path, file: file) {
        case "TLS10": return .tlsv1
        case "TLS11": return .tlsv11
        case "TLS12": return .tlsv12
        case "TLS13": return .tlsv13
        case let other:
            throw MetricsWebConfigError(.invalid, "\(file): \(path) \(other) is not one of TLS10, TLS11, TLS12, TLS13")
        }
    }

    /// Whether `hash` has the shape of a bcrypt hash this agent verifies: `$2a$`, `$2b$` or `$2y$`, a
    /// two-digit cost from 04 to 31, and 53 characters of salt and digest.
    static func isBcrypt(_ hash: String) -> Bool {
        let bytes = Array(hash.utf8)
        guard bytes.count == 60, bytes[0] == UInt8(ascii: "$"), bytes[1] == UInt8(ascii: "2"),
              [UInt8(ascii: "a"), UInt8(ascii: "b"), UInt8(ascii: "y")].contains(bytes[2]),
              bytes[3] == UInt8(ascii: "$"), bytes[6] == UInt8(ascii: "$"),
              let cost = Int(String(decoding: bytes[4...5], as: UTF8.self)), (4...31).contains(cost) else { return false }
        return bytes[7...].allSatisfy { $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "/") || ($0 >= 48 && $0 <= 57) || ($0 >= 65 && $0 <= 90) || ($0 >= 97 && $0 <= 122) }
    }

    /// The server side of NIOSSL for ``tls``, reading the certificate, key and CA files now.
    package func tlsConfiguration() throws(MetricsWebConfigError) -> TLSConfiguration? {
        guard let tls else { return nil }
        let chain: [NIOSSLCertificate]
        let key: NIOSSLPrivateKey
        do {
            chain = try NIOSSLCertificate.fromPEMFile(tls.certFile)
        } catch {
            throw MetricsWebConfigError(.certificate, "tls_server_config.cert_file \(tls.certFile): not a readable PEM certificate (\(Self.reason(error)))")
        }
        do {
            key = try NIOSSLPrivateKey(file: tls.keyFile, format: .pem)
        } catch {
            throw MetricsWebConfigError(.certificate, "tls_server_config.key_file \(tls.keyFile): not a readable PEM private key")
        }
        guard !chain.isEmpty else {
            throw MetricsWebConfigError(.certificate, "tls_server_config.cert_file \(tls.certFile) holds no certificate")
        }
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
        configuration.minimumTLSVersion = tls.minVersion
        configuration.maximumTLSVersion = tls.maxVersion
        if let ca = tls.clientCAFile {
            let roots: [NIOSSLCertificate]
            do {
                roots = try NIOSSLCertificate.fromPEMFile(ca)
            } catch {
                throw MetricsWebConfigError(.certificate, "tls_server_config.client_ca_file \(ca): not a readable PEM certificate (\(Self.reason(error)))")
            }
            configuration.trustRoots = .certificates(roots)
        }
        switch tls.clientAuth {
        case .none: configuration.certificateVerification = .none
        case .verifyIfGiven: configuration.certificateVerification = .optionalVerification
        case .requireAndVerify: configuration.certificateVerification = .noHostnameVerification
        }
        // A key that does not belong to the certificate fails here, not at the first handshake.
        do {
            _ = try NIOSSLContext(configuration: configuration)
        } catch {
            throw MetricsWebConfigError(.certificate, "tls_server_config: \(tls.certFile) and \(tls.keyFile) cannot serve TLS together (\(Self.reason(error)))")
        }
        return configuration
    }

    /// An error's text without file contents (Foundation's read errors name the path only).
    static func reason(_ error: any Error) -> String {
        if let posix = error as? POSIXError { return String(cString: strerror(posix.code.rawValue)) }
        let nsError = error as NSError
        if let underlying = nsError.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain {
            return String(cString: strerror(Int32(underlying.code)))
        }
        return "\(type(of: error))"
    }
}

extension MetricsWebConfig {
    /// What identifies the file at `path` and the files it names, as they are now: its SHA-256, and
    /// the size and modification time of its certificate, key and CA files. A reload compares it to tell
    /// whether the endpoint must start again (a renewed certificate keeps its path). Nil for no file.
    package static func fingerprint(path: String) -> String? {
        guard !path.isEmpty else { return nil }
        guard let data = FileManager.default.contents(atPath: path) else { return "unreadable" }
        var parts = [SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()]
        if let text = String(data: data, encoding: .utf8),
           let tls = (try? parse(text, directory: (path as NSString).deletingLastPathComponent, file: path))?.tls {
            for file in [tls.certFile, tls.keyFile] + (tls.clientCAFile.map { [$0] } ?? []) {
                let attributes = try? FileManager.default.attributesOfItem(atPath: file)
                let size = (attributes?[.size] as? NSNumber)?.int64Value ?? -1
                let modified = (attributes?[.modificationDate] as? Date)?.timeIntervalSince1970 ?? -1
                parts.append("\(size)@\(modified)")
            }
        }
        return parts.joined(separator: " ")
    }
}
