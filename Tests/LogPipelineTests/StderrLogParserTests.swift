import AgentSchema
import Foundation
@testable import LogPipeline
import Testing

@Suite struct StderrLogParserTests {
    static let debian = "%m [%p] %q%u@%d "

    /// Parses `text` line by line and flushes; returns the entries in file order and the parser.
    private func parse(
        _ text: String, prefix: String = debian, cap: Int = 1 << 20, maximumOpen: Int = 1_024, idle: Int = 1_000
    ) throws -> (events: [LogEvent], parser: StderrLogParser) {
        try parse(Array(text.utf8), prefix: prefix, cap: cap, maximumOpen: maximumOpen, idle: idle)
    }

    private func parse(
        _ bytes: [UInt8], prefix: String = debian, cap: Int = 1 << 20, maximumOpen: Int = 1_024, idle: Int = 1_000
    ) throws -> (events: [LogEvent], parser: StderrLogParser) {
        var parser = StderrLogParser(
            prefix: try LogLinePrefix(prefix), fileName: "pg.log", maximumEntryBytes: cap, maximumOpenEntries: maximumOpen,
            completeAfterIdleLines: idle
        )
        var events = bytes.withUnsafeBufferPointer { parser.consume(lines: $0, offset: 100) }
        events += parser.flushAll()
        events.sort { $0.source!.offset < $1.source!.offset }
        return (events, parser)
    }

    private let t = "2026-11-27 14:58:50.179 UTC"

    @Test func continuationLinesJoinTheFieldTheyContinue() throws {
        let log = """
            \(t) [7] app@shop LOG:  duration: 1.3 ms  statement: SELECT id,
            \t       name
            \t  FROM accounts;
            \(t) [7] app@shop ERROR:  deadlock detected
            \(t) [7] app@shop DETAIL:  Process 7 waits for ShareLock.
            \tProcess 8 waits for ShareLock.
            \(t) [7] app@shop CONTEXT:  SQL statement "SELECT 1 / 0"
            \tPL/pgSQL function inline_code_block line 1 at PERFORM

            """
        let (events, parser) = try parse(log)
        #expect(events.count == 2)
        #expect(events[0].message == "duration: 1.3 ms  statement: SELECT id,\n       name\n  FROM accounts;")
        #expect(events[1].detail == "Process 7 waits for ShareLock.\nProcess 8 waits for ShareLock.")
        #expect(events[1].context == "SQL statement \"SELECT 1 / 0\"\nPL/pgSQL function inline_code_block line 1 at PERFORM")
        #expect(parser.statistics.lines == 8)
        #expect(parser.statistics.entries == 2)
        #expect(parser.statistics.unparsedLines == 0)
    }

    @Test func extraLinesAttachByPidWhileOtherPidsInterleave() throws {
        let log = """
            \(t) [7] app@shop ERROR:  duplicate key value violates unique constraint "accounts_pkey"
            \(t) [8] app@shop LOG:  connection authorized: user=app
            \(t) [9] LOG:  checkpoint starting: time
            \(t) [7] app@shop DETAIL:  Key (id)=(1) already exists.
            \(t) [8] app@shop ERROR:  relation "nope" does not exist at character 15
            \(t) [7] app@shop HINT:  Try another id.
            \(t) [8] app@shop STATEMENT:  SELECT * FROM nope
            \(t) [7] app@shop STATEMENT:  INSERT INTO accounts VALUES (1)
            \(t) [7] app@shop QUERY:  SELECT 1
            \(t) [7] app@shop LOCATION:  _bt_check_unique, nbtinsert.c:666

            """
        let (events, _) = try parse(log)
        #expect(events.map(\.pid) == [7, 8, 9, 8])
        let duplicate = events[0]
        #expect(duplicate.severity == .error)
        #expect(duplicate.detail == "Key (id)=(1) already exists.")
        #expect(duplicate.hint == "Try another id.")
        #expect(duplicate.statement == "INSERT INTO accounts VALUES (1)")
        #expect(duplicate.internalQuery == "SELECT 1")
        #expect(duplicate.location == "_bt_check_unique, nbtinsert.c:666")
        #expect(duplicate.user == "app" && duplicate.database == "shop")
        #expect(duplicate.timestamp == "2026-11-27T14:58:50.179Z")
        #expect(duplicate.source == LogEvent.Source(file: "pg.log", offset: 100))
        #expect(events[1].message == "connection authorized: user=app")
        #expect(events[1].statement == nil)
        #expect(events[3].statement == "SELECT * FROM nope")
        #expect(events[2].user == nil)
    }

