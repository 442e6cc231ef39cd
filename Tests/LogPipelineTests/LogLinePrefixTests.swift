@testable import LogPipeline
import Testing

@Suite struct LogLinePrefixTests {
    private func fields(_ prefix: String, _ line: String) throws -> LogLinePrefix.Fields? {
        try LogLinePrefix(prefix).parse(line)
    }

    /// The text after the head, as the parser would take it.
    private func text(_ line: String, _ fields: LogLinePrefix.Fields?) -> String? {
        fields.map { String(decoding: Array(line.utf8)[$0.textStart...], as: UTF8.self) }
    }

    @Test func unknownEscapesAndBadPaddingAreErrorsWithACode() {
        #expect(throws: LogLinePrefix.CompileError.self) { try LogLinePrefix("%m %k ") }
        do {
            _ = try LogLinePrefix("[%p] %k")
            Issue.record("no error")
        } catch let error as LogLinePrefix.CompileError {
            #expect(error.code == .unknownEscape)
            #expect(error.position == 5)
            #expect(error.escape == "%k")
            #expect(error.description.contains("%k"))
        } catch {
            Issue.record("wrong error \(error)")
        }
        for (prefix, code) in [("abc%", LogLinePrefix.CompileError.Code.danglingPercent), ("%-", .badPadding), ("%12", .badPadding), ("%-x", .badPadding)] {
            #expect(throws: LogLinePrefix.CompileError.self) { try LogLinePrefix(prefix) }
            #expect((try? LogLinePrefix(prefix)) == nil)
            do { _ = try LogLinePrefix(prefix) } catch let error as LogLinePrefix.CompileError {
                #expect(error.code == code, "\(prefix)")
            } catch {}
        }
        #expect(throws: Never.self) { try LogLinePrefix("100%% [%p] %q%%") }
    }

    /// Found by the fuzz suite: `%Q` of -9223372036854775808 (a query id PostgreSQL prints) trapped on
    /// negation, and 19-digit values past Int64.max wrapped. Every value reads back or is nil.
    @Test func integersAtTheEdgesOfInt64ReadBackOrAreNil() {
        func read(_ text: String) -> Int64? { Array(text.utf8).withUnsafeBufferPointer { LogLinePrefix.integer($0) } }
        #expect(read("-9223372036854775808") == .min)
        #expect(read("9223372036854775807") == .max)
        #expect(read("-9223372036854775807") == -9_223_372_036_854_775_807)
        #expect(read("9223372036854775808") == nil)
        #expect(read("9999999999999999999") == nil)
        #expect(read("-9999999999999999999") == nil)
        #expect(read("0") == 0)
        #expect(read("-") == nil)
        #expect(read("") == nil)
    }

    @Test func everyEscapeIsRead() throws {
        let prefix = "%m|%n|%t|%p|%P|%l|%c|%v|%x|%e|%Q|%b|%s|%u|%d|%a|%r|%h|%L|%i|%%|"
        let line = "2026-11-27 14:51:52.498 UTC|1795791112.498|2026-11-27 14:51:52 UTC|4242|4200|17|6746f1d8.1092|"
            + "3/1234|789|23505|-7067569875089009065|client backend|2026-11-27 14:50:00 UTC|app user|app db|"
            + "my app|10.0.0.7(5432)|10.0.0.7|10.0.0.1|INSERT|%|ERROR:  duplicate key"
        let parsed = try #require(try fields(prefix, line))
        #expect(parsed.timestamp == "2026-11-27T14:51:52.498Z")
        #expect(parsed.timeZone == "UTC")
        #expect(parsed.pid == 4242)
        #expect(parsed.leaderPID == 4200)
        #expect(parsed.sessionLine == 17)
        #expect(parsed.sessionID == "6746f1d8.1092")
        #expect(parsed.virtualXID == "3/1234")
        #expect(parsed.xid == 789)
        #expect(parsed.sqlstate == "23505")
        #expect(parsed.queryID == -7_067_569_875_089_009_065)
        #expect(parsed.backendType == "client backend")
        #expect(parsed.sessionStart == "2026-11-27T14:50:00.000Z")
        #expect(parsed.user == "app user")
        #expect(parsed.database == "app db")
        #expect(parsed.applicationName == "my app")
        #expect(parsed.remoteHost == "10.0.0.7")
        #expect(parsed.remotePort == "5432")
        #expect(parsed.localAddress == "10.0.0.1")
        #expect(parsed.commandTag == "INSERT")
        #expect(parsed.head == .severity(english: "ERROR", localized: nil))
        #expect(text(line, parsed) == "duplicate key")
        #expect(parsed.messageStart == line.utf8.count - "ERROR:  duplicate key".utf8.count)
    }

