import AgentSchema
import Foundation
@testable import LogPipeline
import TestSupport
import Testing

@Suite struct CSVLogParserTests {
    // MARK: Real logs

    @Test func everyRowOfTheRealLogsParses() throws {
        for (name, rows) in [("pg17-workload.csv", 149), ("pg14-workload.csv", 134)] {
            var parser = CSVLogParser(file: name)
            let events = try parse(name, with: &parser)
            #expect(events.count == rows, "\(name)")
            #expect(parser.rowCount == rows && parser.unparsedCount == 0 && parser.invalidUTF8Count == 0, "\(name)")
            #expect(parser.lastLayout == .from14, "\(name)")
            #expect(events.allSatisfy { $0.timestamp != nil && $0.pid != nil && $0.severity != nil && $0.message != nil })
        }
    }

    @Test func chunkBoundariesDoNotChangeTheResult() throws {
        let bytes = try fixture("pg17-workload.csv")
        var whole = CSVLogParser(file: "f")
        let expected = whole.consume(bytes, startingAt: 0) + whole.flush()
        for size in [1, 7, 333, 4096] {
            var parser = CSVLogParser(file: "f")
            var events: [LogEvent] = []
            var offset = 0
            while offset < bytes.count {
                let end = min(offset + size, bytes.count)
                events += parser.consume(bytes[offset..<end], startingAt: Int64(offset))
                offset = end
            }
            events += parser.flush()
            #expect(events == expected, "chunks of \(size)")
        }
    }

    @Test func sourceOffsetIsTheFirstByteOfTheRow() throws {
        let bytes = try fixture("pg17-workload.csv")
        var parser = CSVLogParser(file: "pg17.csv")
        let events = parser.consume(bytes, startingAt: 1000) + parser.flush()
        var previous: Int64 = -1
        for event in events {
            let source = try #require(event.source)
            #expect(source.file == "pg17.csv")
            #expect(source.offset > previous)
            previous = source.offset
            let start = Int(source.offset - 1000)
            #expect(start == 0 || bytes[start - 1] == 0x0A)
            #expect(bytes[start..<(start + 5)].elementsEqual("2026-".utf8))
        }
        #expect(parser.resumeOffset == 1000 + Int64(bytes.count))
    }

