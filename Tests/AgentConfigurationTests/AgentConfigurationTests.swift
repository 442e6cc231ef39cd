import AgentSchema
import AgentConfiguration
import Foundation
import Testing

@Suite struct AgentConfigurationTests {
    private static let configPath = "/etc/bitville/postgres-agent.ini"
    private static let leak = "s3cr3t-XYZ"

    /// The example from the first design (shared/DESIGN.md), verbatim.
    private static let designExample = """
        [agent]
        project = bitville               ; goes into every payload
        interval_seconds = 60            ; snapshot interval (1 or more; tests use 1)
        state_dir = /var/lib/bitville-postgres-agent   ; spool, checkpoints, delta state
        log_level = info

        [postgres]                       ; or several [postgres:NAME] sections, one per monitored server
        conninfo = host=/var/run/postgresql dbname=postgres user=bitville_monitor
        password_file =                  ; optional
        application_name = bitville-monitor
        statement_timeout_ms = 5000

        [logs]
        path = /var/log/postgresql       ; file, directory or glob; empty = no log tailing
        format = auto                    ; auto | stderr | csvlog | jsonlog
        prefix = auto                    ; auto = ask the server (SHOW log_line_prefix)

        [listener]
        url = https://listener:8443/ingest/postgres   ; http:// is accepted too (tests, a local TLS proxy);
                                         ; a warning is logged when it points off this host
        api_key_file = /etc/bitville/postgres-agent.key
        ca_file =                        ; optional extra CA for the listener's certificate

        [spool]
        max_size_mb = 100

        [privacy]
        redact_query_literals = true

        [correlation]
        pattern = bitville-([a-f0-9-]+)

        [metrics]
        listen = 127.0.0.1:9188          ; empty = off
        """

    /// Loads `ini` (when given) from ``configPath``; `files` are the other readable files.
    private func load(
        _ ini: String?,
        environment: [String: String] = [:],
        files: [String: String] = [:]
    ) throws(AgentConfigurationError) -> AgentConfiguration {
        var all = files
        if let ini { all[Self.configPath] = ini }
        let readable = all
        return try AgentConfiguration.load(
            path: ini == nil ? nil : Self.configPath,
            environment: environment,
            readFile: { path in
                guard let text = readable[path] else { throw AgentConfiguration.FileReadError(reason: "no such file") }
                return text
            }
        )
    }

    private func loadError(
        _ ini: String?,
        environment: [String: String] = [:],
        files: [String: String] = [:]
    ) -> AgentConfigurationError? {
        self.captureError { _ = try self.load(ini, environment: environment, files: files) }
    }

    /// The configuration error `body` throws, or `nil`.
    private func captureError(_ body: () throws -> Void) -> AgentConfigurationError? {
        do {
            try body()
            return nil
        } catch let error as AgentConfigurationError {
            return error
        } catch {
            Issue.record("unexpected error type: \(type(of: error))")
            return nil
        }
    }

    /// Checks that no way of printing the error shows the secret marker.
    private func expectNoLeak(_ error: AgentConfigurationError, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(!String(describing: error).contains(Self.leak), sourceLocation: sourceLocation)
        #expect(!"\(error)".contains(Self.leak), sourceLocation: sourceLocation)
        #expect(!String(reflecting: error).contains(Self.leak), sourceLocation: sourceLocation)
    }

    // MARK: defaults and examples

