/// Where and how to connect to one PostgreSQL server: the outcome of a libpq conninfo string or URI
/// merged with the `PG*` environment, `.pgpass` and libpq's defaults.
///
/// Build it with ``resolve(conninfo:environment:osUser:password:fallbackApplicationName:fallbackConnectTimeout:readFile:)``.
/// ``description`` shows the endpoint, user, database and SSL mode, and never the password.
package struct ConnectionSettings: Sendable, Equatable, CustomStringConvertible {
    /// The transport to reach the server.
    package enum Endpoint: Sendable, Hashable {
        /// TCP to a host name or an IP address (`hostaddr` when given, otherwise `host`).
        case tcp(host: String, port: Int)
        /// A Unix-domain socket; `path` is the socket file, `<dir>/.s.PGSQL.<port>`.
        case unixSocket(path: String)
    }

    /// libpq's `sslmode`. `allow` is not supported (it only matters for servers that *require* plain
    /// text, which we do not want to accommodate silently).
    package enum SSLMode: String, Sendable, CaseIterable {
        /// Plain text only.
        case disable
        /// TLS if the server offers it, plain text otherwise; certificates are not verified. libpq's
        /// default.
        case prefer
        /// TLS required; the certificate is not verified, unless a root certificate file exists
        /// (``sslRootCert``, else `~/.postgresql/root.crt`): then its chain is, as with `verify-ca` (libpq).
        case require
        /// TLS required; the certificate must chain to the root certificate file (``sslRootCert``, else
        /// `~/.postgresql/root.crt`, which must exist; `system`: the system's CA store).
        case verifyCA = "verify-ca"
        /// As `verify-ca`, and the certificate must also match the host name.
        case verifyFull = "verify-full"
    }

    /// The socket directory libpq uses when no host is given: Debian's `/var/run/postgresql`.
    package static let defaultSocketDirectory = "/var/run/postgresql"

    /// The port libpq uses when none is given: 5432.
    package static let defaultPort = 5432

    /// The transport: a TCP host and port, or the full path of a Unix socket file.
    package var endpoint: Endpoint
    /// The server port (also part of the Unix socket file name).
    package var port: Int
    /// The database role: `user`, else `PGUSER`, else the operating-system user.
    package var user: String
    /// The database: `dbname`, else `PGDATABASE`, else the user name.
    package var database: String
    /// The password, if any: the agent's own (password file or environment), else `password`, else
    /// `PGPASSWORD`, else the first matching `.pgpass` line.
    package var password: Secret?
    /// The TLS mode: `sslmode`, else `PGSSLMODE`, else ``SSLMode/prefer``.
    package var sslMode: SSLMode
    /// A file of CA certificates to verify the server against: `sslrootcert`, else `PGSSLROOTCERT`;
    /// `system` means the system's CA store (libpq 16). When nil, libpq's default applies:
    /// ``rootCertificateFile``.
    package var sslRootCert: String?
    /// The home directory the settings were resolved with (`HOME`), where libpq looks for
    /// `.postgresql/root.crt` when no `sslrootcert` is given.
    package var homeDirectory: String?
    /// How long to wait for a connection: `connect_timeout` (seconds), else `PGCONNECT_TIMEOUT`, else
    /// the agent's `connect_timeout_ms`. `nil` means no limit (libpq's `0`).
    package var connectTimeout: Duration?
    /// The name the session reports in `pg_stat_activity`: `application_name`, else `PGAPPNAME`, else
    /// the agent's `application_name`.
    package var applicationName: String?
    /// The name to check the server certificate against (and to send as SNI): `host`, even when
    /// `hostaddr` chose the address; `nil` for Unix sockets and for a bare `hostaddr`.
    package var tlsServerName: String?

    /// Creates settings directly; usually you want `resolve`.
    package init(
        endpoint: Endpoint,
        port: Int = Self.defaultPort,
        user: String,
        database: String,
        password: Secret? = nil,
        sslMode: SSLMode = .prefer,
        sslRootCert: String? = nil,
        connectTimeout: Duration? = nil,
        applicationName: String? = nil,
        tlsServerName: String? = nil,
        homeDirectory: String? = nil
    ) {
        self.endpoint = endpoint
        self.port = port
        self.user = user
        self.database = database
        self.password = password
        self.sslMode = sslMode
        self.sslRootCert = sslRootCert
        self.connectTimeout = connectTimeout
        self.applicationName = applicationName
        self.tlsServerName = tlsServerName
        self.homeDirectory = homeDirectory
    }

    /// The root certificate file libpq would use: ``sslRootCert``, else `<home>/.postgresql/root.crt`;
    /// nil when neither is known. It may not exist (`require` then verifies nothing), and may be
    /// `system` (the system's CA store).
    package var rootCertificateFile: String? {
        if let sslRootCert { return sslRootCert }
        guard let homeDirectory, !homeDirectory.isEmpty else { return nil }
        return (homeDirectory.hasSuffix("/") ? homeDirectory : homeDirectory + "/") + ".postgresql/root.crt"
    }

    /// `host=… port=… user=… dbname=… sslmode=…` (or `socket=<path>` for a Unix socket), plus
    /// `password=****` when a password is set. Never the password itself.
    package var description: String {
        var parts: [String] = []
        switch self.endpoint {
        case .tcp(let host, _): parts.append("host=\(host)")
        case .unixSocket(let path): parts.append("socket=\(path)")
        }
        parts.append("port=\(self.port)")
        parts.append("user=\(self.user)")
        parts.append("dbname=\(self.database)")
        parts.append("sslmode=\(self.sslMode.rawValue)")
        if self.password != nil {
            parts.append("password=****")
        }
        return parts.joined(separator: " ")
    }
}