    @Test func quotedFieldsKeepNewlinesQuotesAndCommas() throws {
        var parser = CSVLogParser(file: "f")
        let events = try parse("pg17-workload.csv", with: &parser)
        let statement = try #require(events.first { $0.message?.contains("WHERE owner = 'O''Brien") == true })
        #expect(statement.message == """
            duration: 0.274 ms  statement: SELECT id,
                   owner
              FROM accounts
             WHERE owner = 'O''Brien, "quoted"'
               AND id IN (1, 2, 3);
            """)
        let greeting = try #require(events.first { $0.message?.contains("AS greeting") == true })
        #expect(greeting.message?.contains("'Grüße — 東京 🐘'") == true)
        let warning = try #require(events.first { $0.severity == .warning && $0.message?.hasPrefix("control ") == true })
        #expect(warning.message == "control \u{01}\u{1F}\"\\")
    }

    @Test func fieldsMapToTheEventContract() throws {
        var parser = CSVLogParser(file: "f")
        let events = try parse("pg17-workload.csv", with: &parser)
        let error = try #require(events.first { $0.sqlstate == "23505" })
        #expect(error.timestamp?.hasSuffix("Z") == true && error.timestamp?.count == 24)
        #expect(error.severity == .error && error.localizedSeverity == nil)
        #expect(error.message == "duplicate key value violates unique constraint \"accounts_pkey\"")
        #expect(error.detail == "Key (id)=(1) already exists.")
        #expect(error.statement == "INSERT INTO accounts VALUES (1, 'dup', 0);")
        #expect(error.user == "postgres" && error.database == "app" && error.remoteHost == "[local]")
        #expect(error.applicationName == "bitville-deadbeef" && error.backendType == "client backend")
        #expect(error.sessionID?.contains(".") == true && error.sessionLine != nil && error.virtualXID != nil)
        #expect(error.queryID != nil && error.queryID != 0)
        let tcp = try #require(events.first { $0.message?.hasPrefix("connection authenticated: identity=") == true })
        #expect(tcp.remoteHost == "127.0.0.1")
        let log = try #require(events.first { $0.severity == .log })
        #expect(log.sqlstate == nil && log.xid == nil)
    }

    // MARK: Layouts

    @Test func layoutFollowsTheColumnCount() throws {
        for (name, layout) in [("pg12-handmade.csv", CSVLogParser.Layout.upTo12), ("pg13-handmade.csv", .pg13)] {
            var parser = CSVLogParser(file: name)
            let events = try parse(name, with: &parser)
            #expect(events.count == 7 && parser.unparsedCount == 0, "\(name)")
            #expect(parser.lastLayout == layout, "\(name)")
            #expect(events.allSatisfy { $0.leaderPID == nil && $0.queryID == nil })
            #expect(events.contains { $0.applicationName == "bitville-deadbeef" })
            let deadlock = try #require(events.first { $0.sqlstate == "40P01" })
            #expect(deadlock.detail?.split(separator: "\n").count == 4)
            if layout == .pg13 {
                #expect(events.contains { $0.backendType == "autovacuum worker" })
            } else {
                #expect(events.allSatisfy { $0.backendType == nil })
            }
        }
    }

    @Test func rowsOfDifferentLayoutsMayFollowEachOther() {
        let row26 = #"2026-11-27 14:55:17.099 UTC,"u","d",1,"[local]",s.1,1,"idle",2026-11-27 14:55:17 UTC,,0,LOG,00000,"m26",,,,,,,,,"app","client backend",,42"#
        let row24 = #"2026-11-27 14:55:17.100 UTC,"u","d",2,"[local]",s.2,1,"idle",2026-11-27 14:55:17 UTC,,0,LOG,00000,"m24",,,,,,,,,"app","client backend""#
        let row23 = #"2026-11-27 14:55:17.101 UTC,"u","d",3,"[local]",s.3,1,"idle",2026-11-27 14:55:17 UTC,,0,LOG,00000,"m23",,,,,,,,,"app""#
        var parser = CSVLogParser(file: "f")
        let events = parser.consume(Array((row26 + "\n" + row24 + "\n" + row23 + "\n").utf8), startingAt: 0)
        #expect(events.map(\.message) == ["m26", "m24", "m23"])
        #expect(events.map(\.queryID) == [42, nil, nil])
        #expect(events.map(\.backendType) == ["client backend", "client backend", nil])
        #expect(parser.lastLayout == .upTo12)
    }

    // MARK: Timestamps

    @Test func anUnknownZoneLeavesTheTimestampOutButKeepsTheRow() {
        let row = #"2026-11-27 14:55:17.099 IST,"u","d",1,"[local]",s.1,1,"idle",2026-11-27 14:55:17 IST,,0,LOG,00000,"m",,,,,,,,,"app","client backend",,0"# + "\n"
        var parser = CSVLogParser(file: "f")
        let events = parser.consume(Array(row.utf8), startingAt: 0)
        #expect(events.count == 1 && events.first?.timestamp == nil)
        #expect(parser.unknownTimeZoneCount == 1)
    }

    // MARK: Damaged input

    @Test func garbageLinesAreCountedAndSkipped() throws {
        let good = try fixture("pg13-handmade.csv")
        var input = Array("this is not a csvlog line, no quote in it\n".utf8)
        input += [0xFF, 0xFE, 0x00, 0x01, 0x22, 0x0A]  // binary garbage with an open quote
        input += good
        input += Array("2026-11-27 14:55:17.099 UTC,too,few,columns\n".utf8)
        var parser = CSVLogParser(file: "f")
        let events = parser.consume(input, startingAt: 0) + parser.flush()
        #expect(events.count == 7)
        #expect(parser.unparsedCount == 3)
        #expect(events.first?.source?.offset == Int64(input.count - good.count - 44))
    }

    @Test func aRowCutInsideAQuotedFieldDoesNotSwallowTheNextRows() throws {
        let text = String(decoding: try fixture("pg17-workload.csv"), as: UTF8.self)
        // The multi-line statement's row, cut inside its message (as a crash mid-write leaves it),
        // then that row again in full and every row after it.
        let cut = try #require(text.range(of: "   AND id IN (1, 2, 3);")).lowerBound
        let newline = try #require(text[..<cut].range(of: "\n2026-", options: .backwards)).lowerBound
        let damaged = Array((text[..<cut] + text[text.index(after: newline)...]).utf8)
        for chunk in [100, damaged.count] {
            var parser = CSVLogParser(file: "f")
            var events: [LogEvent] = []
            for start in stride(from: 0, to: damaged.count, by: chunk) {
                events += parser.consume(damaged[start..<min(start + chunk, damaged.count)], startingAt: Int64(start))
            }
            events += parser.flush()
            #expect(parser.unparsedCount == 1, "chunks of \(chunk)")
            #expect(events.count == 149, "chunks of \(chunk)")
            #expect(events.filter { $0.message?.contains("O''Brien") == true }.count == 1)
        }
    }

    @Test func aTruncatedLastRowIsUnparsed() throws {
        let good = try fixture("pg13-handmade.csv")
        let truncated = Array(good.dropLast(40))
        var parser = CSVLogParser(file: "f")
        let events = parser.consume(truncated, startingAt: 0) + parser.flush()
        #expect(events.count == 6)
        #expect(parser.unparsedCount == 1)
        #expect(parser.resumeOffset == Int64(truncated.count))
    }

    @Test func aLastRowWithoutItsNewlineStillParses() throws {
        let good = try fixture("pg12-handmade.csv")
        var parser = CSVLogParser(file: "f")
        let events = parser.consume(good.dropLast(), startingAt: 0)
        #expect(events.count == 6)
        #expect(parser.flush().count == 1 && parser.unparsedCount == 0)
    }

    @Test func nulRunsBetweenRowsAreSkippedOnce() throws {
        let good = try fixture("pg13-handmade.csv")
        let input = [UInt8](repeating: 0, count: 5000) + good + [UInt8](repeating: 0, count: 10) + good
        var parser = CSVLogParser(file: "f")
        var events: [LogEvent] = []
        for start in stride(from: 0, to: input.count, by: 1000) {
            events += parser.consume(input[start..<min(start + 1000, input.count)], startingAt: Int64(start))
        }
        events += parser.flush()
        #expect(events.count == 14)
        #expect(parser.unparsedCount == 2)
        #expect(events.first?.source?.offset == 5000)
    }

    @Test func aNULInsideARowMakesItUnparsed() throws {
        var good = try fixture("pg12-handmade.csv")
        let firstNewline = try #require(good.firstIndex(of: 0x0A))
        good[firstNewline - 20] = 0
        var parser = CSVLogParser(file: "f")
        let events = parser.consume(good, startingAt: 0) + parser.flush()
        #expect(events.count == 6 && parser.unparsedCount == 1)
    }

    @Test func invalidUTF8IsReplacedAndCounted() {
        let row = Array(#"2026-11-27 14:55:17.099 UTC,"u","d",1,"[local]",s.1,1,"idle",2026-11-27 14:55:17 UTC,,0,LOG,00000,"caf"#.utf8)
            + [0xE9, 0xFF] + Array(#"",,,,,,,,,"app","client backend",,0"#.utf8) + [0x0A]
        var parser = CSVLogParser(file: "f")
        let events = parser.consume(row, startingAt: 0)
        #expect(events.first?.message == "caf\u{FFFD}\u{FFFD}")
        #expect(parser.invalidUTF8Count == 1 && parser.unparsedCount == 0)
    }

    @Test func aGapInTheOffsetsDropsThePartialRow() throws {
        let good = try fixture("pg12-handmade.csv")
        var parser = CSVLogParser(file: "f")
        #expect(parser.consume(good[0..<100], startingAt: 0).isEmpty)
        let events = parser.consume(good, startingAt: 5000)
        #expect(events.count == 7 && parser.unparsedCount == 1)
        #expect(events.first?.source?.offset == 5000)
    }

    @Test func garbageNeverCrashesTheParser() {
        var generator = SeededGenerator(seed: 7)
        for _ in 0..<200 {
            let bytes = (0..<Int(generator.next() % 600)).map { _ in
                [0x22, 0x2C, 0x0A, 0x00, 0x32, 0x30, 0x2D, 0xC3, 0xFF][Int(generator.next() % 9)] as UInt8
            }
            var parser = CSVLogParser(file: "f", entryCap: 128)
            _ = parser.consume(bytes, startingAt: 0)
            _ = parser.flush()
            #expect(parser.rowCount == 0)
        }
    }

    // MARK: The cap

    @Test func anOversizedRowIsCutFieldByFieldAndTheTailGoesOn() {
        let huge = String(repeating: "x", count: 20_000) + "é" + String(repeating: "\"\"", count: 5000)
        let row = #"2026-11-27 14:55:17.099 UTC,"u","d",1,"[local]",s.1,1,"idle",2026-11-27 14:55:17 UTC,,0,LOG,00000,"duration: 1 ms  statement: "#
            + huge + #"",,,,,,,,,"bitville-abc","client backend",,77"# + "\n"
        let next = #"2026-11-27 14:55:18.000 UTC,"u","d",2,"[local]",s.2,1,"idle",2026-11-27 14:55:17 UTC,,0,LOG,00000,"after",,,,,,,,,"app","client backend",,0"# + "\n"
        let input = Array((row + next).utf8)
        for chunk in [500, input.count] {
            var parser = CSVLogParser(file: "f", entryCap: 4096)
            var events: [LogEvent] = []
            for start in stride(from: 0, to: input.count, by: chunk) {
                events += parser.consume(input[start..<min(start + chunk, input.count)], startingAt: Int64(start))
            }
            events += parser.flush()
            #expect(events.count == 2, "chunks of \(chunk)")
            let cut = events[0]
            #expect(cut.truncated == true && parser.truncatedCount == 1)
            #expect(cut.message?.hasPrefix("duration: 1 ms  statement: xxx") == true)
            #expect((cut.message?.utf8.count ?? 0) < 4096)
            #expect(cut.applicationName == "bitville-abc" && cut.queryID == 77 && cut.backendType == "client backend")
            #expect(events[1].message == "after" && events[1].source?.offset == Int64(row.utf8.count))
            #expect(events[1].truncated == nil)
        }
    }

    @Test func theCutNeverSplitsACharacterOrAnEscapedQuote() {
        for padding in 0..<8 {
            let message = String(repeating: "a", count: padding) + String(repeating: "é\"\"🐘", count: 300)
            let row = #"2026-11-27 14:55:17.099 UTC,"u","d",1,"[local]",s.1,1,"idle",2026-11-27 14:55:17 UTC,,0,LOG,00000,""#
                + message.replacingOccurrences(of: "\"", with: "\"\"") + #"",,,,,,,,,"app","client backend",,0"# + "\n"
            var parser = CSVLogParser(file: "f", entryCap: 512)
            let events = parser.consume(Array(row.utf8), startingAt: 0)
            let text = events.first?.message ?? ""
            #expect(events.count == 1 && !text.contains("\u{FFFD}"), "padding \(padding)")
            #expect(message.hasPrefix(text) && text.count > 100, "padding \(padding)")
            #expect(events.first?.applicationName == "app")
        }
    }

    // MARK: Helpers

    private func fixture(_ name: String) throws -> [UInt8] {
        let url = try #require(Bundle.module.url(forResource: "Fixtures", withExtension: nil))
        return try [UInt8](Data(contentsOf: url.appendingPathComponent(name)))
    }

    private func parse(_ name: String, with parser: inout CSVLogParser) throws -> [LogEvent] {
        let bytes = try fixture(name)
        return parser.consume(bytes, startingAt: 0) + parser.flush()
    }
}

