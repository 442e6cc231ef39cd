package import AgentConfiguration
package import AgentSchema
package import Logging
package import PostgresNIO

/// Whether the agent's own session is encrypted, as the server sees it (`pg_stat_ssl`), for `check`.
///
/// With `sslmode=prefer` (libpq's default) a server without TLS gets a clear-text session, silently:
/// `check` says so, and fails when the session crosses the network (a host other than loopback).
package struct SessionEncryption: Sendable, Equatable {
    /// The session runs over TLS.
    package var encrypted: Bool
    /// The TLS version (`TLSv1.3`), when encrypted.
    package var version: String?

    package init(encrypted: Bool, version: String?) {
        self.encrypted = encrypted
        self.version = version
    }

    /// Asks the server about the session `client` runs the query on.
    package static func fetch(client: PostgresClient, logger: Logger) async throws -> SessionEncryption {
        let row = try await client.oneRow(
            "SELECT ssl, version FROM pg_stat_ssl WHERE pid = pg_backend_pid()", what: "encryption", logger: logger)
        return SessionEncryption(encrypted: try row.value("ssl") ?? false, version: try row.value("version"))
    }

    /// The `encryption` line of `check` for a session made with `settings`.
    package func check(instance: String, settings: ConnectionSettings) -> CheckResult {
        let mode = settings.sslMode.rawValue
        guard case .tcp(let host, _) = settings.endpoint else {
            return CheckResult(aspect: "encryption", instance: instance, passed: true,
                               detail: "not encrypted: a Unix socket stays on this host (TLS does not apply, as in libpq)")
        }
        if encrypted {
            let verified = (try? PostgresTLSPlan(settings).summary) ?? "the server's certificate is not verified"
            return CheckResult(aspect: "encryption", instance: instance, passed: true,
                               detail: "\(version ?? "TLS") (sslmode=\(mode)); \(verified)")
        }
        let loopback = Self.isLoopback(host)
        if settings.sslMode == .disable {
            return CheckResult(aspect: "encryption", instance: instance, passed: true,
                               detail: "not encrypted (sslmode=disable)" + (loopback ? " over loopback" : ": chosen in the conninfo"))
        }
        let fellBack = "not encrypted: the server does not offer TLS, and sslmode=\(mode) fell back to clear text"
        if loopback {
            return CheckResult(aspect: "encryption", instance: instance, passed: true,
                               detail: fellBack + " (loopback: nothing crosses the network)")
        }
        return CheckResult(
            aspect: "encryption", instance: instance, passed: false,
            detail: fellBack + ": queries and their results cross the network readable",
            fix: "turn TLS on at the server (ssl = on with ssl_cert_file and ssl_key_file, then SELECT pg_reload_conf()) and use sslmode=verify-full with sslrootcert; or accept clear text with sslmode=disable")
    }

    /// `localhost`, `127.0.0.0/8` or `::1`.
    static func isLoopback(_ host: String) -> Bool {
        let name = host.lowercased()
        if name == "localhost" || name.hasSuffix(".localhost") || name == "::1" || name == "0:0:0:0:0:0:0:1" { return true }
        let parts = name.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts[0] == "127" && parts.allSatisfy { UInt8($0) != nil }
    }
}
