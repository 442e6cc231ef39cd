extension AgentConfiguration {
    /// `[postgres]` or `[postgres:NAME]`: one monitored PostgreSQL server.
    ///
    /// A file has either one plain `[postgres]` section (the instance `default`) or any number of
    /// `[postgres:NAME]` sections (`NAME` made of letters, digits, `_` and `-`), not both. Without
    /// any, there is one instance `default` with the defaults below, which connects as `psql` would
    /// with no arguments.
    ///
    /// Each key can be overridden by `POSTGRES_AGENT_POSTGRES_<KEY>` (instance `default`) or
    /// `POSTGRES_AGENT_POSTGRES_<NAME>_<KEY>`; the password can come from
    /// `POSTGRES_AGENT_POSTGRES[_<NAME>]_PASSWORD`.
    package struct PostgresInstance: Sendable, Equatable {
        /// The instance name: `NAME` of `[postgres:NAME]`, or `default`.
        package var name: String

        /// The section the instance comes from, as errors name it: `postgres` or `postgres:NAME`.
        package var sectionName: String

        /// `conninfo` (string, default empty): a libpq connection string
        /// (`host=/var/run/postgresql dbname=postgres user=bitville_monitor`) or a `postgresql://`
        /// URI. Empty means the `PG*` environment and libpq's defaults (the socket in
        /// `/var/run/postgresql`, port 5432, the OS user). Held as a ``Secret`` because it may
        /// contain a password; ``connectionSettings(environment:osUser:readFile:)`` interprets it.
        package var conninfo = Secret("")

        /// `password_file` (path, optional, default none): a file holding the password; a trailing
        /// line break is ignored and an empty file is an error. Conflicts with a password in
        /// ``conninfo``.
        package var passwordFile: String?

        /// The password: from `POSTGRES_AGENT_POSTGRES[_NAME]_PASSWORD`, else read from
        /// ``passwordFile`` at load time; `nil` when neither is set (then libpq's sources apply:
        /// the conninfo, `PGPASSWORD`, `.pgpass`). Never a key of the INI file.
        package var password: Secret?

        /// `application_name` (string of at most 63 printable ASCII characters, default
        /// `bitville-monitor`): how the agent's sessions appear in `pg_stat_activity`, so that the
        /// collectors can leave them out. An `application_name` in the conninfo or `PGAPPNAME` takes
        /// precedence, as libpq's `fallback_application_name` would.
        package var applicationName = "bitville-monitor"

        /// `statement_timeout_ms` (integer ≥ 1, default `5000`): the `statement_timeout` of the
        /// agent's sessions, in milliseconds, so a monitoring query can never run away.
        package var statementTimeoutMilliseconds = 5000

        /// `lock_timeout_ms` (integer ≥ 1, default `1000`): the `lock_timeout` of the agent's
        /// sessions, in milliseconds, so the agent never queues behind an application's locks.
        package var lockTimeoutMilliseconds = 1000

        /// `connect_timeout_ms` (integer ≥ 1, default `5000`): how long to wait for a connection, in
        /// milliseconds, unless the conninfo's `connect_timeout` or `PGCONNECT_TIMEOUT` says otherwise.
        package var connectTimeoutMilliseconds = 5000

        /// `max_connections` (integer 1 or 2, default `2`): the most connections the agent opens to
        /// this server at once.
        package var maxConnections = 2

        /// `databases` (`auto`, `none`, or a comma-separated list of database names, default `auto`): whose
        /// tables, indexes and sequences the agent visits (``DatabaseSelection``). `auto` is every database
        /// that allows connections, less ``excludeDatabases``. A visit needs a session in that database:
        /// with ``maxConnections`` `2` the snapshot pool keeps one connection and visits take the other;
        /// with `1` only the connected database is visited.
        package var databases = DatabaseSelection.auto

        /// `exclude_databases` (comma-separated names, default empty): databases `databases = auto` leaves
        /// out.
        package var excludeDatabases: [String] = []

        /// `schema_interval_seconds` (integer ≥ 10, default `600`): how often each database is visited.
        /// Visits are spread over the snapshot cycles, one database after another.
        package var schemaIntervalSeconds = 600

        /// `data_directory` (path, optional, default none): the server's data directory as this host
        /// sees it, where the host collector measures disk usage. Default: ask the server
        /// (`SHOW data_directory`), which is right unless the server runs in a container.
        package var dataDirectory: String?

        /// `log_path`, `log_format`, `log_prefix` (optional): this server's log, when it is not the one of
        /// `[logs]` (several servers on one host each have their own). Unset keys come from `[logs]`;
        /// `log_path = auto` asks the server for its log directory.
        package var logOverrides: [String: String] = [:]

        /// An instance with default settings, named `name`, from `[postgres]` if `name` is `default`
        /// and `[postgres:NAME]` otherwise.
        package init(name: String = "default") {
            self.name = name
            self.sectionName = name == "default" ? "postgres" : "postgres:\(name)"
        }

        /// ``statementTimeoutMilliseconds`` as a duration.
        package var statementTimeout: Duration { .milliseconds(self.statementTimeoutMilliseconds) }

        /// ``lockTimeoutMilliseconds`` as a duration.
        package var lockTimeout: Duration { .milliseconds(self.lockTimeoutMilliseconds) }

        /// ``connectTimeoutMilliseconds`` as a duration.
        package var connectTimeout: Duration { .milliseconds(self.connectTimeoutMilliseconds) }

        /// Resolves ``conninfo`` with the `PG*` environment, `.pgpass` and libpq's defaults, adding the
        /// instance's password, application name and connect timeout.
        ///
        /// Precedence: the conninfo, then the `PG*` variables, then this section's
        /// `application_name` and `connect_timeout_ms`; the agent's own password beats `PGPASSWORD`
        /// and `.pgpass`. Errors about the conninfo name `<section>.conninfo.KEYWORD`.
        ///
        /// - Parameters:
        ///   - environment: The process environment (`PG*`, `HOME`).
        ///   - osUser: The operating-system user name, libpq's default role.
        ///   - readFile: Reads a file's text (the libpq password file).
        package func connectionSettings(
            environment: [String: String],
            osUser: String,
            readFile: (String) throws -> String
        ) throws(AgentConfigurationError) -> ConnectionSettings {
            do {
                return try ConnectionSettings.resolve(
                    conninfo: self.conninfo.value,
                    environment: environment,
                    osUser: osUser,
                    password: self.password,
                    fallbackApplicationName: self.applicationName,
                    fallbackConnectTimeout: self.connectTimeout,
                    readFile: readFile
                )
            } catch {
                throw error.prefixingConninfoKey(with: "\(self.sectionName).conninfo")
            }
        }
    }
}

