extension ConnectionSettings {
    /// The longest `connect_timeout` accepted, seconds (an hour).
    static let maximumConnectTimeout = 3_600

    /// Resolves a conninfo string or URI the way libpq (and so `psql`) would.
    ///
    /// For each setting the first source that has it wins:
    ///
    /// | setting | conninfo keyword | environment | then |
    /// |---|---|---|---|
    /// | host | `host` | `PGHOST` | the socket directory `/var/run/postgresql` |
    /// | address | `hostaddr` | `PGHOSTADDR` | the host |
    /// | port | `port` | `PGPORT` | 5432 |
    /// | user | `user` | `PGUSER` | `osUser` |
    /// | database | `dbname` | `PGDATABASE` | the user name |
    /// | password | `password` | `PGPASSWORD` | the password file (`passfile`, `PGPASSFILE`, `$HOME/.pgpass`) |
    /// | TLS | `sslmode`, `sslrootcert` | `PGSSLMODE`, `PGSSLROOTCERT` | `prefer`, `$HOME/.postgresql/root.crt` |
    /// | timeout | `connect_timeout` | `PGCONNECT_TIMEOUT` | `fallbackConnectTimeout` |
    /// | application name | `application_name` | `PGAPPNAME` | `fallbackApplicationName` |
    ///
    /// As in libpq, a keyword set to the empty string hides the environment variable and means the
    /// default. A host starting with `/` is a socket directory: the endpoint is the socket file
    /// `<dir>/.s.PGSQL.<port>`. A `hostaddr` makes the connection TCP to that address, and `host`
    /// then only names the server for certificate checks and `.pgpass`. `connect_timeout` is in whole
    /// seconds; `0` or less means no limit and `1` means 2 seconds (libpq's minimum).
    /// `sslrootcert=system` (the system's CA store) makes `verify-full` the default sslmode and refuses
    /// a weaker one, as libpq 16 does.
    ///
    /// Not supported, and refused with a clear error: several hosts (`h1,h2`), `sslmode=allow`,
    /// abstract Unix sockets (`@name`), and a non-empty `options` (or `PGOPTIONS`): we would rather
    /// fail than silently drop server settings the operator asked for.
    ///
    /// A password file that cannot be read is skipped, as libpq skips it; so is one with any group or
    /// other access, as libpq ignores it (``SecretFileAudit`` reports it at start and in `check`).
    ///
    /// - Parameters:
    ///   - conninfo: A keyword/value string or a `postgresql://` URI; empty means "environment and
    ///     defaults only".
    ///   - environment: The process environment (`PG*`, `HOME`).
    ///   - osUser: The operating-system user name, libpq's default role.
    ///   - password: A password from outside the conninfo (the agent's `password_file` or
    ///     environment). It beats `PGPASSWORD` and `.pgpass`, and conflicts with a `password` in the
    ///     conninfo.
    ///   - fallbackApplicationName: The application name when neither the conninfo nor `PGAPPNAME`
    ///     gives one.
    ///   - fallbackConnectTimeout: The connect timeout when neither the conninfo nor
    ///     `PGCONNECT_TIMEOUT` gives one.
    ///   - readFile: Reads a file's text (the password file).
    ///   - fileMode: The permission bits of a file, nil when it is missing (the password file's).
    /// - Throws: ``AgentConfigurationError`` naming `conninfo.KEYWORD` or the environment variable,
    ///   never containing the conninfo or a value.
    package static func resolve(
        conninfo: String,
        environment: [String: String],
        osUser: String,
        password: Secret? = nil,
        fallbackApplicationName: String? = nil,
        fallbackConnectTimeout: Duration? = nil,
        readFile: (String) throws -> String,
        fileMode: (String) -> UInt32? = SecretFileAudit.mode(of:)
    ) throws(AgentConfigurationError) -> ConnectionSettings {
        let parameters = try ConnInfoParser.parse(conninfo)

        /// The conninfo value, else the environment value; with the key to blame in errors.
        func setting(_ keyword: String, _ variable: String) -> (value: String, key: String)? {
            if let value = parameters[keyword] { return (value, "conninfo.\(keyword)") }
            if let value = environment[variable] { return (value, variable) }
            return nil
        }
        func nonEmpty(_ value: (value: String, key: String)?) -> (value: String, key: String)? {
            guard let value, !value.value.isEmpty else { return nil }
            return value
        }

        let host = nonEmpty(setting("host", "PGHOST"))
        let hostaddr = nonEmpty(setting("hostaddr", "PGHOSTADDR"))
        for item in [host, hostaddr, nonEmpty(setting("port", "PGPORT"))] {
            if let item, item.value.contains(",") {
                throw AgentConfigurationError(
                    code: .invalidValue, key: item.key,
                    message: "several hosts or ports are not supported yet; give exactly one"
                )
            }
        }

        var port = Self.defaultPort
        if let item = nonEmpty(setting("port", "PGPORT")) {
            guard let number = Int(item.value.trimmingWhitespace()), (1...65535).contains(number) else {
                throw AgentConfigurationError(
                    code: .invalidValue, key: item.key, message: "must be a TCP port number from 1 to 65535"
                )
            }
            port = number
        }

        let endpoint: Endpoint
        var tlsServerName: String? = nil
        if let hostaddr {
            guard hostaddr.value.allSatisfy({ $0.isHexDigit || $0 == "." || $0 == ":" || $0 == "%" }) else {
                throw AgentConfigurationError(
                    code: .invalidValue, key: hostaddr.key, message: "must be a numeric IPv4 or IPv6 address"
                )
            }
            endpoint = .tcp(host: hostaddr.value, port: port)
            if let host, !host.value.hasPrefix("/") { tlsServerName = host.value }
        } else {
            let hostName = host?.value ?? Self.defaultSocketDirectory
            if hostName.hasPrefix("/") {
                var directory = Substring(hostName)
                while directory.count > 1, directory.hasSuffix("/") { directory = directory.dropLast() }
                let socketPath = (directory == "/" ? "" : directory) + "/.s.PGSQL.\(port)"
                guard socketPath.utf8.count <= 107 else {
                    throw AgentConfigurationError(
                        code: .invalidValue, key: host?.key ?? "host",
                        message: "the Unix socket path is longer than 107 bytes, the system's limit"
                    )
                }
                endpoint = .unixSocket(path: String(socketPath))
            } else if hostName.hasPrefix("@") {
                throw AgentConfigurationError(
                    code: .invalidValue, key: host?.key ?? "host",
                    message: "abstract Unix sockets (`@name`) are not supported; give a socket directory or a host name"
                )
            } else {
                endpoint = .tcp(host: hostName, port: port)
                tlsServerName = hostName
            }
        }

        let user = nonEmpty(setting("user", "PGUSER"))?.value ?? osUser
        let database = nonEmpty(setting("dbname", "PGDATABASE"))?.value ?? user

        var sslMode = SSLMode.prefer
        if let item = setting("sslmode", "PGSSLMODE") {
            if item.value == "allow" {
                throw AgentConfigurationError(
                    code: .invalidValue, key: item.key,
                    message: "sslmode `allow` is not supported; use `prefer` (TLS when offered) or `disable`"
                )
            }
            guard let mode = SSLMode(rawValue: item.value) else {
                throw AgentConfigurationError(
                    code: .invalidValue, key: item.key,
                    message: "must be one of: \(SSLMode.allCases.map(\.rawValue).joined(separator: ", "))"
                )
            }
            sslMode = mode
        }
        let sslRootCert = nonEmpty(setting("sslrootcert", "PGSSLROOTCERT"))?.value
        // libpq 16 and later: any public CA signs a certificate for a name its holder controls, so the
        // system's store is only worth something with the host name checked. `sslrootcert=system` makes
        // verify-full the default and refuses a weaker sslmode.
        if sslRootCert == "system" {
            if let item = setting("sslmode", "PGSSLMODE") {
                guard sslMode == .verifyFull else {
                    throw AgentConfigurationError(
                        code: .invalidValue, key: item.key,
                        message: "sslmode `\(sslMode.rawValue)` is too weak for sslrootcert=system (the system's CA store); use verify-full, as libpq does"
                    )
                }
            } else {
                sslMode = .verifyFull
            }
        }

        var connectTimeout = fallbackConnectTimeout
        if let item = nonEmpty(setting("connect_timeout", "PGCONNECT_TIMEOUT")) {
            guard let seconds = Int(item.value.trimmingWhitespace()) else {
                throw AgentConfigurationError(
                    code: .invalidValue, key: item.key, message: "must be a whole number of seconds"
                )
            }
            // Bounded: a huge value would overflow the nanoseconds the drivers count in.
            guard seconds <= Self.maximumConnectTimeout else {
                throw AgentConfigurationError(
                    code: .invalidValue, key: item.key, message: "must be at most \(Self.maximumConnectTimeout) seconds"
                )
            }
            connectTimeout = seconds <= 0 ? nil : .seconds(max(seconds, 2))
        }

        let applicationName = setting("application_name", "PGAPPNAME")?.value ?? fallbackApplicationName

        if let options = nonEmpty(setting("options", "PGOPTIONS")) {
            throw AgentConfigurationError(
                code: .invalidValue, key: options.key,
                message: "server options at connection time are not supported yet; the agent sets its own "
                    + "statement_timeout and lock_timeout (see statement_timeout_ms and lock_timeout_ms)"
            )
        }

        var resolvedPassword: Secret? = nil
        if let given = parameters["password"], !given.isEmpty {
            guard password == nil else {
                throw AgentConfigurationError(
                    code: .conflict, key: "conninfo.password",
                    message: "the conninfo has a password and the agent got one from password_file or its environment; keep only one"
                )
            }
            resolvedPassword = Secret(given)
        } else if let password {
            resolvedPassword = password
        } else if let given = environment["PGPASSWORD"], !given.isEmpty {
            resolvedPassword = Secret(given)
        } else {
            let passfile = nonEmpty(setting("passfile", "PGPASSFILE"))?.value
                ?? environment["HOME"].flatMap { $0.isEmpty ? nil : "\($0)/.pgpass" }
            if let passfile, !(fileMode(passfile).map(SecretFileAudit.isLoose(passfileMode:)) ?? false),
               let text = try? readFile(passfile) {
                resolvedPassword = PGPassFile(parsing: text).password(
                    host: PGPassFile.lookupHost(host: host?.value, hostaddr: hostaddr?.value),
                    port: port,
                    database: database,
                    user: user
                )
            }
        }

        return ConnectionSettings(
            endpoint: endpoint,
            port: port,
            user: user,
            database: database,
            password: resolvedPassword,
            sslMode: sslMode,
            sslRootCert: sslRootCert,
            connectTimeout: connectTimeout,
            applicationName: applicationName,
            tlsServerName: tlsServerName,
            homeDirectory: environment["HOME"].flatMap { $0.isEmpty ? nil : $0 }
        )
    }
}

extension String {
    /// The string without leading and trailing whitespace (libpq's integer parsing allows it).
    fileprivate func trimmingWhitespace() -> Substring {
        var trimmed = self.drop { $0.isWhitespace }
        while let last = trimmed.last, last.isWhitespace {
            trimmed = trimmed.dropLast()
        }
        return trimmed
    }
}
