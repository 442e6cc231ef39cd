import AgentConfiguration
import Testing

@Suite struct ConnInfoParserTests {
    private func parseError(_ conninfo: String) -> AgentConfigurationError? {
        do {
            _ = try ConnInfoParser.parse(conninfo)
            return nil
        } catch {
            return error
        }
    }

    // MARK: keyword/value

    @Test func parsesKeywordValuePairs() throws {
        let parameters = try ConnInfoParser.parse("host=/var/run/postgresql dbname=postgres user=bitville_monitor")
        #expect(parameters == ["host": "/var/run/postgresql", "dbname": "postgres", "user": "bitville_monitor"])
    }

    @Test func allowsSpacesAroundEquals() throws {
        let parameters = try ConnInfoParser.parse("  host = db.example.com\tport =5433  dbname= app ")
        #expect(parameters == ["host": "db.example.com", "port": "5433", "dbname": "app"])
    }

    @Test func readsSingleQuotedValuesWithEscapes() throws {
        let parameters = try ConnInfoParser.parse(#"password='it\'s a \\ secret' application_name='my app' dbname=''"#)
        #expect(parameters["password"] == #"it's a \ secret"#)
        #expect(parameters["application_name"] == "my app")
        #expect(parameters["dbname"] == "")
    }

    @Test func unquotedValuesHonourBackslashEscapes() throws {
        let parameters = try ConnInfoParser.parse(#"dbname=my\ db"#)
        #expect(parameters["dbname"] == "my db")
    }

    @Test func laterKeywordsWin() throws {
        #expect(try ConnInfoParser.parse("port=1 port=2")["port"] == "2")
    }

    @Test func emptyStringSetsNothing() throws {
        #expect(try ConnInfoParser.parse("").isEmpty)
        #expect(try ConnInfoParser.parse("   ").isEmpty)
    }

    @Test func rejectsUnknownKeywordsLikeLibpq() throws {
        let error = try #require(self.parseError("host=x sslcert=/tmp/c"))
        #expect(error.code == .unknownKey)
        #expect(error.key == "conninfo.sslcert")
        #expect(error.message.contains("invalid connection option"))
    }

    @Test func rejectsWordsWithoutEqualsWithoutEchoingThem() throws {
        let error = try #require(self.parseError("host=x s3cr3t-XYZ"))
        #expect(error.code == .syntax)
        #expect(error.key == "conninfo")
        #expect(!"\(error)".contains("s3cr3t-XYZ"))
    }

    @Test func rejectsUnterminatedQuotesWithoutEchoingTheValue() throws {
        let error = try #require(self.parseError("password='s3cr3t-XYZ"))
        #expect(error.code == .syntax)
        #expect(error.key == "conninfo.password")
        #expect(!String(describing: error).contains("s3cr3t-XYZ"))
    }

    @Test func neverNamesAPieceOfAValue() throws {
        // An unquoted password with a space: the second half looks like a keyword, and is a secret.
        let error = try #require(self.parseError("user=app password=abc s3cr3t=x"))
        #expect(error.code == .unknownKey)
        #expect(error.key == "conninfo")
        #expect(!"\(error)".contains("s3cr3t"))
        #expect(error.message.contains("after the value of `password`"))
        let quoted = try #require(self.parseError("password=abc s3cr3t='x"))
        #expect(quoted.key == "conninfo" && !"\(quoted)".contains("s3cr3t"))
    }

    @Test func doesNotNameSuspiciousKeywords() throws {
        let error = try #require(self.parseError("s3cr3t-XYZ=1"))
        #expect(error.key == "conninfo")
        #expect(!"\(error)".contains("s3cr3t-XYZ"))
    }

    // MARK: URI

    @Test func parsesAFullURI() throws {
        let parameters = try ConnInfoParser.parse(
            "postgresql://monitor:s3cr3t-XYZ@db.example.com:5433/app?sslmode=verify-full&application_name=agent"
        )
        #expect(
            parameters == [
                "user": "monitor", "password": "s3cr3t-XYZ", "host": "db.example.com", "port": "5433",
                "dbname": "app", "sslmode": "verify-full", "application_name": "agent",
            ]
        )
    }

    @Test func acceptsThePostgresScheme() throws {
        #expect(try ConnInfoParser.parse("postgres://h/db") == ["host": "h", "dbname": "db"])
    }

    @Test func acceptsMinimalURIs() throws {
        #expect(try ConnInfoParser.parse("postgresql://").isEmpty)
        #expect(try ConnInfoParser.parse("postgresql:///db") == ["dbname": "db"])
        #expect(try ConnInfoParser.parse("postgresql://h") == ["host": "h"])
        #expect(try ConnInfoParser.parse("postgresql://user@") == ["user": "user"])
    }

    @Test func percentDecodesEveryPart() throws {
        let parameters = try ConnInfoParser.parse("postgresql://us%40er:p%40ss%3Aword@h/d%20b?application_name=a%26b")
        #expect(parameters["user"] == "us@er")
        #expect(parameters["password"] == "p@ss:word")
        #expect(parameters["dbname"] == "d b")
        #expect(parameters["application_name"] == "a&b")
    }

    @Test func toleratesAnUnencodedAtSignInThePassword() throws {
        let parameters = try ConnInfoParser.parse("postgresql://u:p@ss@h/db")
        #expect(parameters["password"] == "p@ss")
        #expect(parameters["host"] == "h")
    }

    @Test func parsesBracketedIPv6Hosts() throws {
        #expect(try ConnInfoParser.parse("postgresql://[::1]:5433/db") == ["host": "::1", "port": "5433", "dbname": "db"])
        #expect(try ConnInfoParser.parse("postgresql://[2001:db8::7]/db") == ["host": "2001:db8::7", "dbname": "db"])
    }

    @Test func takesASocketDirectoryFromAQueryParameter() throws {
        let parameters = try ConnInfoParser.parse("postgresql:///postgres?host=/var/run/postgresql&port=5433")
        #expect(parameters == ["host": "/var/run/postgresql", "dbname": "postgres", "port": "5433"])
    }

    @Test func takesAPercentEncodedSocketDirectoryAsHost() throws {
        let parameters = try ConnInfoParser.parse("postgresql://%2Fvar%2Frun%2Fpostgresql/postgres")
        #expect(parameters == ["host": "/var/run/postgresql", "dbname": "postgres"])
    }

    @Test func queryParametersOverrideTheAuthority() throws {
        #expect(try ConnInfoParser.parse("postgresql://a:1/db?host=b")["host"] == "b")
    }

    @Test func mapsSslTrueToRequire() throws {
        #expect(try ConnInfoParser.parse("postgresql://h/db?ssl=true")["sslmode"] == "require")
    }

    @Test func rejectsSeveralHosts() throws {
        for uri in ["postgresql://h1,h2/db", "postgresql://h1:5432,h2:5433/db", "postgresql://[::1],[::2]/db"] {
            let error = try #require(self.parseError(uri), "accepted: \(uri)")
            #expect(error.code == .invalidValue)
            #expect(error.key == "conninfo.host")
            #expect(error.message.contains("several hosts"))
        }
    }

    @Test func rejectsUnknownQueryParameters() throws {
        let error = try #require(self.parseError("postgresql://h/db?target_session_attrs=any"))
        #expect(error.code == .unknownKey)
        #expect(error.key == "conninfo.target_session_attrs")
        #expect(error.message.contains("invalid URI query parameter"))
    }

    @Test func rejectsBadPercentEncodingWithoutEchoingThePassword() throws {
        for uri in ["postgresql://u:s3cr3t-XYZ%zz@h/db", "postgresql://u:s3cr3t-XYZ%2@h/db", "postgresql://u:s3cr3t-XYZ%00@h/db"] {
            let error = try #require(self.parseError(uri), "accepted: \(uri)")
            #expect(error.code == .invalidValue)
            #expect(error.key == "conninfo.password")
            #expect(!"\(error)".contains("s3cr3t-XYZ"))
        }
    }

    @Test func rejectsMalformedQueryParametersAndBrackets() throws {
        #expect(self.parseError("postgresql://h/db?sslmode")?.code == .syntax)
        #expect(self.parseError("postgresql://[::1/db")?.code == .syntax)
        #expect(self.parseError("postgresql://[::1]x/db")?.code == .syntax)
        #expect(self.parseError("postgresql://h/db?ssl=false")?.code == .invalidValue)
    }
}
