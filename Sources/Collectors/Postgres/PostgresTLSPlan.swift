package import AgentConfiguration
import Foundation
import NIOSSL
package import PostgresNIO

/// How the agent's connections to one server use TLS, decided as libpq decides it
/// (<https://www.postgresql.org/docs/current/libpq-ssl.html>):
///
/// | sslmode | TLS | the server's certificate |
/// |---|---|---|
/// | `disable` | never | — |
/// | `prefer` (default) | when the server offers it, else clear text | not verified |
/// | `require` | always | its chain is verified when the root certificate file exists; else not verified |
/// | `verify-ca` | always | its chain; the root certificate file must exist |
/// | `verify-full` | always | its chain and the host name; the root certificate file must exist |
///
/// The root certificate file is `sslrootcert`, else `~/.postgresql/root.crt`
/// (``ConnectionSettings/rootCertificateFile``). `sslrootcert=system` is the system's CA store, with
/// `verify-full` only (libpq 16). The system's store is never used otherwise: without a root
/// certificate file, `verify-ca` and `verify-full` fail. Over a Unix socket there is no TLS, whatever the
/// mode (libpq ignores sslmode there). TLS 1.2 at least.
///
/// One difference from libpq: with `prefer` and an existing root certificate file, libpq verifies the
/// chain and, when that fails, reconnects in clear text. The agent encrypts without verifying (PostgresNIO
/// cannot fall back to clear text after a failed handshake), which is never weaker than clear text.
package struct PostgresTLSPlan: Sendable, Equatable {
    /// Whether the connection uses TLS.
    package enum Use: String, Sendable {
        /// Never (`disable`, and every Unix socket).
        case never
        /// When the server offers it, clear text otherwise (`prefer`).
        case preferred
        /// Always; a server without TLS is refused.
        case required
    }

    /// What is checked of the server's certificate.
    package enum Verification: String, Sendable {
        /// Nothing: the session is encrypted, the server not authenticated.
        case nothing
        /// That it chains to the trusted roots (`verify-ca`, and `require` with a root certificate file).
        case chain
        /// That it chains to the trusted roots and names the host (`verify-full`).
        case chainAndHostName = "chain and host name"
    }

    /// What a certificate chain must end in.
    package enum Roots: Sendable, Equatable {
        /// The CA certificates of a PEM file.
        case file(String)
        /// The system's CA store (`sslrootcert=system`).
        case system
    }

    package var use: Use
    package var verification: Verification
    /// The trusted roots; nil when nothing is verified.
    package var roots: Roots?
    /// The name sent as SNI and checked against the certificate: the host name (`host`, also with a
    /// `hostaddr`). Nil for an IP address: SNI may not carry one, and the certificate's IP addresses are
    /// then matched against the address connected to.
    package var serverName: String?

    package init(use: Use, verification: Verification, roots: Roots?, serverName: String?) {
        self.use = use
        self.verification = verification
        self.roots = roots
        self.serverName = serverName
    }

    /// The plan for `settings`.
    /// - Parameter fileExists: Whether a path exists (any kind of file, as libpq's `stat`).
    /// - Throws: ``CollectorError`` (`connection_failed`) when libpq would refuse before connecting: a
    ///   missing root certificate file for `verify-ca`/`verify-full`, no home directory to find one in,
    ///   or `sslrootcert=system` with a mode weaker than `verify-full`.
    package init(
        _ settings: ConnectionSettings,
        fileExists: (String) -> Bool = PostgresTLSPlan.fileExists
    ) throws(CollectorError) {
        let mode = settings.sslMode
        let root = settings.rootCertificateFile
        if root == "system", mode != .verifyFull {
            throw PostgresTLSPlan.failure(
                "sslmode=\(mode.rawValue) is too weak for sslrootcert=system (the system's CA store)",
                hint: "use sslmode=verify-full: any public CA signs a certificate for a name its holder controls, so only the host name check makes the system's store worth anything")
        }
        guard case .tcp = settings.endpoint else {
            self.init(use: .never, verification: .nothing, roots: nil, serverName: nil)
            return
        }
        let serverName = PostgresTLSPlan.serverName(settings)
        switch mode {
        case .disable:
            self.init(use: .never, verification: .nothing, roots: nil, serverName: nil)
        case .prefer:
            self.init(use: .preferred, verification: .nothing, roots: nil, serverName: serverName)
        case .require:
            if let root, fileExists(root) {
                self.init(use: .required, verification: .chain, roots: .file(root), serverName: serverName)
            } else {
                self.init(use: .required, verification: .nothing, roots: nil, serverName: serverName)
            }
        case .verifyCA, .verifyFull:
            let verification: Verification = mode == .verifyFull ? .chainAndHostName : .chain
            guard let root else {
                throw PostgresTLSPlan.failure(
                    "no root certificate file for sslmode=\(mode.rawValue): sslrootcert is not set and HOME is unknown",
                    hint: "set sslrootcert to the CA certificate (PEM) that signed the server's certificate")
            }
            if root == "system" {
                self.init(use: .required, verification: verification, roots: .system, serverName: serverName)
                return
            }
            guard fileExists(root) else {
                throw PostgresTLSPlan.failure(
                    "root certificate file \"\(root)\" does not exist (sslmode=\(mode.rawValue))",
                    hint: "provide the file (sslrootcert, else ~/.postgresql/root.crt of the agent's user): the CA certificate (PEM) that signed the server's certificate; or use sslrootcert=system with verify-full for a certificate from a public CA; or sslmode=require to encrypt without verifying")
            }
            self.init(use: .required, verification: verification, roots: .file(root), serverName: serverName)
        }
    }

    /// Whether `path` exists, of any kind (libpq's `stat`).
    package static func fileExists(_ path: String) -> Bool {
        FileManager.default.fileExists(atPath: path)
    }

    /// The certificates of the PEM file at `path`.
    package static func loadCertificates(_ path: String) throws -> [NIOSSLCertificate] {
        try NIOSSLCertificate.fromPEMFile(path)
    }

    /// The name to send as SNI and to check the certificate against: ``ConnectionSettings/tlsServerName``
    /// unless it is an IP address.
    package static func serverName(_ settings: ConnectionSettings) -> String? {
        guard let name = settings.tlsServerName, !name.isEmpty else { return nil }
        return (try? SocketAddress(ipAddress: name, port: 0)) == nil ? name : nil
    }

    /// The client TLS configuration; nil when TLS is never used.
    /// - Parameter loadCertificates: Reads the CA certificates of a PEM file.
    /// - Throws: ``CollectorError`` (`io`) when the root certificate file cannot be read or holds no
    ///   certificate (libpq: "could not read root certificate file").
    package func tlsConfiguration(
        loadCertificates: (String) throws -> [NIOSSLCertificate] = PostgresTLSPlan.loadCertificates
    ) throws(CollectorError) -> TLSConfiguration? {
        guard use != .never else { return nil }
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.minimumTLSVersion = .tlsv12
        switch verification {
        case .nothing: tls.certificateVerification = .none
        case .chain: tls.certificateVerification = .noHostnameVerification
        case .chainAndHostName: tls.certificateVerification = .fullVerification
        }
        switch roots {
        case nil:
            // Nothing is verified; an empty store all the same, so that no path can reach the public one.
            tls.trustRoots = .certificates([])
        case .some(.system):
            tls.trustRoots = .default
        case .some(.file(let path)):
            let certificates: [NIOSSLCertificate]
            do {
                certificates = try loadCertificates(path)
            } catch {
                throw CollectorError(
                    code: .io, message: "TLS: could not read root certificate file \"\(path)\"",
                    hint: "make it a readable PEM file of the CA certificate(s) that signed the server's certificate")
            }
            guard !certificates.isEmpty else {
                throw CollectorError(
                    code: .io, message: "TLS: could not read root certificate file \"\(path)\": no certificate in it",
                    hint: "make it a readable PEM file of the CA certificate(s) that signed the server's certificate")
            }
            tls.trustRoots = .certificates(certificates)
        }
        return tls
    }

    /// One line for `check`: what is verified, against what.
    package var summary: String {
        switch (verification, roots) {
        case (.nothing, _):
            return "the server's certificate is not verified"
        case (_, .some(.system)):
            return "\(verification.rawValue) verified against the system's CA store"
        case (_, .some(.file(let path))):
            return "\(verification.rawValue) verified against \(path)"
        case (_, nil):
            return "\(verification.rawValue) verified"
        }
    }

    static func failure(_ message: String, hint: String) -> CollectorError {
        CollectorError(code: .connectionFailed, message: "TLS: " + message, hint: hint)
    }

    /// A TLS failure explained as libpq would name it, with the fix; nil when `error` is not about TLS.
    ///
    /// Recognises the plan's own errors and PostgresNIO's: a server without TLS for a mode that requires
    /// it, a certificate that does not chain to the trusted roots, a certificate for another host name,
    /// and other failed handshakes. Never quotes the TLS library's text (it names source files) nor
    /// anything from the conninfo but the host, the mode and the root certificate file.
    package static func explain(_ error: any Error, settings: ConnectionSettings) -> CollectorError? {
        if let error = error as? CollectorError {
            return error.message.hasPrefix("TLS: ") ? error : nil
        }
        guard let psql = error as? PSQLError else { return nil }
        let mode = settings.sslMode.rawValue
        if psql.code == .sslUnsupported {
            return failure(
                "the server does not accept TLS connections, and sslmode=\(mode) requires TLS",
                hint: "turn TLS on at the server (ssl = on with ssl_cert_file and ssl_key_file, then SELECT pg_reload_conf()), or accept clear text with sslmode=prefer")
        }
        guard let underlying = psql.underlying else { return nil }
        if let extra = underlying as? NIOSSLExtraError, extra == .failedToValidateHostname {
            let name = settings.tlsServerName ?? "the address connected to"
            return failure(
                "the server's certificate does not match the host name \(name) (sslmode=\(mode))",
                hint: "connect with a name the certificate lists (host=NAME, with hostaddr=ADDRESS to choose the address), or reissue the server's certificate for that name; verify-ca checks the chain only")
        }
        if let ssl = underlying as? NIOSSLError, case .handshakeFailed(let reason) = ssl {
            if case .sslError(let stack) = reason,
               stack.contains(where: { $0.description.contains("CERTIFICATE_VERIFY_FAILED") }) {
                let roots: Roots? = try? PostgresTLSPlan(settings).roots
                let against = switch roots {
                case .some(.file(let path)): "the root certificate file \(path)"
                case .some(.system): "the system's CA store"
                case nil: "the trusted roots"
                }
                return failure(
                    "the server's certificate does not chain to \(against) (sslmode=\(mode))",
                    hint: "put the CA certificate that signed the server's certificate in the root certificate file (sslrootcert, else ~/.postgresql/root.crt), or check that the agent reaches the right server")
            }
            return failure(
                "the TLS handshake with the server failed (sslmode=\(mode))",
                hint: "the agent needs TLS 1.2 or later: check ssl_min_protocol_version and the server's certificate and key")
        }
        return nil
    }
}
