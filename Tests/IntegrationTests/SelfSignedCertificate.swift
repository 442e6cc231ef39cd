import TestSupport
import Testing

/// A throwaway self-signed certificate for 127.0.0.1 (subject and IP SAN), made by openssl, for the
/// tests that serve or verify TLS.
enum SelfSignedCertificate {
    /// Writes a new RSA key to `key` and its certificate, valid one day, to `certificate`.
    static func make(certificate: String, key: String) throws {
        let made = try ChildProcess.run([
            "/usr/bin/openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", certificate,
            "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"])
        try #require(made.status == 0, "\(made.stderr)")
    }
}