    @Test func aNewSeverityCompletesThePreviousEntryOfItsPid() throws {
        var parser = StderrLogParser(prefix: try LogLinePrefix(Self.debian), fileName: "f")
        #expect(parser.consume(line: Array("\(t) [7] a@b ERROR:  one".utf8), offset: 0).isEmpty)
        #expect(parser.consume(line: Array("\(t) [8] a@b LOG:  other".utf8), offset: 40).isEmpty)
        #expect(parser.openEntryCount == 2)
        #expect(parser.oldestOpenOffset == 0)
        let completed = parser.consume(line: Array("\(t) [7] a@b LOG:  two".utf8), offset: 80)
        #expect(completed.map(\.message) == ["one"])
        #expect(parser.oldestOpenOffset == 40)
        #expect(parser.flushAll().map(\.message) == ["other", "two"])
        #expect(parser.openEntryCount == 0)
        #expect(parser.oldestOpenOffset == nil)
    }

    @Test func anExtraLineWithoutItsEntryStartsOneOfItsOwn() throws {
        let (events, parser) = try parse("\(t) [7] a@b STATEMENT:  SELECT 1\n")
        #expect(events.count == 1)
        #expect(events[0].severity == nil)
        #expect(events[0].statement == "SELECT 1")
        #expect(events[0].message == nil)
        #expect(parser.statistics.unparsedLines == 0)
    }

