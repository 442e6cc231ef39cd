import AgentSchema
import SQLRedaction
import Foundation
@testable import LogPipeline
import Testing

@Suite struct JSONLogParserTests {
    // MARK: Real logs

    @Test func everyLineOfTheRealLogParses() throws {
        var parser = JSONLogParser(file: "pg17.json")
        let events = try parse("pg17-workload.json", with: &parser)
        #expect(events.count == 149)
        #expect(parser.lineCount == 149 && parser.unparsedCount == 0 && parser.invalidUTF8Count == 0)
        #expect(events.allSatisfy { $0.timestamp != nil && $0.pid != nil && $0.severity != nil && $0.message != nil })
        #expect(events.allSatisfy { $0.source?.file == "pg17.json" })
    }

    /// The server wrote the same entries to csvlog and jsonlog: both parses must agree on every field.
    @Test func csvlogAndJsonlogOfTheSameServerAgreeFieldByField() throws {
        var csvParser = CSVLogParser(file: "pg17.csv")
        let csvBytes = try fixture("pg17-workload.csv")
        let csvEvents = csvParser.consume(csvBytes, startingAt: 0) + csvParser.flush()
        var jsonParser = JSONLogParser(file: "pg17.json")
        let jsonEvents = try parse("pg17-workload.json", with: &jsonParser)
        #expect(csvEvents.count == 149 && jsonEvents.count == 149)

        // The syslogger interleaves the two files' writes differently: match entries by session line.
        func key(_ event: LogEvent) -> String { "\(event.sessionID ?? "-")/\(event.sessionLine ?? -1)" }
        let byKey = Dictionary(uniqueKeysWithValues: jsonEvents.map { (key($0), $0) })
        let classifier = LogClassifier(redactor: SQLRedactor(), correlation: try CorrelationExtractor())
        var compared = 0
        for csvEvent in csvEvents {
            let jsonEvent = try #require(byKey[key(csvEvent)], "\(key(csvEvent)) only in csvlog")
            var classifiedCSV = csvEvent
            var classifiedJSON = jsonEvent
            classifier.classify(&classifiedCSV)
            classifier.classify(&classifiedJSON)
            for (fromCSV, fromJSON) in [(csvEvent, jsonEvent), (classifiedCSV, classifiedJSON)] {
                let jsonFields = Dictionary(
                    uniqueKeysWithValues: Mirror(reflecting: fromJSON).children.map { ($0.label ?? "", $0.value) })
                for field in Mirror(reflecting: fromCSV).children where field.label != "source" && field.label != "details" {
                    let label = field.label ?? ""
                    #expect(String(describing: field.value) == String(describing: jsonFields[label] ?? "absent"),
                            "\(label) of \(key(csvEvent))")
                }
                #expect(fromCSV.details == fromJSON.details, "details of \(key(csvEvent))")
            }
            compared += 1
        }
        #expect(compared == 149)
    }

    /// The stderr parser's fixture sets (Fixtures/<set>/postgresql.{csv,json}, some with `lc_messages`
    /// German or French) were written by one server in all three formats too. csvlog writes the
    /// severity translated and jsonlog in English: both must come out English, and agree otherwise.
    @Test func csvlogAndJsonlogAgreeInEveryFixtureSetAndLanguage() throws {
        let root = try #require(Bundle.module.url(forResource: "Fixtures", withExtension: nil))
        let sets = try FileManager.default.contentsOfDirectory(atPath: root.path).sorted().filter {
            FileManager.default.fileExists(atPath: root.appendingPathComponent("\($0)/postgresql.csv").path)
                && FileManager.default.fileExists(atPath: root.appendingPathComponent("\($0)/postgresql.json").path)
        }
        #expect(sets.count >= 1)
        var localized = 0
        for set in sets {
            var csvParser = CSVLogParser(file: "csv")
            let csvEvents = csvParser.consume(try fixture("\(set)/postgresql.csv"), startingAt: 0) + csvParser.flush()
            var jsonParser = JSONLogParser(file: "json")
            let jsonEvents = jsonParser.consume(try fixture("\(set)/postgresql.json"), startingAt: 0) + jsonParser.flush()
            #expect(csvParser.unparsedCount == 0 && jsonParser.unparsedCount == 0, "\(set)")
            func key(_ event: LogEvent) -> String { "\(event.sessionID ?? "-")/\(event.sessionLine ?? -1)" }
            let byKey = Dictionary(jsonEvents.map { (key($0), $0) }) { first, _ in first }
            var matched = 0
            for var csvEvent in csvEvents {
                // The statement that rotated the files may land in the old file in one format only.
                guard let jsonEvent = byKey[key(csvEvent)] else {
                    #expect(csvEvent.message?.hasSuffix("pg_rotate_logfile()") == true, "\(set): \(key(csvEvent))")
                    continue
                }
                if csvEvent.localizedSeverity != nil { localized += 1 }
                csvEvent.localizedSeverity = nil  // jsonlog does not translate the severity: nothing to compare with
                csvEvent.source = jsonEvent.source
                #expect(csvEvent == jsonEvent, "\(set): \(key(csvEvent))")
                matched += 1
            }
            #expect(matched >= 50, "\(set)")
        }
        if sets.contains("german") { #expect(localized > 0) }
    }

    // MARK: Keys and values

    @Test func everyKeyPostgreSQLWritesIsRead() {
        let line = #"{"timestamp":"2026-11-27 14:55:17.391 UTC","user":"alice","dbname":"shop","pid":4242,"remote_host":"10.0.0.7","remote_port":51234,"session_id":"6b0999d5.1092","line_num":17,"ps":"SELECT","session_start":"2026-11-27 14:55:17 UTC","vxid":"6/12","txid":987,"error_severity":"ERROR","state_code":"22012","message":"division by zero","detail":"d","hint":"h","internal_query":"SELECT 1/0","internal_position":8,"context":"c","statement":"SELECT f()","cursor_position":3,"func_name":"int4div","file_name":"int.c","file_line_num":841,"application_name":"bitville-ab12","backend_type":"parallel worker","leader_pid":4200,"query_id":-4839801192565040682}"#
        var parser = JSONLogParser(file: "f")
        let event = parser.consume(line: Array(line.utf8), offset: 10)
        var expected = LogEvent()
        expected.timestamp = "2026-11-27T14:55:17.391Z"
        expected.user = "alice"
        expected.database = "shop"
        expected.pid = 4242
        expected.remoteHost = "10.0.0.7"
        expected.sessionID = "6b0999d5.1092"
        expected.sessionLine = 17
        expected.virtualXID = "6/12"
        expected.xid = 987
        expected.severity = .error
        expected.sqlstate = "22012"
        expected.message = "division by zero"
        expected.detail = "d"
        expected.hint = "h"
        expected.internalQuery = "SELECT 1/0"
        expected.internalPosition = 8
        expected.cursorPosition = 3
        expected.context = "c"
        expected.statement = "SELECT f()"
        expected.location = "int4div, int.c:841"
        expected.applicationName = "bitville-ab12"
        expected.backendType = "parallel worker"
        expected.leaderPID = 4200
        expected.queryID = -4839801192565040682
        expected.source = LogEvent.Source(file: "f", offset: 10)
        #expect(event == expected)
    }

    @Test func unknownKeysAreSkippedWhateverTheirValue() {
        let line = #"{"future":{"a":[1,2.5e3,{"b":null}],"c":"}"},"timestamp":"2026-11-27 14:55:17.391 UTC","flag":true,"n":-0.5,"pid":1,"error_severity":"LOG","message":"ok","empty":[],"obj":{}}"#
        var parser = JSONLogParser(file: "f")
        let event = parser.consume(line: Array(line.utf8), offset: 0)
        #expect(event?.message == "ok" && event?.pid == 1 && parser.unparsedCount == 0)
    }

    @Test func stringEscapesAreDecoded() {
        let line = #"{"timestamp":"2026-11-27 14:55:17.391 UTC","message":"tab\there \"q\" back\\slash\/ nl\n cr\r bs\b ff\f \u0001 \u00e9\u6771 \ud83d\udc18 lone \ud800 end","statement":"Grüße"}"#
        var parser = JSONLogParser(file: "f")
        let event = parser.consume(line: Array(line.utf8), offset: 0)
        #expect(event?.message == "tab\there \"q\" back\\slash/ nl\n cr\r bs\u{08} ff\u{0C} \u{01} é東 🐘 lone \u{FFFD} end")
        #expect(event?.statement == "Grüße")
    }

    @Test func emptyAndNullValuesAreLeftOut() {
        let line = #"{"timestamp":"2026-11-27 14:55:17.391 UTC","user":"","dbname":null,"pid":null,"ps":"","message":"m","txid":0,"query_id":0,"state_code":"00000"}"#
        var parser = JSONLogParser(file: "f")
        let event = parser.consume(line: Array(line.utf8), offset: 0)
        #expect(event?.user == nil && event?.database == nil && event?.pid == nil)
        #expect(event?.xid == nil && event?.queryID == nil && event?.sqlstate == nil && event?.message == "m")
    }

    // MARK: Damaged input

    @Test func brokenLinesAreUnparsedAndNeverCrash() {
        let broken = [
            #"{"timestamp":"2026-11-27 14:55:17.391 UTC","message":"cut"#,
            #"{"timestamp":"2026-11-27 14:55:17.391 UTC","message":"m"} trailing"#,
            #"{"timestamp":"2026-11-27 14:55:17.391 UTC","message":"bad \x escape"}"#,
            #"{"timestamp":"2026-11-27 14:55:17.391 UTC","message":"bad \u12 escape"}"#,
            #"{"timestamp":"2026-11-27 14:55:17.391 UTC","pid":12a}"#,
            #"{"timestamp":"2026-11-27 14:55:17.391 UTC","pid":"12"}"#,
            #"{"timestamp":"2026-11-27 14:55:17.391 UTC",}"#,
            #"{"message":"no timestamp"}"#,
            #"{"timestamp":"yesterday","message":"m"}"#,
            #"["timestamp"]"#,
            #"2026-11-27 14:55:17.391 UTC [1] LOG:  stderr line"#,
            "{\"timestamp\":\"2026-11-27 14:55:17.391 UTC\",\"message\":\"raw \u{01} control\"}",
            "{\"timestamp\":\"2026-11-27 14:55:17.391 UTC\",\"message\":\"nul \u{00} byte\"}",
            String(repeating: "[", count: 100_000),
            "{\"a\":" + String(repeating: "[", count: 100_000),
        ]
        var parser = JSONLogParser(file: "f")
        for line in broken {
            #expect(parser.consume(line: Array(line.utf8), offset: 0) == nil, "\(line.prefix(60))")
        }
        #expect(parser.unparsedCount == broken.count && parser.lineCount == 0)
        let garbage: [UInt8] = [0xFF, 0x00, 0x7B, 0x22, 0xC3, 0x28, 0x0A, 0x7D]
        #expect(parser.consume(line: garbage, offset: 0) == nil)
        #expect(parser.consume(line: Array("   \r\n".utf8), offset: 0) == nil)
        #expect(parser.unparsedCount == broken.count + 1)
    }

    @Test func aRunOfNULsBeforeAnEntryIsSkipped() {
        let line = [UInt8](repeating: 0, count: 3000)
            + Array(#"{"timestamp":"2026-11-27 14:55:17.391 UTC","message":"after the hole"}"#.utf8) + [0x0A]
        var parser = JSONLogParser(file: "f")
        let events = parser.consume(line, startingAt: 0) + parser.flush()
        #expect(events.map(\.message) == ["after the hole"] && parser.unparsedCount == 1)
        #expect(events.first?.source?.offset == 3000)
    }

    @Test func invalidUTF8IsReplacedAndCounted() {
        let line = Array(#"{"timestamp":"2026-11-27 14:55:17.391 UTC","message":"caf"#.utf8) + [0xE9] + Array(#""}"#.utf8)
        var parser = JSONLogParser(file: "f")
        let event = parser.consume(line: line, offset: 0)
        #expect(event?.message == "caf\u{FFFD}")
        #expect(parser.invalidUTF8Count == 1 && parser.unparsedCount == 0)
    }

    // MARK: Chunks

    @Test func chunkedInputGivesTheSameEventsAsLines() throws {
        let bytes = try fixture("pg17-workload.json")
        var byLine = JSONLogParser(file: "f")
        var expected: [LogEvent] = []
        var start = 0
        for (index, byte) in bytes.enumerated() where byte == 0x0A {
            if let event = byLine.consume(line: bytes[start..<index], offset: Int64(start)) { expected.append(event) }
            start = index + 1
        }
        for size in [1, 13, 4096, bytes.count] {
            var parser = JSONLogParser(file: "f")
            var events: [LogEvent] = []
            for chunk in stride(from: 0, to: bytes.count, by: size) {
                events += parser.consume(bytes[chunk..<min(chunk + size, bytes.count)], startingAt: Int64(chunk))
            }
            events += parser.flush()
            #expect(events == expected, "chunks of \(size)")
            #expect(parser.resumeOffset == Int64(bytes.count))
        }
    }

    @Test func aBrokenLineInTheMiddleIsSkipped() throws {
        let bytes = try fixture("pg17-workload.json")
        let firstNewline = try #require(bytes.firstIndex(of: 0x0A))
        let input = Array(bytes[...firstNewline]) + Array(#"{"timestamp":"2026-11-27 14:55:17.391 UTC","mess"#.utf8) + [0x0A]
            + Array(bytes[(firstNewline + 1)...]) + Array(#"{"timestamp":"2026"#.utf8)
        var parser = JSONLogParser(file: "f")
        let events = parser.consume(input, startingAt: 0) + parser.flush()
        #expect(events.count == 149 && parser.unparsedCount == 2)
    }

    // MARK: The cap

    @Test func anOversizedLineIsCutInsideItsStringsAndTheTailGoesOn() {
        let huge = String(repeating: "ab\\n\\u00e9\\\"", count: 3000)  // escapes at every turn
        let line = #"{"timestamp":"2026-11-27 14:55:17.391 UTC","pid":7,"message":"duration: 1 ms  statement: "#
            + huge + #"","application_name":"bitville-abc","backend_type":"client backend","query_id":77}"# + "\n"
        let next = #"{"timestamp":"2026-11-27 14:55:18.000 UTC","pid":8,"message":"after"}"# + "\n"
        let input = Array((line + next).utf8)
        for chunk in [300, input.count] {
            var parser = JSONLogParser(file: "f", entryCap: 4096)
            var events: [LogEvent] = []
            for start in stride(from: 0, to: input.count, by: chunk) {
                events += parser.consume(input[start..<min(start + chunk, input.count)], startingAt: Int64(start))
            }
            events += parser.flush()
            #expect(events.count == 2, "chunks of \(chunk)")
            let cut = events.first
            #expect(cut?.truncated == true && parser.truncatedCount == 1 && parser.unparsedCount == 0)
            #expect(cut?.message?.hasPrefix("duration: 1 ms  statement: ab\né\"ab") == true)
            #expect((cut?.message?.utf8.count ?? 0) < 4096)
            #expect(cut?.applicationName == "bitville-abc" && cut?.queryID == 77)
            #expect(events.last?.message == "after" && events.last?.source?.offset == Int64(line.utf8.count))
        }
    }

    @Test func theCutNeverSplitsAnEscapeOrACharacter() {
        for padding in 0..<12 {
            let body = String(repeating: "a", count: padding) + String(repeating: #"\ud83d\udc18é\u0041\\"#, count: 200)
            let line = #"{"timestamp":"2026-11-27 14:55:17.391 UTC","message":""# + body + #"","backend_type":"x"}"#
            var parser = JSONLogParser(file: "f", entryCap: 512)
            let event = parser.consume(line: Array(line.utf8), offset: 0)
            let text = event?.message ?? ""
            let full = String(repeating: "a", count: padding) + String(repeating: "🐘éA\\", count: 200)
            #expect(event?.truncated == true && event?.backendType == "x", "padding \(padding)")
            #expect(!text.contains("\u{FFFD}") && full.hasPrefix(text) && text.count > 50, "padding \(padding)")
        }
    }

    // MARK: Helpers

    private func fixture(_ name: String) throws -> [UInt8] {
        let url = try #require(Bundle.module.url(forResource: "Fixtures", withExtension: nil))
        return try [UInt8](Data(contentsOf: url.appendingPathComponent(name)))
    }

    private func parse(_ name: String, with parser: inout JSONLogParser) throws -> [LogEvent] {
        parser.consume(try fixture(name), startingAt: 0) + parser.flush()
    }
}
