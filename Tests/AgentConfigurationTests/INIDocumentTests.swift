import AgentConfiguration
import Testing

@Suite struct INIDocumentTests {
    private func parseError(_ text: String) -> AgentConfigurationError? {
        do {
            _ = try INIDocument(parsing: text)
            return nil
        } catch {
            return error
        }
    }

    @Test func parsesSectionsAndKeysInOrder() throws {
        let document = try INIDocument(
            parsing: """
                [agent]
                project = bitville
                interval_seconds=60

                [postgres:main]
                conninfo = host=/var/run/postgresql dbname=postgres
                """
        )
        #expect(document.sections.map(\.name) == ["agent", "postgres:main"])
        #expect(document.sections[0].entries.map(\.key) == ["project", "interval_seconds"])
        #expect(document[section: "agent"]?["interval_seconds"]?.value == "60")
        #expect(document[section: "agent"]?["interval_seconds"]?.line == 3)
        #expect(document[section: "postgres:main"]?["conninfo"]?.value == "host=/var/run/postgresql dbname=postgres")
        #expect(document[section: "postgres:main"]?.line == 5)
    }

    @Test func skipsFullLineComments() throws {
        let document = try INIDocument(
            parsing: """
                ; a comment
                # another
                [agent]
                   ; indented comment
                project = x
                """
        )
        #expect(document.sections.count == 1)
        #expect(document[section: "agent"]?.entries.count == 1)
    }

    @Test func stripsInlineCommentsAfterBlanks() throws {
        let document = try INIDocument(
            parsing: """
                [logs]                           ; a header comment
                path = /var/log/postgresql       ; file, directory or glob
                format = auto\t# tab then hash
                prefix = a#b;c
                empty =                  ; optional
                bare =;comment at the start of the value
                """
        )
        let logs = try #require(document[section: "logs"])
        #expect(logs["path"]?.value == "/var/log/postgresql")
        #expect(logs["format"]?.value == "auto")
        #expect(logs["prefix"]?.value == "a#b;c")
        #expect(logs["empty"]?.value == "")
        #expect(logs["bare"]?.value == "")
    }

    @Test func readsQuotedValuesWithEscapes() throws {
        let document = try INIDocument(
            parsing: #"""
                [logs]
                prefix = "%m [%p] ; # literal"   ; comment
                quoted = "say \"hi\" \\ done"
                spaces = "  padded  "
                """#
        )
        let logs = try #require(document[section: "logs"])
        #expect(logs["prefix"]?.value == "%m [%p] ; # literal")
        #expect(logs["quoted"]?.value == #"say "hi" \ done"#)
        #expect(logs["spaces"]?.value == "  padded  ")
    }

    @Test func acceptsCRLFAndByteOrderMark() throws {
        let document = try INIDocument(parsing: "\u{FEFF}[agent]\r\nproject = x\r\nlog_level = info\r\n")
        #expect(document[section: "agent"]?["project"]?.value == "x")
        #expect(document[section: "agent"]?["log_level"]?.line == 3)
    }

    @Test func rejectsDuplicateKeysWithLineNumber() throws {
        let error = try #require(self.parseError("[agent]\nproject = a\nproject = b\n"))
        #expect(error.code == .conflict)
        #expect(error.key == "agent.project")
        #expect(error.line == 3)
        #expect(error.message.contains("line 2"))
    }

    @Test func rejectsDuplicateSections() throws {
        let error = try #require(self.parseError("[agent]\n[logs]\n[agent]\n"))
        #expect(error.code == .conflict)
        #expect(error.key == "agent")
        #expect(error.line == 3)
    }

    @Test func rejectsKeysBeforeAnySection() throws {
        let error = try #require(self.parseError("; header\nproject = x\n[agent]\n"))
        #expect(error.code == .syntax)
        #expect(error.key == "project")
        #expect(error.line == 2)
    }

    @Test func rejectsLinesWithoutEqualsSignWithoutQuotingThem() throws {
        let error = try #require(self.parseError("[postgres]\npassword s3cr3t-XYZ\n"))
        #expect(error.code == .syntax)
        #expect(error.line == 2)
        #expect(!"\(error)".contains("s3cr3t-XYZ"))
    }

    @Test func rejectsMalformedSectionHeaders() throws {
        for text in ["[agent\n", "[]\n", "[agent] trailing\n", "[a b]\n"] {
            let error = try #require(self.parseError(text), "accepted: \(text)")
            #expect(error.code == .syntax)
            #expect(error.line == 1)
        }
    }

    @Test func rejectsUnterminatedQuotesWithoutEchoingTheValue() throws {
        let error = try #require(self.parseError("[postgres]\nconninfo = \"password=s3cr3t-XYZ\n"))
        #expect(error.code == .syntax)
        #expect(error.key == "postgres.conninfo")
        #expect(error.line == 2)
        #expect(!String(describing: error).contains("s3cr3t-XYZ"))
    }

    @Test func rejectsTextAfterAQuotedValue() throws {
        let error = try #require(self.parseError("[logs]\nprefix = \"a\" b\n"))
        #expect(error.code == .syntax)
        #expect(error.key == "logs.prefix")
    }

    @Test func rejectsUnknownEscapesInQuotedValues() throws {
        let error = try #require(self.parseError("[logs]\nprefix = \"a\\nb\"\n"))
        #expect(error.code == .syntax)
    }

    @Test func rejectsEmptyOrMalformedKeys() throws {
        for text in ["[agent]\n= value\n", "[agent]\nmy key = value\n"] {
            let error = try #require(self.parseError(text), "accepted: \(text)")
            #expect(error.code == .syntax)
            #expect(error.line == 2)
        }
    }

    @Test func parsesTheEmptyDocument() throws {
        #expect(try INIDocument(parsing: "").sections.isEmpty)
        #expect(try INIDocument(parsing: "\n; only comments\n\n").sections.isEmpty)
    }
}