    @Test func garbageNULBytesAndInvalidUTF8AreCountedNeverFatal() throws {
        var bytes = Array("\(t) [7] a@b LOG:  before\n".utf8)
        bytes += [0xFF, 0xFE, 0x00, 0x41, 0x0A]  // binary garbage
        bytes += Array("\tcontinues nothing after garbage\n".utf8)
        bytes += [0x00, 0x00, 0x00, 0x0A]  // NULs
        bytes += Array("waiting for server to start.... done\n".utf8)
        // Invalid UTF-8 inside a parsed line (a LATIN1 database): kept, repaired.
        bytes += Array("\(t) [7] a@b ERROR:  caf".utf8) + [0xE9] + Array(" au lait\n".utf8)
        // Deterministic random bytes, some of them newlines.
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        for _ in 0..<200_000 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            bytes.append(UInt8(truncatingIfNeeded: state >> 56))
        }
        bytes += Array("\n\(t) [7] a@b LOG:  after\n".utf8)
        let (events, parser) = try parse(bytes)
        #expect(events.first?.message == "before")
        #expect(events.contains { $0.message == "caf\u{FFFD} au lait" })
        #expect(events.last?.message == "after")
        #expect(parser.statistics.unparsedLines > 4)
        // What belongs to no entry is kept as `unparsed` events, never dropped.
        let unparsed = events.filter { $0.event == .unparsed }
        #expect(parser.statistics.entries == events.count - unparsed.count)
        #expect(unparsed.contains { ($0.message ?? "").contains("continues nothing after garbage") })
        #expect(unparsed.contains { ($0.message ?? "").contains("waiting for server to start.... done") })
        // The cap counts the bytes read; invalid UTF-8 comes out as U+FFFD, three bytes each.
        #expect(unparsed.allSatisfy { ($0.message?.utf8.count ?? 0) <= 3 * parser.maximumUnparsedBytes })
    }

    @Test func leadingNULsAndCarriageReturnsAreSkipped() throws {
        let bytes = [0, 0, 0] + Array("\(t) [7] a@b LOG:  after a copytruncate hole\r\n".utf8)
        let (events, parser) = try parse(bytes)
        #expect(events.map(\.message) == ["after a copytruncate hole"])
        #expect(parser.statistics.unparsedLines == 0)
    }

    @Test func anEntryOverTheCapIsCutOnACharacterBoundaryAndMarked() throws {
        let statement = String(repeating: "é", count: 100)  // 200 bytes
        let log = "\(t) [7] a@b ERROR:  boom\n\(t) [7] a@b STATEMENT:  \(statement)\n\tmore\n\(t) [7] a@b LOG:  next\n"
        let (events, parser) = try parse(log, cap: 105)
        #expect(events.count == 2)
        let cut = events[0]
        #expect(cut.truncated == true)
        #expect(cut.message == "boom")
        // 4 bytes of message, then 101 bytes allowed: 50 whole "é", never half of one.
        #expect(cut.statement == String(repeating: "é", count: 50))
        #expect(events[1].truncated == nil)
        #expect(events[1].message == "next")
        #expect(parser.statistics.truncatedEntries == 1)
    }

    @Test func theDefaultCapIsOneMebibyte() throws {
        let parser = StderrLogParser(prefix: try LogLinePrefix(""), fileName: "f")
        #expect(parser.maximumEntryBytes == 1_048_576)
        let huge = "\(t) [7] a@b LOG:  " + String(repeating: "x", count: 3 << 20) + "\n"
        let (events, _) = try parse(huge)
        #expect(events[0].truncated == true)
        #expect(events[0].message?.utf8.count == 1 << 20)
    }

    @Test func tooManyOpenEntriesCompleteTheOldest() throws {
        let log = (1...5).map { "\(t) [\($0)] a@b LOG:  from \($0)" }.joined(separator: "\n") + "\n"
        var parser = StderrLogParser(prefix: try LogLinePrefix(Self.debian), fileName: "f", maximumOpenEntries: 3)
        let completed = Array(log.utf8).withUnsafeBufferPointer { parser.consume(lines: $0, offset: 0) }
        #expect(completed.map(\.pid) == [1, 2])
        #expect(parser.statistics.evictedEntries == 2)
        #expect(parser.openEntryCount == 3)
    }

    @Test func idleEntriesCompleteWithoutAFlush() throws {
        var log = "\(t) [1] a@b ERROR:  lonely\n"
        for _ in 0..<600 { log += "\(t) [2] a@b LOG:  busy\n" }
        var parser = StderrLogParser(prefix: try LogLinePrefix(Self.debian), fileName: "f", completeAfterIdleLines: 100)
        let completed = Array(log.utf8).withUnsafeBufferPointer { parser.consume(lines: $0, offset: 0) }
        #expect(completed.contains { $0.pid == 1 && $0.message == "lonely" })
        #expect(parser.openEntryCount == 1)
    }

    @Test func verboseSQLStateMovesFromTheMessageIntoItsField() throws {
        let log = """
            \(t) [7] a@b ERROR:  23505: duplicate key value
            \(t) [7] a@b LOCATION:  _bt_check_unique, nbtinsert.c:666
            \(t) [7] a@b LOG:  HELLO: not verbose, no LOCATION line

            """
        let (events, _) = try parse(log)
        #expect(events[0].sqlstate == "23505")
        #expect(events[0].message == "duplicate key value")
        #expect(events[1].sqlstate == nil)
        #expect(events[1].message == "HELLO: not verbose, no LOCATION line")
    }

    @Test func localisedLinesOfTheRealServerParse() throws {
        for (directory, errorWord) in [("german", "FEHLER"), ("french", "ERREUR")] {
            let root = try #require(Bundle.module.url(forResource: "Fixtures", withExtension: nil))
            let data = try Data(contentsOf: root.appendingPathComponent("\(directory)/postgresql.log"))
            let (events, parser) = try parse(Array(data))
            #expect(parser.statistics.unparsedLines == 0)
            let errors = events.filter { $0.severity == .error }
            #expect(errors.count >= 5)
            #expect(errors.allSatisfy { $0.localizedSeverity == errorWord })
            #expect(errors.contains { $0.statement != nil && $0.context != nil })
            #expect(events.filter { $0.severity == .log }.allSatisfy { $0.localizedSeverity == nil })
        }
    }

    @Test func handWrittenLocalisedLinesParse() throws {
        let log = """
            \(t) [7] a@b ОШИБКА:  отношение "nope" не существует
            \(t) [7] a@b ПОДСКАЗКА:  Проверьте имя.
            \(t) [7] a@b ОПЕРАТОР:  SELECT * FROM nope
            \(t) [8] a@b 错误:  除以零
            \(t) [8] a@b 上下文:  SQL 语句 "SELECT 1/0"
            \(t) [9] a@b 오류:  구문 오류
            \(t) [9] a@b 쿼리:SELECT 1
            \(t) [9] a@b 명령 구문:  SELEC 1
            \(t) [10] a@b BŁĄD:  coś poszło nie tak

            """
        let (events, parser) = try parse(log)
        #expect(events.count == 4)
        #expect(events[0].severity == .error && events[0].localizedSeverity == "ОШИБКА")
        #expect(events[0].hint == "Проверьте имя.")
        #expect(events[0].statement == "SELECT * FROM nope")
        #expect(events[1].severity == .error && events[1].context == "SQL 语句 \"SELECT 1/0\"")
        #expect(events[2].internalQuery == "SELECT 1")
        #expect(events[2].statement == "SELEC 1")
        // A language without a table: the word is kept, the English severity is unknown.
        #expect(events[3].severity == nil && events[3].localizedSeverity == "BŁĄD")
        #expect(parser.statistics.unknownSeverityLines == 1)
    }
}