    @Test func defaultsAreTheDocumentedOnes() throws {
        let configuration = try self.load(nil)
        #expect(configuration == AgentConfiguration())
        #expect(configuration.agent.project == "bitville")
        #expect(configuration.agent.intervalSeconds == 60)
        #expect(configuration.agent.stateDirectory == "/var/lib/bitville-postgres-agent")
        #expect(configuration.agent.logLevel == .info)
        let postgres = try #require(configuration.postgres.first)
        #expect(configuration.postgres.count == 1)
        #expect(postgres.name == "default")
        #expect(postgres.conninfo.value == "")
        #expect(postgres.passwordFile == nil)
        #expect(postgres.password == nil)
        #expect(postgres.applicationName == "bitville-monitor")
        #expect(postgres.statementTimeoutMilliseconds == 5000)
        #expect(postgres.lockTimeoutMilliseconds == 1000)
        #expect(postgres.connectTimeoutMilliseconds == 5000)
        #expect(postgres.maxConnections == 2)
        #expect(postgres.dataDirectory == nil)
        #expect(configuration.collectors.topStatements == 100)
        #expect(configuration.collectors.queryTextMaxBytes == 4096)
        #expect(configuration.collectors.timeoutMilliseconds == 10000)
        #expect(configuration.collectors.databaseSizeIntervalSeconds == 600)
        #expect(configuration.collectors.baselineWindowMilliseconds == 1000)
        #expect(configuration.logs.path == "")
        #expect(!configuration.logs.isEnabled)
        #expect(configuration.logs.format == .auto)
        #expect(configuration.logs.prefix == "auto")
        #expect(configuration.listener.url == "")
        #expect(!configuration.listener.isConfigured)
        #expect(configuration.listener.apiKeyFile == nil)
        #expect(configuration.listener.apiKey == nil)
        #expect(configuration.listener.caFile == nil)
        #expect(configuration.listener.timeoutMilliseconds == 10000)
        #expect(configuration.spool.maxSizeMegabytes == 100)
        #expect(configuration.spool.minFreeDiskMegabytes == 256)
        #expect(configuration.privacy.redactQueryLiterals)
        #expect(configuration.correlation.pattern == "bitville-([a-f0-9-]+)")
        #expect(configuration.metrics.listen == "127.0.0.1:9188")
    }

    @Test func designExampleLoadsCleanly() throws {
        let configuration = try self.load(
            Self.designExample, files: ["/etc/bitville/postgres-agent.key": "key-from-file\n"]
        )
        #expect(configuration.postgres.count == 1)
        #expect(configuration.postgres[0].name == "default")
        #expect(configuration.postgres[0].conninfo.value == "host=/var/run/postgresql dbname=postgres user=bitville_monitor")
        #expect(configuration.postgres[0].passwordFile == nil)
        #expect(configuration.logs.path == "/var/log/postgresql")
        #expect(configuration.listener.url == "https://listener:8443/ingest/postgres")
        #expect(configuration.listener.apiKeyFile == "/etc/bitville/postgres-agent.key")
        #expect(configuration.listener.apiKey == Secret("key-from-file"))
        #expect(configuration.listener.caFile == nil)
        #expect(configuration.correlation.pattern == "bitville-([a-f0-9-]+)")
    }

    @Test func packagedExampleLoadsAndListsEveryKey() throws {
        let root = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let path = root.appendingPathComponent("packaging/postgres-agent.ini.example").path
        let configuration = try AgentConfiguration.load(
            path: path, environment: [:], readFile: { try AgentConfiguration.readFileFromDisk($0) }
        )
        #expect(configuration == AgentConfiguration(), "the example shows the defaults")

        let document = try INIDocument(parsing: AgentConfiguration.readFileFromDisk(path))
        let expectedKeys: [String: [String]] = [
            "agent": ["project", "interval_seconds", "state_dir", "log_level"],
            "postgres": [
                "conninfo", "password_file", "application_name", "statement_timeout_ms", "lock_timeout_ms",
                "connect_timeout_ms", "max_connections", "databases", "exclude_databases", "schema_interval_seconds",
                "data_directory",
            ],
            "collectors": [
                "top_statements", "query_text_max_bytes", "timeout_ms", "database_size_interval_seconds",
                "baseline_window_ms", "top_tables", "top_indexes", "schema_timeout_ms",
            ],
            "logs": ["path", "format", "prefix", "timezone"],
            "listener": ["url", "api_key_file", "ca_file", "timeout_ms", "allow_insecure_http"],
            "spool": ["max_size_mb", "min_free_disk_mb"],
            "privacy": ["redact_query_literals"],
            "correlation": ["pattern"],
            "metrics": ["listen", "top_statements", "statement_text_length", "web_config_file"],
        ]
        #expect(Set(document.sections.map(\.name)) == Set(expectedKeys.keys))
        for (section, keys) in expectedKeys {
            #expect(document[section: section]?.entries.map(\.key) == keys, "[\(section)]")
        }
    }