extension AgentConfiguration.PostgresInstance {
    /// The keys of a postgres section in the INI file.
    static let keys = [
        "conninfo", "password_file", "application_name", "statement_timeout_ms", "lock_timeout_ms",
        "connect_timeout_ms", "max_connections", "databases", "exclude_databases", "schema_interval_seconds", "data_directory", "log_path", "log_format", "log_prefix", "log_timezone",
    ]

    /// Keys that only the environment may set.
    static let environmentOnlyKeys = ["password"]

    /// Applies the section's settings over the defaults, reads the password and checks the conninfo.
    init(
        name: String,
        reading section: ConfigurationSectionReader,
        readFile: (String) throws -> String
    ) throws(AgentConfigurationError) {
        self.init(name: name)
        self.sectionName = section.name
        if let value = section.value("password_file") {
            self.passwordFile = value.optionalString()
        }
        if let value = section.value("application_name") {
            guard value.raw.utf8.count <= 63, value.raw.allSatisfy({ $0.isASCII && (" "..."~").contains($0) }) else {
                throw value.error(
                    .invalidValue,
                    "must be at most 63 printable ASCII characters (PostgreSQL truncates or rewrites anything else)"
                )
            }
            self.applicationName = value.raw
        }
        if let value = section.value("statement_timeout_ms") {
            self.statementTimeoutMilliseconds = try value.integer(unit: "milliseconds", minimum: 1, maximum: 3_600_000)
        }
        if let value = section.value("lock_timeout_ms") {
            self.lockTimeoutMilliseconds = try value.integer(unit: "milliseconds", minimum: 1, maximum: 3_600_000)
        }
        if let value = section.value("connect_timeout_ms") {
            self.connectTimeoutMilliseconds = try value.integer(unit: "milliseconds", minimum: 1, maximum: 600_000)
        }
        if let value = section.value("max_connections") {
            self.maxConnections = try value.integer(minimum: 1, maximum: 2)
        }
        if let value = section.value("databases") {
            self.databases = try DatabaseSelection(parsing: value)
        }
        if let value = section.value("exclude_databases") {
            self.excludeDatabases = try DatabaseSelection.names(value)
        }
        if let value = section.value("schema_interval_seconds") {
            self.schemaIntervalSeconds = try value.integer(unit: "seconds", minimum: 10, maximum: 604_800)
        }
        if let value = section.value("data_directory") {
            self.dataDirectory = value.optionalString()
        }
        for key in ["log_path", "log_format", "log_prefix", "log_timezone"] {
            guard let value = section.value(key) else { continue }
            if key == "log_format" { let _: AgentConfiguration.LogFormat = try value.choice() }
            self.logOverrides[String(key.dropFirst(4))] = value.raw
        }
        if let value = section.value("password") {
            self.password = Secret(try value.nonEmptyString("the PostgreSQL password"))
        } else if let value = section.value("password_file") {
            self.password = try value.secretFromFile(describing: "password", readFile: readFile)
        }
        if let value = section.value("conninfo") {
            self.conninfo = Secret(value.raw)
            // Check the string now, so a typo fails at start-up with the key and line; the PG*
            // environment is left out here because it is only consulted when connecting.
            do {
                _ = try ConnectionSettings.resolve(
                    conninfo: value.raw, environment: [:], osUser: "postgres", password: self.password,
                    readFile: { _ in "" }
                )
            } catch {
                var error = error.prefixingConninfoKey(with: value.key)
                error.line = value.line
                throw error
            }
        }
    }
}

extension AgentConfigurationError {
    /// Rewrites `conninfo` and `conninfo.KEYWORD` keys as `<prefix>` and `<prefix>.KEYWORD`.
    func prefixingConninfoKey(with prefix: String) -> Self {
        var error = self
        if error.key == "conninfo" {
            error.key = prefix
        } else if error.key.hasPrefix("conninfo.") {
            error.key = prefix + error.key.dropFirst("conninfo".count)
        }
        return error
    }
}
