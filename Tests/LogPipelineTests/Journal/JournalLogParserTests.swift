import AgentSchema
import Foundation
@testable import LogPipeline
import Testing

/// The journal's JSON records of the server's syslog messages and of a unit's stderr, read into entries
/// equal to the server's own jsonlog (Fixtures/syslog-pg15).
@Suite struct JournalLogParserTests {
    static func parse(_ text: String, prefix: String = SyslogLogParserTests.prefix) throws -> (events: [LogEvent], statistics: LogEntryParser.Statistics) {
        var parser = LogEntryParser(format: .journal, prefix: try LogLinePrefix(prefix), fileName: "journal", maximumEntryBytes: 1 << 20)
        return parser.parseWhole(Array(text.utf8))
    }

    @Test func syslogMessagesInTheJournalEqualTheServersJSONLog() throws {
        // journalctl's match keeps the server's entries only.
        let entries = try JournalFixture.entries().filter { $0.identifier == "postgres" }
        let (events, statistics) = try Self.parse(try JournalFixture.json(entries))
        let (json, _) = try SyslogLogParserTests.parse(try SyslogLogParserTests.fixture("server.json"), format: .jsonlog)
        #expect(statistics.unparsed == 0)
        let compared = events.filter { $0.message?.hasPrefix("redirecting log output") != true }
        #expect(compared.count == json.count)
        let byKey = Dictionary(grouping: json, by: SyslogLogParserTests.key)
        for event in compared {
            let oracle = try #require(byKey[SyslogLogParserTests.key(event)]?.first, "\(SyslogLogParserTests.key(event))")
            #expect(event.detail == oracle.detail && event.hint == oracle.hint && event.statement == oracle.statement)
            #expect(event.applicationName == oracle.applicationName && event.context == oracle.context)
        }
    }

    @Test func aUnitsStderrAndBinaryMessagesAreRead() throws {
        let lines = [
            #"{"__CURSOR":"c1","__REALTIME_TIMESTAMP":"1796637600000000","_TRANSPORT":"stdout","_PID":"7","MESSAGE":"2026-12-07 10:00:00.000 UTC [42] ERROR:  boom"}"#,
            #"{"__CURSOR":"c2","__REALTIME_TIMESTAMP":"1796637600000100","_TRANSPORT":"stdout","_PID":"7","MESSAGE":"2026-12-07 10:00:00.000 UTC [43] LOG:  other"}"#,
            #"{"__CURSOR":"c3","__REALTIME_TIMESTAMP":"1796637600000200","_TRANSPORT":"stdout","_PID":"7","MESSAGE":"2026-12-07 10:00:00.000 UTC [42] STATEMENT:  SELECT 1"}"#,
            // Not UTF-8: journalctl prints the bytes as numbers ("caf\xe9").
            #"{"__CURSOR":"c4","__REALTIME_TIMESTAMP":"1796637600000300","_TRANSPORT":"stdout","_PID":"7","MESSAGE":[50,48,50,54,45,49,50,45,48,55,32,49,48,58,48,48,58,48,48,46,48,48,48,32,85,84,67,32,91,52,52,93,32,76,79,71,58,32,32,99,97,102,233]}"#,
            #"{"MESSAGE":"no cursor"}"#,
        ]
        let (events, statistics) = try Self.parse(lines.joined(separator: "\n") + "\n", prefix: "%m [%p] ")
        let byPID = Dictionary(grouping: events, by: { $0.pid ?? 0 })
        // Lines of backends interleaved on the unit's one stream still join by the prefix's pid.
        #expect(byPID[42]?.first?.statement == "SELECT 1")
        #expect(byPID[43]?.first?.message == "other")
        #expect(byPID[44]?.first?.message == "caf\u{FFFD}")
        #expect(statistics.unparsed == 1)
    }

    @Test func theCheckpointCursorNeverPassesAnOpenEntry() throws {
        var parser = JournalLogParser(prefix: try LogLinePrefix("%m [%p] "), fileName: "journal", maximumEntryBytes: 1 << 20, timeZone: nil)
        func feed(_ line: String, offset: Int64) -> [LogEvent] {
            var events: [LogEvent] = []
            Array(line.utf8).withUnsafeBufferPointer {
                _ = parser.consume(LogRecord(bytes: $0, offset: offset, truncated: false, separators: UnsafeBufferPointer(start: nil, count: 0)),
                                   into: &events)
            }
            return events
        }
        _ = feed(#"{"__CURSOR":"a","__REALTIME_TIMESTAMP":"100","_TRANSPORT":"syslog","SYSLOG_PID":"1","MESSAGE":"[1-1] 2026-12-07 10:00:00.000 UTC [1] LOG:  one"}"#, offset: 0)
        _ = feed(#"{"__CURSOR":"b","__REALTIME_TIMESTAMP":"200","_TRANSPORT":"syslog","SYSLOG_PID":"2","MESSAGE":"[1-1] 2026-12-07 10:00:00.000 UTC [2] LOG:  two"}"#, offset: 1)
        // Both entries are open (their next part may come): no record may be passed yet.
        #expect(parser.checkpointCursor() == nil)
        let done = feed(#"{"__CURSOR":"c","__REALTIME_TIMESTAMP":"300","_TRANSPORT":"syslog","SYSLOG_PID":"1","MESSAGE":"[2-1] 2026-12-07 10:00:00.000 UTC [1] LOG:  three"}"#, offset: 2)
        _ = done
        var completed: [LogEvent] = []
        parser.completeOpenEntries(into: &completed)
        #expect(completed.count >= 2)
        #expect(parser.checkpointCursor()?.cursor == "c")
    }
}

/// Fixtures/journal-pg15: the syslog fixture's messages in a real journal file (systemd-journal-remote),
/// as journalctl --output=json --all prints them, with a unit's stderr and systemd's own messages.
@Suite struct JournalFixtureTests {
    @Test func theJournalsExportEqualsTheServersJSONLog() throws {
        let bytes = Array(try StderrLogParserJSONLogOracleTests.fixture("journal-pg15/journal.json"))
        #expect(LogFormatDetector.format(name: "journal.json", head: Array(bytes.prefix(4_096))) == .journal)
        var parser = LogEntryParser(format: .journal, prefix: try LogLinePrefix(SyslogLogParserTests.prefix), fileName: "journal",
                                    maximumEntryBytes: 1 << 20)
        var events = bytes.withUnsafeBufferPointer { parser.consume($0, offset: 0) }
        events += parser.finish()
        #expect(parser.statistics.unparsed == 0)
        #expect(parser.statistics.foreign == 11, "cron, CRON, app and systemd's own unit messages")
        let (json, _) = try SyslogLogParserTests.parse(try SyslogLogParserTests.fixture("server.json"), format: .jsonlog)
        let byKey = Dictionary(grouping: events, by: SyslogLogParserTests.key)
        for record in json {
            let event = try #require(byKey[SyslogLogParserTests.key(record)]?.first, "\(SyslogLogParserTests.key(record))")
            #expect(event.detail == record.detail && event.statement == record.statement && event.hint == record.hint)
        }
    }
}
