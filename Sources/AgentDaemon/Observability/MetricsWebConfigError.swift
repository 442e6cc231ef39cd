/// Why `[metrics] web_config_file` cannot be used. The endpoint does not start without it (it never falls
/// back to serving plain, open HTTP). Messages name the file and the key, never a password hash or a key's
/// content.
package struct MetricsWebConfigError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What kind of failure.
    package struct Code: Hashable, Sendable, CustomStringConvertible {
        package let description: String
        /// The file, or a certificate or key it names, cannot be read.
        package static let unreadable = Code(description: "web_config_unreadable")
        /// The file is not YAML, or a value has the wrong type.
        package static let invalid = Code(description: "web_config_invalid")
        /// A key the exporter-toolkit format has that the agent does not implement, or one neither knows.
        package static let unsupported = Code(description: "web_config_unsupported")
        /// A certificate, key or CA file that is not PEM, or a key that does not fit the certificate.
        package static let certificate = Code(description: "web_config_certificate")
        /// A `basic_auth_users` entry whose value is not a bcrypt hash.
        package static let hash = Code(description: "web_config_hash")
    }

    /// The kind of failure.
    package var code: Code
    /// What happened, with the key and the fix.
    package var message: String

    package init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    package var description: String { "\(code): \(message)" }
}