    @Test func paddedValuesLoseTheirPadding() throws {
        let prefix = "[%-7p]%5P|%10u|%-12d|%-16b> "
        let line = "[4242   ]     |  app user|app db      |client backend  > LOG:  x"
        let parsed = try #require(try fields(prefix, line))
        #expect(parsed.pid == 4242)
        #expect(parsed.leaderPID == nil)
        #expect(parsed.user == "app user")
        #expect(parsed.database == "app db")
        #expect(parsed.backendType == "client backend")
        // Values longer than their width are printed whole.
        let long = "[12345678]12345|a-very-long-user|a-very-long-database|autovacuum launcher> LOG:  x"
        let longParsed = try #require(try fields(prefix, long))
        #expect(longParsed.pid == 12_345_678)
        #expect(longParsed.leaderPID == 12_345)
        #expect(longParsed.user == "a-very-long-user")
        #expect(longParsed.database == "a-very-long-database")
        #expect(longParsed.backendType == "autovacuum launcher")
    }

    @Test func processesWithoutSessionStopAtQ() throws {
        let prefix = "%m [%p] %q%u@%d "
        let background = try #require(try fields(prefix, "2026-11-27 14:51:52.498 UTC [16389] LOG:  checkpoint starting: time"))
        #expect(background.pid == 16_389)
        #expect(background.user == nil)
        #expect(background.hasSessionPart == false)
        let session = try #require(try fields(prefix, "2026-11-27 14:51:52.498 UTC [16390] app@shop LOG:  x"))
        #expect(session.user == "app")
        #expect(session.database == "shop")
        #expect(session.hasSessionPart)
        // Before authentication the server prints its placeholder; it means "not known".
        let early = try #require(try fields(prefix, "2026-11-27 14:51:52.498 UTC [16391] [unknown]@[unknown] LOG:  x"))
        #expect(early.user == nil && early.database == nil)
        let german = try #require(try fields(prefix, "2026-11-27 14:51:52.498 UTC [16391] [unbekannt]@[unbekannt] LOG:  x"))
        #expect(german.user == nil && german.database == nil)
    }

    @Test func namesWithSpacesAtSignsAndBracketsParseWhereThePrefixAllows() throws {
        let debian = "%m [%p] %q%u@%d "
        let directoryUser = try #require(try fields(debian, "2026-11-27 14:51:52.498 UTC [7] alice@example.com@app db ERROR:  x"))
        #expect(directoryUser.user == "alice@example.com")
        #expect(directoryUser.database == "app db")
        let spaces = try #require(try fields(debian, "2026-11-27 14:51:52.498 UTC [7] app user@my LOG db LOG:  x"))
        #expect(spaces.user == "app user")
        #expect(spaces.database == "my LOG db")

        let bracketed = "%m [%p] %q[user=%u,db=%d,app=%a] "
        let line = "2026-11-27 14:51:52.498 UTC [7] [user=a@b,db=d b,app=report [nightly] @ x, v2] NOTICE:  hi"
        let parsed = try #require(try fields(bracketed, line))
        #expect(parsed.user == "a@b")
        #expect(parsed.database == "d b")
        #expect(parsed.applicationName == "report [nightly] @ x, v2")
        #expect(text(line, parsed) == "hi")
    }

    @Test func rdsPrefixWithIPv6AddressesAndEmptyValues() throws {
        let rds = "%t:%r:%u@%d:[%p]:"
        let v6 = try #require(try fields(rds, "2026-11-27 14:51:52 UTC:2001:db8::7(51234):app user@db:x:[99]:LOG:  hello"))
        #expect(v6.remoteHost == "2001:db8::7")
        #expect(v6.remotePort == "51234")
        #expect(v6.user == "app user")
        #expect(v6.database == "db:x")
        #expect(v6.pid == 99)
        #expect(v6.timestamp == "2026-11-27T14:51:52.000Z")
        let background = try #require(try fields(rds, "2026-11-27 14:51:52 UTC::@:[98]:LOG:  checkpoint starting: time"))
        #expect(background.remoteHost == nil && background.user == nil && background.database == nil)
        #expect(background.pid == 98)
    }

