import AgentConfiguration
import Testing

@Suite struct ConnectionSettingsTests {
    private struct MissingFile: Error {}

    /// A file system with the given files; every other path is missing.
    private func files(_ files: [String: String]) -> (String) throws -> String {
        { path in
            guard let text = files[path] else { throw MissingFile() }
            return text
        }
    }

    private func resolve(
        _ conninfo: String,
        environment: [String: String] = [:],
        files: [String: String] = [:],
        modes: [String: UInt32] = [:],
        password: Secret? = nil
    ) throws(AgentConfigurationError) -> ConnectionSettings {
        try ConnectionSettings.resolve(
            conninfo: conninfo, environment: environment, osUser: "alice", password: password,
            readFile: self.files(files), fileMode: { modes[$0] ?? (files[$0] == nil ? nil : 0o600) }
        )
    }

    private func resolveError(
        _ conninfo: String,
        environment: [String: String] = [:],
        password: Secret? = nil
    ) -> AgentConfigurationError? {
        do {
            _ = try self.resolve(conninfo, environment: environment, password: password)
            return nil
        } catch {
            return error
        }
    }

    // MARK: defaults and the environment

    @Test func defaultsFollowLibpq() throws {
        let settings = try self.resolve("")
        #expect(settings.endpoint == .unixSocket(path: "/var/run/postgresql/.s.PGSQL.5432"))
        #expect(settings.port == 5432)
        #expect(settings.user == "alice")
        #expect(settings.database == "alice")
        #expect(settings.password == nil)
        #expect(settings.sslMode == .prefer)
        #expect(settings.sslRootCert == nil)
        #expect(settings.connectTimeout == nil)
        #expect(settings.applicationName == nil)
        #expect(settings.tlsServerName == nil)
    }

    @Test func socketDirectoryAndPortMakeTheSocketFile() throws {
        let settings = try self.resolve("host=/tmp/pg/ port=5433 dbname=postgres user=bitville_monitor")
        #expect(settings.endpoint == .unixSocket(path: "/tmp/pg/.s.PGSQL.5433"))
        #expect(settings.port == 5433)
        #expect(settings.user == "bitville_monitor")
        #expect(settings.database == "postgres")
    }

    @Test func hostNamesAreTCP() throws {
        let settings = try self.resolve("postgresql://db.example.com:6432/app?sslmode=verify-full&sslrootcert=/etc/ca.pem")
        #expect(settings.endpoint == .tcp(host: "db.example.com", port: 6432))
        #expect(settings.sslMode == .verifyFull)
        #expect(settings.sslRootCert == "/etc/ca.pem")
        #expect(settings.tlsServerName == "db.example.com")
    }

    @Test func hostaddrChoosesTheAddressAndHostNamesTheServer() throws {
        let settings = try self.resolve("host=db.example.com hostaddr=10.0.0.5")
        #expect(settings.endpoint == .tcp(host: "10.0.0.5", port: 5432))
        #expect(settings.tlsServerName == "db.example.com")
    }

    @Test func environmentFillsWhatTheConninfoLeavesOut() throws {
        let environment = [
            "PGHOST": "env-host", "PGPORT": "6000", "PGDATABASE": "envdb", "PGUSER": "envuser",
            "PGSSLMODE": "require", "PGSSLROOTCERT": "/env/ca.pem", "PGCONNECT_TIMEOUT": "7", "PGAPPNAME": "envapp",
        ]
        let fromEnvironment = try self.resolve("", environment: environment)
        #expect(fromEnvironment.endpoint == .tcp(host: "env-host", port: 6000))
        #expect(fromEnvironment.database == "envdb")
        #expect(fromEnvironment.user == "envuser")
        #expect(fromEnvironment.sslMode == .require)
        #expect(fromEnvironment.sslRootCert == "/env/ca.pem")
        #expect(fromEnvironment.connectTimeout == .seconds(7))
        #expect(fromEnvironment.applicationName == "envapp")

        let conninfoWins = try self.resolve(
            "host=conn-host port=7000 dbname=conndb user=connuser sslmode=disable connect_timeout=9 application_name=connapp",
            environment: environment
        )
        #expect(conninfoWins.endpoint == .tcp(host: "conn-host", port: 7000))
        #expect(conninfoWins.database == "conndb")
        #expect(conninfoWins.user == "connuser")
        #expect(conninfoWins.sslMode == .disable)
        #expect(conninfoWins.connectTimeout == .seconds(9))
        #expect(conninfoWins.applicationName == "connapp")
    }

    @Test func hostaddrComesFromTheEnvironmentToo() throws {
        let settings = try self.resolve("", environment: ["PGHOSTADDR": "::1"])
        #expect(settings.endpoint == .tcp(host: "::1", port: 5432))
    }

    @Test func emptyKeywordHidesTheEnvironmentAndMeansTheDefault() throws {
        let settings = try self.resolve("host='' user=''", environment: ["PGHOST": "env-host", "PGUSER": "bob"])
        #expect(settings.endpoint == .unixSocket(path: "/var/run/postgresql/.s.PGSQL.5432"))
        #expect(settings.user == "alice")
    }