    @Test func readFileFromDiskExplainsMissingFiles() throws {
        let error = try #require(
            self.captureError {
                _ = try AgentConfiguration.load(
                    path: "/nonexistent/postgres-agent.ini", environment: [:],
                    readFile: { try AgentConfiguration.readFileFromDisk($0) }
                )
            }
        )
        #expect(error.code == .unreadableFile)
        #expect(error.key == "/nonexistent/postgres-agent.ini")
        #expect(error.message.contains("no such file"))
    }

    // MARK: precedence

    @Test func fileOverridesDefaultsAndEnvironmentOverridesFile() throws {
        let ini = """
            [agent]
            project = from-file
            interval_seconds = 30
            [collectors]
            top_statements = 50
            """
        let fileOnly = try self.load(ini)
        #expect(fileOnly.agent.project == "from-file")
        #expect(fileOnly.agent.intervalSeconds == 30)
        #expect(fileOnly.agent.logLevel == .info)
        #expect(fileOnly.collectors.topStatements == 50)

        let environment = [
            "POSTGRES_AGENT_AGENT_INTERVAL_SECONDS": "1",
            "POSTGRES_AGENT_AGENT_LOG_LEVEL": "debug",
            "POSTGRES_AGENT_POSTGRES_CONNINFO": "host=/tmp dbname=postgres",
            "POSTGRES_AGENT_LOGS_FORMAT": "jsonlog",
            "POSTGRES_AGENT_SPOOL_MAX_SIZE_MB": "5",
            "POSTGRES_AGENT_PRIVACY_REDACT_QUERY_LITERALS": "off",
            "POSTGRES_AGENT_METRICS_LISTEN": "",
        ]
        let overridden = try self.load(ini, environment: environment)
        #expect(overridden.agent.project == "from-file")
        #expect(overridden.agent.intervalSeconds == 1)
        #expect(overridden.agent.logLevel == .debug)
        #expect(overridden.postgres[0].conninfo.value == "host=/tmp dbname=postgres")
        #expect(overridden.logs.format == .jsonlog)
        #expect(overridden.spool.maxSizeMegabytes == 5)
        #expect(!overridden.privacy.redactQueryLiterals)
        #expect(!overridden.metrics.isEnabled, "an empty variable counts as set")
        #expect(overridden.collectors.topStatements == 50)
    }

    @Test func environmentAloneWorksWithoutAFile() throws {
        let configuration = try self.load(nil, environment: ["POSTGRES_AGENT_LOGS_PATH": "/var/log/postgresql"])
        #expect(configuration.logs.path == "/var/log/postgresql")
    }

    @Test func unrelatedEnvironmentVariablesAreIgnored() throws {
        let configuration = try self.load(nil, environment: ["PATH": "/bin", "PGHOST": "x", "POSTGRES_AGENTX": "1"])
        #expect(configuration == AgentConfiguration())
    }

    // MARK: postgres instances

    @Test func namedInstancesKeepFileOrderAndTakeTheirOwnVariables() throws {
        let ini = """
            [postgres:main]
            conninfo = host=/var/run/postgresql
            statement_timeout_ms = 1000
            [postgres:replica-1]
            conninfo = postgresql://replica/postgres
            """
        let configuration = try self.load(
            ini,
            environment: [
                "POSTGRES_AGENT_POSTGRES_REPLICA_1_STATEMENT_TIMEOUT_MS": "2500",
                "POSTGRES_AGENT_POSTGRES_MAIN_PASSWORD": "pw-main",
            ]
        )
        #expect(configuration.postgres.map(\.name) == ["main", "replica-1"])
        #expect(configuration.postgres.map(\.sectionName) == ["postgres:main", "postgres:replica-1"])
        #expect(configuration.postgres[0].statementTimeoutMilliseconds == 1000)
        #expect(configuration.postgres[0].password == Secret("pw-main"))
        #expect(configuration.postgres[1].statementTimeoutMilliseconds == 2500)
        #expect(configuration.postgres[1].password == nil)
    }

    @Test func plainVariablesApplyToTheDefaultInstance() throws {
        let plain = try self.load("[postgres]\nmax_connections = 1\n", environment: ["POSTGRES_AGENT_POSTGRES_MAX_CONNECTIONS": "2"])
        #expect(plain.postgres[0].maxConnections == 2)
        let implicit = try self.load(nil, environment: ["POSTGRES_AGENT_POSTGRES_DEFAULT_LOCK_TIMEOUT_MS": "10"])
        #expect(implicit.postgres[0].lockTimeoutMilliseconds == 10)
    }

    @Test func aNamedDefaultInstanceTakesThePlainVariablesToo() throws {
        let configuration = try self.load(
            "[postgres:default]\n[postgres:other]\n", environment: ["POSTGRES_AGENT_POSTGRES_MAX_CONNECTIONS": "1"]
        )
        #expect(configuration.postgres.map(\.maxConnections) == [1, 2])
        #expect(configuration.postgres[0].sectionName == "postgres:default")
    }

    @Test func variablesWorkForSectionsTheFileLeavesOut() throws {
        let configuration = try self.load(
            "[agent]\n", environment: ["POSTGRES_AGENT_LISTENER_URL": "http://127.0.0.1:8080/ingest/postgres"]
        )
        #expect(configuration.listener.url == "http://127.0.0.1:8080/ingest/postgres")
    }

    @Test func variableNamesFollowTheRule() {
        #expect(AgentConfiguration.environmentVariable(section: "agent", key: "interval_seconds") == "POSTGRES_AGENT_AGENT_INTERVAL_SECONDS")
        #expect(
            AgentConfiguration.environmentVariable(postgresInstance: "replica-1", key: "conninfo")
                == "POSTGRES_AGENT_POSTGRES_REPLICA_1_CONNINFO"
        )
    }

    @Test func plainVariablesNeedADefaultInstance() throws {
        let error = try #require(
            self.loadError("[postgres:main]\n", environment: ["POSTGRES_AGENT_POSTGRES_CONNINFO": "host=x"])
        )
        #expect(error.code == .unknownKey)
        #expect(error.key == "POSTGRES_AGENT_POSTGRES_CONNINFO")
    }

    @Test func variablesForUndeclaredInstancesAreErrors() throws {
        let error = try #require(
            self.loadError("[postgres:main]\n", environment: ["POSTGRES_AGENT_POSTGRES_OTHER_CONNINFO": Self.leak])
        )
        #expect(error.code == .unknownKey)
        #expect(error.key == "POSTGRES_AGENT_POSTGRES_OTHER_CONNINFO")
        self.expectNoLeak(error)
    }

    @Test func twoVariablesForOneSettingConflict() throws {
        let error = try #require(
            self.loadError(
                nil,
                environment: [
                    "POSTGRES_AGENT_POSTGRES_CONNINFO": "a=", "POSTGRES_AGENT_POSTGRES_DEFAULT_CONNINFO": "b=",
                ]
            )
        )
        #expect(error.code == .conflict)
    }

    @Test func instanceNamesThatShareVariablesConflict() throws {
        let error = try #require(self.loadError("[postgres:a-b]\n[postgres:a_b]\n"))
        #expect(error.code == .conflict)
        #expect(error.key == "postgres:a_b")
        #expect(error.line == 2)
        #expect(error.file == Self.configPath)
    }

    @Test func plainAndNamedPostgresSectionsCannotBeMixed() throws {
        let error = try #require(self.loadError("[postgres]\n[postgres:main]\n"))
        #expect(error.code == .conflict)
        #expect(error.key == "postgres")
        #expect(error.line == 2)
    }

    @Test func instanceNamesMustBeSimple() throws {
        for header in ["[postgres:]", "[postgres:a:b]", "[postgres:a.b]"] {
            let error = try #require(self.loadError("\(header)\n"), "accepted: \(header)")
            #expect(error.code == .invalidValue)
            #expect(error.line == 1)
        }
    }

    @Test func conninfoIsCheckedAtLoadTime() throws {
        let ini = "[postgres:main]\n\nconninfo = password=\(Self.leak) sslmode=allow\n"
        let error = try #require(self.loadError(ini))
        #expect(error.code == .invalidValue)
        #expect(error.key == "postgres:main.conninfo.sslmode")
        #expect(error.line == 3)
        #expect(error.file == Self.configPath)
        self.expectNoLeak(error)

        let fromEnvironment = try #require(
            self.loadError(nil, environment: ["POSTGRES_AGENT_POSTGRES_CONNINFO": "bogus=\(Self.leak)"])
        )
        #expect(fromEnvironment.code == .unknownKey)
        #expect(fromEnvironment.key == "POSTGRES_AGENT_POSTGRES_CONNINFO")  // `bogus` is no libpq keyword: it may be part of a value
        self.expectNoLeak(fromEnvironment)
    }

    @Test func conninfoIsHeldAsASecret() throws {
        let configuration = try self.load("[postgres]\nconninfo = postgresql://u:\(Self.leak)@h/db\n")
        var dumped = ""
        dump(configuration, to: &dumped)
        #expect(!"\(configuration)".contains(Self.leak))
        #expect(!String(reflecting: configuration).contains(Self.leak))
        #expect(!dumped.contains(Self.leak))
    }

    @Test func instanceResolvesItsConnectionSettings() throws {
        let configuration = try self.load(
            "[postgres:main]\nconninfo = host=/var/run/postgresql dbname=postgres\npassword_file = /etc/pw\nconnect_timeout_ms = 3000\n",
            files: ["/etc/pw": "from-file\n"]
        )
        let settings = try configuration.postgres[0].connectionSettings(
            environment: ["PGUSER": "monitor", "PGPASSWORD": "ignored"], osUser: "root", readFile: { _ in "" }
        )
        #expect(settings.endpoint == .unixSocket(path: "/var/run/postgresql/.s.PGSQL.5432"))
        #expect(settings.user == "monitor")
        #expect(settings.database == "postgres")
        #expect(settings.password == Secret("from-file"))
        #expect(settings.applicationName == "bitville-monitor")
        #expect(settings.connectTimeout == .milliseconds(3000))
    }

    @Test func instanceConnectionErrorsNameTheSection() throws {
        let configuration = try self.load("[postgres:main]\nconninfo = host=/tmp\n")
        #expect(throws: AgentConfigurationError.self) {
            try configuration.postgres[0].connectionSettings(environment: ["PGPORT": "x"], osUser: "u", readFile: { _ in "" })
        }
        var instance = configuration.postgres[0]
        instance.conninfo = Secret("sslmode=allow")
        do {
            _ = try instance.connectionSettings(environment: [:], osUser: "u", readFile: { _ in "" })
            Issue.record("sslmode=allow was accepted")
        } catch {
            #expect(error.key == "postgres:main.conninfo.sslmode")
        }
    }

    // MARK: secrets

    @Test func passwordInTheFileIsRefused() throws {
        let error = try #require(self.loadError("[postgres:main]\npassword = \(Self.leak)\n"))
        #expect(error.code == .unknownKey)
        #expect(error.key == "postgres:main.password")
        #expect(error.line == 2)
        #expect(error.message.contains("password_file"))
        #expect(error.message.contains("POSTGRES_AGENT_POSTGRES_MAIN_PASSWORD"))
        self.expectNoLeak(error)
    }

    @Test func apiKeyInTheFileIsRefused() throws {
        let error = try #require(self.loadError("[listener]\napi_key = \(Self.leak)\n"))
        #expect(error.code == .unknownKey)
        #expect(error.key == "listener.api_key")
        #expect(error.message.contains("api_key_file"))
        #expect(error.message.contains("POSTGRES_AGENT_LISTENER_API_KEY"))
        self.expectNoLeak(error)
    }

    @Test func secretFilesAreReadAndTrimmed() throws {
        let configuration = try self.load(
            "[postgres]\npassword_file = /etc/pw\n[listener]\napi_key_file = /etc/key\n",
            files: ["/etc/pw": "pass word\r\n", "/etc/key": "k3y\n\n"]
        )
        #expect(configuration.postgres[0].passwordFile == "/etc/pw")
        #expect(configuration.postgres[0].password == Secret("pass word"))
        #expect(configuration.listener.apiKey == Secret("k3y"))
    }

    @Test func emptySecretFilesAreErrors() throws {
        let error = try #require(self.loadError("[postgres]\npassword_file = /etc/pw\n", files: ["/etc/pw": "\n"]))
        #expect(error.code == .missingValue)
        #expect(error.key == "postgres.password_file")
        #expect(error.line == 2)
    }

    @Test func unreadableSecretFilesNameThePath() throws {
        let error = try #require(self.loadError("[listener]\napi_key_file = /etc/missing.key\n"))
        #expect(error.code == .unreadableFile)
        #expect(error.key == "listener.api_key_file")
        #expect(error.message.contains("/etc/missing.key"))
        #expect(error.message.contains("no such file"))
    }

    @Test func environmentSecretsBeatSecretFiles() throws {
        let configuration = try self.load(
            "[postgres]\npassword_file = /etc/missing\n[listener]\napi_key_file = /etc/missing\n",
            environment: ["POSTGRES_AGENT_POSTGRES_PASSWORD": "env-pw", "POSTGRES_AGENT_LISTENER_API_KEY": "env-key"]
        )
        #expect(configuration.postgres[0].password == Secret("env-pw"))
        #expect(configuration.listener.apiKey == Secret("env-key"))
    }

    @Test func emptySecretVariablesAreErrors() throws {
        let error = try #require(self.loadError(nil, environment: ["POSTGRES_AGENT_LISTENER_API_KEY": ""]))
        #expect(error.code == .missingValue)
        #expect(error.key == "POSTGRES_AGENT_LISTENER_API_KEY")
    }

    @Test func conninfoPasswordConflictsWithPasswordFile() throws {
        let error = try #require(
            self.loadError("[postgres]\nconninfo = password=\(Self.leak)\npassword_file = /etc/pw\n", files: ["/etc/pw": "x"])
        )
        #expect(error.code == .conflict)
        #expect(error.key == "postgres.conninfo.password")
        self.expectNoLeak(error)
    }

    // MARK: unknown names

    @Test func unknownSectionsAreErrors() throws {
        let error = try #require(self.loadError("[agent]\n[agnet]\nproject = x\n"))
        #expect(error.code == .unknownSection)
        #expect(error.key == "agnet")
        #expect(error.line == 2)
    }

    @Test func unknownKeysAreErrors() throws {
        let error = try #require(self.loadError("[agent]\nprojcet = \(Self.leak)\n"))
        #expect(error.code == .unknownKey)
        #expect(error.key == "agent.projcet")
        #expect(error.line == 2)
        #expect(error.message.contains("project"))
        self.expectNoLeak(error)
    }

    @Test func unknownVariablesAreErrors() throws {
        for variable in ["POSTGRES_AGENT_AGENT_PROJCET", "POSTGRES_AGENT_NOPE_X", "POSTGRES_AGENT_", "POSTGRES_AGENT_AGENT_PASSWORD"] {
            let error = try #require(self.loadError(nil, environment: [variable: Self.leak]), "accepted: \(variable)")
            #expect(error.code == .unknownKey)
            #expect(error.key == variable)
            self.expectNoLeak(error)
        }
    }

    // MARK: values

    struct InvalidValue: Sendable, CustomTestStringConvertible {
        var section: String
        var key: String
        var value: String
        var expected: String
        var testDescription: String { "\(self.section).\(self.key) = \(self.value)" }
    }

    static let invalidValues: [InvalidValue] = [
        .init(section: "agent", key: "interval_seconds", value: "0", expected: "whole number of seconds from 1 to 86400"),
        .init(section: "agent", key: "interval_seconds", value: "1.5", expected: "whole number of seconds from 1 to 86400"),
        .init(section: "agent", key: "interval_seconds", value: "9223372036854775807", expected: "from 1 to 86400"),
        .init(section: "agent", key: "interval_seconds", value: "s3cr3t-XYZ", expected: "whole number"),
        .init(section: "agent", key: "project", value: "", expected: "must not be empty"),
        .init(section: "agent", key: "state_dir", value: "", expected: "must not be empty"),
        .init(section: "agent", key: "log_level", value: "s3cr3t-XYZ", expected: "trace, debug, info"),
        .init(section: "postgres", key: "statement_timeout_ms", value: "0", expected: "whole number of milliseconds from 1 to 3600000"),
        .init(section: "postgres", key: "lock_timeout_ms", value: "-1", expected: "milliseconds from 1 to 3600000"),
        .init(section: "postgres", key: "connect_timeout_ms", value: "s3cr3t-XYZ", expected: "milliseconds from 1 to 600000"),
        .init(section: "postgres", key: "max_connections", value: "3", expected: "from 1 to 2"),
        .init(section: "postgres", key: "max_connections", value: "0", expected: "from 1 to 2"),
        .init(section: "postgres", key: "application_name", value: String(repeating: "a", count: 64), expected: "63"),
        .init(section: "postgres", key: "application_name", value: "tab\there", expected: "printable ASCII"),
        .init(section: "postgres", key: "conninfo", value: "s3cr3t-XYZ", expected: "keyword=value"),
        .init(section: "collectors", key: "top_statements", value: "0", expected: "from 1 to 10000"),
        .init(section: "collectors", key: "top_statements", value: "100001", expected: "from 1 to 10000"),
        .init(section: "collectors", key: "query_text_max_bytes", value: "63", expected: "bytes from 64 to 1048576"),
        .init(section: "collectors", key: "query_text_max_bytes", value: "9223372036854775807", expected: "bytes from 64 to 1048576"),
        .init(section: "collectors", key: "timeout_ms", value: "0", expected: "from 1 to 3600000"),
        .init(section: "collectors", key: "database_size_interval_seconds", value: "0", expected: "seconds from 1 to 604800"),
        .init(section: "collectors", key: "baseline_window_ms", value: "-1", expected: "milliseconds from 0 to 60000"),
        .init(section: "collectors", key: "top_tables", value: "-1", expected: "from 0 to 10000"),
        .init(section: "collectors", key: "schema_timeout_ms", value: "999", expected: "milliseconds from 1000 to 3600000"),
        .init(section: "postgres", key: "schema_interval_seconds", value: "9", expected: "seconds from 10 to 604800"),
        .init(section: "postgres", key: "databases", value: " , ", expected: "must be auto, none, or database names"),
        .init(section: "logs", key: "format", value: "eventlog", expected: "auto, stderr, csvlog, jsonlog"),
        .init(section: "listener", key: "url", value: "ftp://listener/ingest", expected: "http:// or https://"),
        .init(section: "listener", key: "url", value: "https:///ingest", expected: "with a host"),
        .init(section: "listener", key: "url", value: "listener.example:8443", expected: "http:// or https://"),
        .init(section: "listener", key: "url", value: "https://user:s3cr3t-XYZ@listener/ingest", expected: "no user name or password"),
        .init(section: "listener", key: "url", value: "https://listener:99999/", expected: "http:// or https://"),
        .init(section: "listener", key: "timeout_ms", value: "0", expected: "from 1 to 3600000"),
        .init(section: "spool", key: "max_size_mb", value: "0", expected: "MiB from 1"),
        .init(section: "spool", key: "min_free_disk_mb", value: "-5", expected: "MiB from 0"),
        .init(section: "privacy", key: "redact_query_literals", value: "s3cr3t-XYZ", expected: "true or false"),
        .init(section: "correlation", key: "pattern", value: "bitville-([a-f", expected: "valid regular expression"),
        .init(section: "correlation", key: "pattern", value: "bitville-[a-f0-9]+", expected: "capture group"),
        .init(section: "metrics", key: "listen", value: "9188", expected: "host:port"),
        .init(section: "metrics", key: "listen", value: "localhost:0", expected: "host:port"),
        .init(section: "metrics", key: "listen", value: "::1:9188", expected: "host:port"),
    ]

    @Test(arguments: Self.invalidValues)
    func invalidFileValuesNameTheKeyButNotTheValue(_ invalid: InvalidValue) throws {
        let ini = "; header\n[\(invalid.section)]\n\(invalid.key) = \"\(invalid.value)\"\n"
        let error = try #require(self.loadError(ini))
        #expect([AgentConfigurationError.Code.invalidValue, .missingValue, .syntax].contains(error.code))
        #expect(error.key.hasPrefix("\(invalid.section).\(invalid.key)"))
        #expect(error.line == 3)
        #expect(error.file == Self.configPath)
        #expect(error.message.contains(invalid.expected), "message: \(error.message)")
        #expect(String(describing: error).hasPrefix("\(Self.configPath):3: \(invalid.section).\(invalid.key)"))
        if invalid.value.count >= 5 {
            #expect(!"\(error)".contains(invalid.value))
        }
        self.expectNoLeak(error)
    }

    @Test(arguments: Self.invalidValues)
    func invalidEnvironmentValuesNameTheVariableButNotTheValue(_ invalid: InvalidValue) throws {
        let variable = AgentConfiguration.environmentVariable(section: invalid.section, key: invalid.key)
        let error = try #require(self.loadError(nil, environment: [variable: invalid.value]))
        #expect(error.key.hasPrefix(variable))
        #expect(error.line == nil)
        #expect(error.file == nil)
        #expect(error.message.contains(invalid.expected), "message: \(error.message)")
        self.expectNoLeak(error)
    }

    @Test(arguments: ["true", "yes", "on", "1", "TRUE", "On"])
    func booleansAcceptTrueSpellings(_ text: String) throws {
        let configuration = try self.load("[privacy]\nredact_query_literals = \(text)\n")
        #expect(configuration.privacy.redactQueryLiterals)
    }

    @Test(arguments: ["false", "no", "off", "0", "False"])
    func booleansAcceptFalseSpellings(_ text: String) throws {
        let configuration = try self.load("[privacy]\nredact_query_literals = \(text)\n")
        #expect(!configuration.privacy.redactQueryLiterals)
    }

    @Test func acceptsEveryLogLevelAndFormat() throws {
        for level in AgentConfiguration.LogLevel.allCases {
            #expect(try self.load("[agent]\nlog_level = \(level.rawValue)\n").agent.logLevel == level)
        }
        for format in AgentConfiguration.LogFormat.allCases {
            #expect(try self.load("[logs]\nformat = \(format.rawValue)\n").logs.format == format)
        }
    }

    @Test func acceptsListenerURLsAndListenAddresses() throws {
        for url in ["http://127.0.0.1:8080/ingest/postgres", "https://listener", "HTTPS://[::1]:8443/x?y=z"] {
            #expect(try self.load("[listener]\nurl = \(url)\n").listener.url == url)
        }
        let metrics = try self.load("[metrics]\nlisten = [::1]:9200\n").metrics
        #expect(metrics.listenAddress?.host == "::1")
        #expect(metrics.listenAddress?.port == 9200)
        #expect(try self.load("[metrics]\nlisten =\n").metrics.listenAddress == nil)
    }

    @Test func plainHTTPToAnotherHostIsRefusedUnlessAllowed() throws {
        // The Bearer key would cross the network in clear text.
        for url in ["http://listener.example:8080/ingest/postgres", "http://10.1.2.3/x", "http://[2001:db8::1]:80/x"] {
            let error = try #require(self.captureError { _ = try self.load("[listener]\nurl = \(url)\n") }, "\(url)")
            #expect(error.code == .invalidValue && error.key == "listener.url", "\(url)")
            #expect(error.message.contains("allow_insecure_http"))
            let allowed = try self.load("[listener]\nurl = \(url)\nallow_insecure_http = true\n").listener
            #expect(allowed.url == url && allowed.allowInsecureHTTP && allowed.sendsKeyInClearText)
        }
        for url in ["http://127.0.0.1:8080/ingest/postgres", "http://127.9.9.9/x", "http://localhost:8443/x", "http://[::1]/x",
                    "https://listener.example/x"] {
            let listener = try self.load("[listener]\nurl = \(url)\n").listener
            #expect(!listener.sendsKeyInClearText, "\(url)")
        }
    }

    @Test func optionalPathsAreNilWhenEmpty() throws {
        let configuration = try self.load(
            "[postgres]\ndata_directory = /srv/pg\n[listener]\nca_file = /etc/ca.pem\napi_key_file =\n"
        )
        #expect(configuration.postgres[0].dataDirectory == "/srv/pg")
        #expect(configuration.listener.caFile == "/etc/ca.pem")
        #expect(configuration.listener.apiKeyFile == nil)
    }

    // MARK: errors

    @Test func missingConfigurationFileNamesThePath() throws {
        let error = try #require(
            self.captureError {
                _ = try AgentConfiguration.load(
                    path: "/etc/missing.ini", environment: [:],
                    readFile: { _ in throw AgentConfiguration.FileReadError(reason: "no such file") }
                )
            }
        )
        #expect(error.code == .unreadableFile)
        #expect(error.key == "/etc/missing.ini")
        #expect("\(error)" == "/etc/missing.ini: cannot read the configuration file: no such file")
    }

    @Test func syntaxErrorsCarryTheFileAndLine() throws {
        let error = try #require(self.loadError("[agent]\nnot a key value line\n"))
        #expect(error.code == .syntax)
        #expect(error.file == Self.configPath)
        #expect(error.line == 2)
        #expect("\(error)".hasPrefix("\(Self.configPath):2: "))
    }

    @Test func exitCodeIsEXCONFIG() {
        let error = AgentConfigurationError(code: .invalidValue, key: "k", message: "m")
        #expect(error.exitCode == 78)
        #expect(AgentConfigurationError.exitCode == 78)
        #expect("\(error)" == "k: m")
        #expect(AgentConfigurationError.Code.invalidValue.description == "invalidValue")
    }
}