    @Test func emptyPrefixTakesTheHeadAtTheStart() throws {
        let parsed = try #require(try fields("", "WARNING:  careful"))
        #expect(parsed.head == .severity(english: "WARNING", localized: nil))
        #expect(try fields("", "not a log line") == nil)
        #expect(try fields("", "Word:  text") == nil)
    }

    @Test func timesBecomeRFC3339UTC() throws {
        #expect(try fields("%m ", "2026-11-27 20:45:27.064 +0545 LOG:  x")?.timestamp == "2026-11-27T15:00:27.064Z")
        #expect(try fields("%m ", "2026-01-01 01:30:00.500 +0530 LOG:  x")?.timestamp == "2025-12-31T20:00:00.500Z")
        #expect(try fields("%m ", "2026-11-27 12:00:53.653 -03 LOG:  x")?.timestamp == "2026-11-27T15:00:53.653Z")
        #expect(try fields("%m ", "2024-02-29 23:59:59.999 -01 LOG:  x")?.timestamp == "2024-03-01T00:59:59.999Z")
        #expect(try fields("%m ", "2026-11-27 12:00:53.653 GMT LOG:  x")?.timestamp == "2026-11-27T12:00:53.653Z")
        #expect(try fields("%t ", "2026-11-27 12:00:53 UTC LOG:  x")?.timestamp == "2026-11-27T12:00:53.000Z")
        #expect(try fields("%n ", "1795791627.064 LOG:  x")?.timestamp == "2026-11-27T15:00:27.064Z")
        // An unambiguous abbreviation converts without the server's zone; an ambiguous one does not.
        let named = try #require(try fields("%m ", "2026-11-27 16:00:53.653 CET LOG:  x"))
        #expect(named.timestamp == "2026-11-27T15:00:53.653Z")
        #expect(named.timeZone == "CET")
        let ambiguous = try #require(try fields("%m ", "2026-11-27 16:00:53.653 IST LOG:  x"))
        #expect(ambiguous.timestamp == nil && ambiguous.timeZone == "IST")
        // %n wins over %m, and %m over %t.
        #expect(try fields("%t %m %n ", "2026-11-27 16:00:53 CET 2026-11-27 16:00:53.653 CET 1795791627.064 LOG:  x")?.timestamp
            == "2026-11-27T15:00:27.064Z")
    }

    @Test func emptyAndZeroValuesAreAbsent() throws {
        let parsed = try #require(try fields("%p %v|%x %Q %P|", "12 |0 0 |LOG:  x"))
        #expect(parsed.pid == 12)
        #expect(parsed.virtualXID == nil)
        #expect(parsed.xid == nil)
        #expect(parsed.queryID == nil)
        #expect(parsed.leaderPID == nil)
    }

    @Test func linesWithoutThePrefixAreRejectedCheaply() throws {
        let prefix = try LogLinePrefix("%m [%p] %q%u@%d:%a:%h ")
        #expect(prefix.parse("hello world") == nil)
        #expect(prefix.parse("") == nil)
        #expect(prefix.parse("2026-11-27 14:51:52.498 UTC [12] ") == nil)
        // A long line full of delimiters, none followed by a head: bounded work, no match.
        let hostile = "2026-11-27 14:51:52.498 UTC [12] " + String(repeating: "@:@ :", count: 20_000)
        #expect(prefix.parse(hostile) == nil)
        let binary = (0..<100_000).map { UInt8(truncatingIfNeeded: $0 &* 2_654_435_761 >> 7) }
        #expect(prefix.parse(binary) == nil)
    }

    @Test func unknownLanguagesStillParseAfterAPrefixWithEscapes() throws {
        let parsed = try #require(try fields("%m [%p] ", "2026-11-27 14:51:52.498 UTC [12] BŁĄD:  coś poszło nie tak"))
        #expect(parsed.head == .unknownSeverity(written: "BŁĄD"))
        #expect(parsed.pid == 12)
    }
}