    @Test func fallbacksApplyOnlyWhenLibpqSourcesAreSilent() throws {
        let fallback = try ConnectionSettings.resolve(
            conninfo: "", environment: [:], osUser: "alice",
            fallbackApplicationName: "bitville-monitor", fallbackConnectTimeout: .milliseconds(5000),
            readFile: self.files([:])
        )
        #expect(fallback.applicationName == "bitville-monitor")
        #expect(fallback.connectTimeout == .milliseconds(5000))

        let overridden = try ConnectionSettings.resolve(
            conninfo: "application_name=mine connect_timeout=0", environment: [:], osUser: "alice",
            fallbackApplicationName: "bitville-monitor", fallbackConnectTimeout: .milliseconds(5000),
            readFile: self.files([:])
        )
        #expect(overridden.applicationName == "mine")
        #expect(overridden.connectTimeout == nil)
    }

    @Test func connectTimeoutHasLibpqsMinimumOfTwoSeconds() throws {
        #expect(try self.resolve("connect_timeout=1").connectTimeout == .seconds(2))
        #expect(try self.resolve("connect_timeout=-5").connectTimeout == nil)
        #expect(try self.resolve("connect_timeout=3600").connectTimeout == .seconds(3_600))
        #expect(self.resolveError("connect_timeout=3601")?.key == "conninfo.connect_timeout")
        #expect(self.resolveError("connect_timeout=9223372036854775807")?.key == "conninfo.connect_timeout")
    }

    // MARK: passwords

    @Test func passwordPrecedence() throws {
        let pgpass = ["/home/alice/.pgpass": "*:*:*:*:from-pgpass\n"]
        let home = ["HOME": "/home/alice"]
        #expect(try self.resolve("", environment: home, files: pgpass).password == Secret("from-pgpass"))
        #expect(
            try self.resolve("", environment: home.merging(["PGPASSWORD": "from-env"]) { $1 }, files: pgpass).password
                == Secret("from-env")
        )
        #expect(
            try self.resolve("", environment: ["PGPASSWORD": "from-env"], password: Secret("agent")).password
                == Secret("agent")
        )
        #expect(
            try self.resolve("password=from-conninfo", environment: ["PGPASSWORD": "from-env"]).password
                == Secret("from-conninfo")
        )
    }

    @Test func agentPasswordConflictsWithAConninfoPassword() throws {
        let error = try #require(self.resolveError("password=s3cr3t-XYZ", password: Secret("other")))
        #expect(error.code == .conflict)
        #expect(error.key == "conninfo.password")
        #expect(!"\(error)".contains("s3cr3t-XYZ"))
    }

    @Test func pgpassMatchesHostPortDatabaseAndUser() throws {
        let text = """
            # comment
            db.example.com:5432:app:alice:first
            db.example.com:*:*:alice:second
            *:*:*:*:fallback
            """
        let files = ["/p": text]
        #expect(try self.resolve("host=db.example.com dbname=app passfile=/p", files: files).password == Secret("first"))
        #expect(try self.resolve("host=db.example.com dbname=other passfile=/p", files: files).password == Secret("second"))
        #expect(try self.resolve("host=elsewhere passfile=/p", files: files).password == Secret("fallback"))
    }

    /// libpq ignores a password file with any group or other access; so does the agent.
    @Test func aPgpassOpenToOthersIsIgnoredAsLibpqDoes() throws {
        let home = ["HOME": "/home/alice"]
        let pgpass = ["/home/alice/.pgpass": "*:*:*:*:from-pgpass\n"]
        for mode: UInt32 in [0o644, 0o640, 0o604, 0o660, 0o606] {
            #expect(try self.resolve("", environment: home, files: pgpass, modes: ["/home/alice/.pgpass": mode]).password == nil,
                    "mode \(String(mode, radix: 8))")
        }
        for mode: UInt32 in [0o600, 0o400] {
            #expect(try self.resolve("", environment: home, files: pgpass, modes: ["/home/alice/.pgpass": mode]).password
                    == Secret("from-pgpass"))
        }
    }

    @Test func pgpassComesFromPGPASSFILE() throws {
        let settings = try self.resolve("", environment: ["PGPASSFILE": "/etc/pgpass"], files: ["/etc/pgpass": "*:*:*:*:pw\n"])
        #expect(settings.password == Secret("pw"))
    }

    @Test func pgpassLocalhostMatchesTheDefaultSocket() throws {
        let files = ["/p": "localhost:5432:*:alice:local\n/tmp/pg:5432:*:alice:tmp\n"]
        #expect(try self.resolve("passfile=/p", files: files).password == Secret("local"))
        #expect(try self.resolve("host=/var/run/postgresql passfile=/p", files: files).password == Secret("local"))
        #expect(try self.resolve("host=/tmp/pg passfile=/p", files: files).password == Secret("tmp"))
        #expect(try self.resolve("host=/elsewhere passfile=/p", files: files).password == nil)
    }

    @Test func pgpassUsesHostaddrWhenNoHostIsGiven() throws {
        let files = ["/p": "10.0.0.5:5432:*:*:by-address\n"]
        #expect(try self.resolve("hostaddr=10.0.0.5 passfile=/p", files: files).password == Secret("by-address"))
    }

    @Test func pgpassHonoursEscapes() throws {
        let file = PGPassFile(parsing: #"h\:x:5432:d:u:pa\:ss\\word:ignored"# + "\n" + #"\*:5432:d:u:star"#)
        #expect(file.password(host: "h:x", port: 5432, database: "d", user: "u") == Secret(#"pa:ss\word"#))
        #expect(file.password(host: "*", port: 5432, database: "d", user: "u") == Secret("star"))
        #expect(file.password(host: "other", port: 5432, database: "d", user: "u") == nil)
    }

    @Test func pgpassSkipsShortLinesAndEmptyPasswords() throws {
        let file = PGPassFile(parsing: "h:5432:d\nh:5432:d:u:\n*:*:*:*:last\n")
        #expect(file.entries.count == 2)
        #expect(file.password(host: "h", port: 5432, database: "d", user: "u") == nil)
    }

    @Test func missingPasswordFileIsIgnored() throws {
        #expect(try self.resolve("", environment: ["HOME": "/nowhere"]).password == nil)
    }

    // MARK: refusals

    @Test func rejectsSeveralHostsInKeywordForm() throws {
        let error = try #require(self.resolveError("host=h1,h2"))
        #expect(error.code == .invalidValue)
        #expect(error.key == "conninfo.host")
        #expect(self.resolveError("", environment: ["PGHOST": "a,b"])?.key == "PGHOST")
    }

    @Test func rejectsSslmodeAllowAndUnknownModes() throws {
        let allow = try #require(self.resolveError("sslmode=allow"))
        #expect(allow.key == "conninfo.sslmode")
        #expect(allow.message.contains("not supported"))
        let unknown = try #require(self.resolveError("", environment: ["PGSSLMODE": "sometimes"]))
        #expect(unknown.key == "PGSSLMODE")
        #expect(unknown.message.contains("verify-full"))
    }

    @Test func rejectsBadPortsNamingTheSource() throws {
        #expect(self.resolveError("port=abc")?.key == "conninfo.port")
        #expect(self.resolveError("port=70000")?.key == "conninfo.port")
        let error = try #require(self.resolveError("", environment: ["PGPORT": "s3cr3t-XYZ"]))
        #expect(error.key == "PGPORT")
        #expect(error.code == .invalidValue)
        #expect(!"\(error)".contains("s3cr3t-XYZ"))
    }

    @Test func rejectsOtherBadValues() throws {
        #expect(self.resolveError("connect_timeout=soon")?.key == "conninfo.connect_timeout")
        #expect(self.resolveError("hostaddr=db.example.com")?.key == "conninfo.hostaddr")
        #expect(self.resolveError("host=@abstract")?.key == "conninfo.host")
        #expect(self.resolveError("host=/" + String(repeating: "d", count: 120))?.key == "conninfo.host")
    }

    @Test func rejectsServerOptions() throws {
        let error = try #require(self.resolveError("options='-c work_mem=64MB'"))
        #expect(error.key == "conninfo.options")
        #expect(self.resolveError("", environment: ["PGOPTIONS": "-c x=y"])?.key == "PGOPTIONS")
        #expect(self.resolveError("options=''") == nil)
    }

    @Test func errorsNeverContainTheConninfo() throws {
        let conninfos = [
            "host=h password=s3cr3t-XYZ bogus=1",
            "postgresql://u:s3cr3t-XYZ@h/db?bogus=1",
            "postgresql://u:s3cr3t-XYZ@h1,h2/db",
            "password=s3cr3t-XYZ sslmode=allow",
            "password=s3cr3t-XYZ port=x",
        ]
        for conninfo in conninfos {
            let error = try #require(self.resolveError(conninfo), "accepted: \(conninfo)")
            #expect(!String(describing: error).contains("s3cr3t-XYZ"))
            #expect(!"\(error)".contains("s3cr3t-XYZ"))
            #expect(!String(reflecting: error).contains("s3cr3t-XYZ"))
        }
    }

    // MARK: description

    @Test func descriptionShowsWhereButNeverThePassword() throws {
        let settings = try self.resolve("postgresql://monitor:s3cr3t-XYZ@db.example.com:5433/app?sslmode=require")
        let text = "\(settings)"
        #expect(text == "host=db.example.com port=5433 user=monitor dbname=app sslmode=require password=****")
        #expect(!String(reflecting: settings).contains("s3cr3t-XYZ"))
        var dumped = ""
        dump(settings, to: &dumped)
        #expect(!dumped.contains("s3cr3t-XYZ"))

        let socket = try self.resolve("")
        #expect("\(socket)" == "socket=/var/run/postgresql/.s.PGSQL.5432 port=5432 user=alice dbname=alice sslmode=prefer")
    }
}
