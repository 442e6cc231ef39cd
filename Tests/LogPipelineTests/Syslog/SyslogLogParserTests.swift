import AgentSchema
import Foundation
@testable import LogPipeline
import Testing

/// PostgreSQL's log through a real rsyslogd (Fixtures/syslog-pg15, made by its generate.sh): the server
/// logged `syslog,jsonlog` at once, so its jsonlog is the oracle for the syslog parse, field by field
/// wherever the prefix carries the field, in rsyslog's three file formats.
@Suite struct SyslogLogParserTests {
    static let prefix = "%m [%p] %q%u@%d %a "
    /// 2026-12-07T12:00:00Z, the day the fixtures were made.
    static let fixtureDay: Int64 = 1_796_644_800

    static func parse(_ bytes: [UInt8], format: LogFormat = .syslog, prefix: String = prefix, hostZone: TimeZoneRules? = nil,
                      reference: Int64 = fixtureDay, chunk: Int = 1 << 20) throws -> (events: [LogEvent], statistics: LogEntryParser.Statistics) {
        var parser = LogEntryParser(format: format, prefix: try LogLinePrefix(prefix), fileName: "syslog",
                                    maximumEntryBytes: 1 << 20, hostTimeZone: hostZone, referenceTime: reference)
        return parser.parseWhole(bytes, chunk: chunk)
    }

    static func fixture(_ name: String) throws -> [UInt8] {
        Array(try StderrLogParserJSONLogOracleTests.fixture("syslog-pg15/\(name)"))
    }

    /// An entry's identity across formats.
    static func key(_ event: LogEvent) -> String {
        "\(event.timestamp ?? "-")|\(event.pid ?? -1)|\(event.severity?.rawValue ?? "-")|\(event.message ?? "")"
    }

    @Test(arguments: ["traditional.log", "precise.log", "rfc5424.log"])
    func everyEntryEqualsItsJSONLogRecord(_ file: String) throws {
        let (syslog, statistics) = try Self.parse(try Self.fixture(file), chunk: 4_093)
        let (json, _) = try Self.parse(try Self.fixture("server.json"), format: .jsonlog)
        #expect(statistics.unparsed == 0)
        #expect(statistics.foreign == 5, "cron, CRON and app lines are counted apart")
        // Before the logging collector starts, the server says so to syslog only.
        let extra = syslog.filter { $0.message?.hasPrefix("redirecting log output to logging collector") == true }
        #expect(extra.count == 1)
        let byKey = Dictionary(grouping: json, by: Self.key)
        let compared = syslog.filter { $0.message?.hasPrefix("redirecting log output") != true }
        #expect(compared.count == json.count)
        for event in compared {
            let oracle = try #require(byKey[Self.key(event)]?.first, "no jsonlog record for \(Self.key(event))")
            #expect(event.detail == oracle.detail, "\(Self.key(event))")
            #expect(event.hint == oracle.hint, "\(Self.key(event))")
            #expect(event.context == oracle.context, "\(Self.key(event))")
            #expect(event.statement == oracle.statement, "\(Self.key(event))")
            #expect(event.internalQuery == oracle.internalQuery, "\(Self.key(event))")
            #expect(event.cursorPosition == oracle.cursorPosition, "\(Self.key(event))")
            #expect(event.user == oracle.user && event.database == oracle.database, "\(Self.key(event))")
            #expect(event.applicationName == oracle.applicationName, "\(Self.key(event))")
        }
        // The long statements come back whole from their 900-byte parts.
        let longest = compared.compactMap(\.message).map(\.utf8.count).max() ?? 0
        #expect(longest > 3_000)
    }

    @Test func autoDetectsSyslogAndItsPrefix() throws {
        let head = try Self.fixture("traditional.log")
        #expect(LogFormatDetector.format(name: "syslog", head: head) == .syslog)
        #expect(LogFormatDetector.format(name: "messages", head: try Self.fixture("rfc5424.log")) == .syslog)
        let prefix = LogFormatDetector.prefix(for: LogFormatDetector.syslogMessages(head))
        #expect(prefix != nil)
        let stderr = Array("2026-12-07 04:57:27.951 UTC [23001] LOG:  checkpoint starting: time\n".utf8)
        #expect(LogFormatDetector.format(name: "postgresql.log", head: stderr) == .stderr)
    }

    @Test func partsOfInterleavedProcessesJoinPerProcess() throws {
        let long = String(repeating: "x", count: 950)
        let lines = [
            "Dec  7 05:57:28 db-1 postgres[10]: [5-1] 2026-12-07 04:57:28.001 UTC [10] LOG:  statement: SELECT 'a',",
            "Dec  7 05:57:28 db-1 postgres[11]: [7-1] 2026-12-07 04:57:28.002 UTC [11] ERROR:  boom",
            "Dec  7 05:57:28 db-1 postgres[10]: [5-2]  'b'",  // a cut at whitespace: goes on with the line
            "Dec  7 05:57:28 db-1 postgres[11]: [7-2] 2026-12-07 04:57:28.002 UTC [11] DETAIL:  first#012#011second",
            "Dec  7 05:57:28 db-1 postgres[10]: [5-3] #011FROM t",  // a new line of the statement
            "Dec  7 05:57:28 db-1 kernel: [12345.678] something else",
            "Dec  7 05:57:28 db-1 postgres[12]: [2-1] 2026-12-07 04:57:28.003 UTC [12] LOG:  \(long.prefix(860))",
            "Dec  7 05:57:28 db-1 postgres[12]: [2-2] \(long.dropFirst(860))",  // a hard cut: no whitespace
            "not a syslog line at all",
        ]
        let (events, statistics) = try Self.parse(Array((lines.joined(separator: "\n") + "\n").utf8), prefix: "%m [%p] ")
        let byPID = Dictionary(grouping: events.filter { $0.event != .unparsed }, by: { $0.pid ?? 0 })
        #expect(byPID[10]?.first?.message == "statement: SELECT 'a', 'b'\nFROM t")
        #expect(byPID[11]?.first?.detail == "first\nsecond")
        #expect(byPID[12]?.first?.message == long)
        #expect(statistics.foreign == 1)
        #expect(statistics.unparsed == 1)
    }

    /// A database user's one-line statement of 4.5 MB reaches syslog as 5,000 parts of 900 bytes: it is
    /// held to the entry cap while it is joined, and cut and marked truncated.
    @Test func aHugeLineIsCappedWhileItIsJoined() throws {
        let part = String(repeating: "y", count: 897)
        var lines = ["Dec  7 05:57:28 db-1 postgres[10]: [5-1] 2026-12-07 04:57:28.001 UTC [10] LOG:  statement: SELECT '\(part.prefix(840))"]
        for index in 2...5_000 { lines.append("Dec  7 05:57:28 db-1 postgres[10]: [5-\(index)] \(part)") }
        lines.append("Dec  7 05:57:29 db-1 postgres[10]: [6-1] 2026-12-07 04:57:29.001 UTC [10] LOG:  next")
        // What is held while the parts come in stays at the cap (plus the part in hand), never the line.
        var parser = SyslogLogParser(prefix: try LogLinePrefix("%m [%p] "), fileName: "syslog", maximumEntryBytes: 1 << 20,
                                     timeZone: nil, referenceTime: Self.fixtureDay)
        var held = 0
        var sink: [LogEvent] = []
        for line in lines.dropLast() {
            let message = Array(line[line.range(of: "]: ")!.upperBound...].utf8)
            message.withUnsafeBufferPointer { parser.consume(message: $0, pid: 10, timestamp: nil, offset: 0, escaped: false, into: &sink) }
            held = max(held, parser.pendingBytes)
        }
        #expect(held <= (1 << 20) + 1, "held \(held) bytes while joining")
        let (events, _) = try Self.parse(Array((lines.joined(separator: "\n") + "\n").utf8), prefix: "%m [%p] ")
        let statement = try #require(events.first { $0.message?.hasPrefix("statement:") == true })
        #expect((statement.message?.utf8.count ?? .max) <= 1 << 20)
        #expect(statement.truncated == true)
        #expect(events.last?.message == "next")
    }

    /// Twenty processes each in the middle of a 600 KB line: together past the budget of lines being
    /// joined, so the largest are completed early; every entry comes out, none over the cap.
    @Test func linesBeingJoinedShareOneBudget() throws {
        let part = String(repeating: "z", count: 897)
        var lines: [String] = []
        for pid in 100..<120 {
            lines.append("Dec  7 05:57:28 db-1 postgres[\(pid)]: [1-1] 2026-12-07 04:57:28.001 UTC [\(pid)] LOG:  \(part.prefix(860))")
        }
        for index in 2...700 {
            for pid in 100..<120 { lines.append("Dec  7 05:57:28 db-1 postgres[\(pid)]: [1-\(index)] \(part)") }
        }
        let (events, _) = try Self.parse(Array((lines.joined(separator: "\n") + "\n").utf8), prefix: "%m [%p] ")
        #expect(Set(events.compactMap(\.pid)) == Set(100..<120))
        #expect(events.allSatisfy { ($0.message?.utf8.count ?? 0) <= 1 << 20 })
        #expect(events.count > 20, "the budget completed some lines before their end: \(events.count) entries")
    }

    @Test func sequenceNumbersOffAndSplittingOffStillJoin() throws {
        let lines = [
            // syslog_sequence_numbers = off: `[k]`.
            "2026-12-07T05:57:31.694000+01:00 db-1 postgres[20]: [1] 2026-12-07 04:57:31.694 UTC [20] ERROR:  duplicate key",
            "2026-12-07T05:57:31.694000+01:00 db-1 postgres[20]: [2] 2026-12-07 04:57:31.694 UTC [20] DETAIL:  Key (id)=(2) already exists.",
            // syslog_split_messages = off: `[N]`, newlines escaped.
            "2026-12-07T05:57:32.748000+01:00 db-1 postgres[21]: [15] 2026-12-07 04:57:32.748 UTC [21] ERROR:  dup#0122026-12-07 04:57:32.748 UTC [21] STATEMENT:  INSERT#012#011VALUES (3)",
            // No tag at all.
            "2026-12-07T05:57:33.000000+01:00 db-1 postgres[22]: 2026-12-07 04:57:33.000 UTC [22] LOG:  checkpoint starting: time",
        ]
        let (events, _) = try Self.parse(Array((lines.joined(separator: "\n") + "\n").utf8), prefix: "%m [%p] ")
        let byPID = Dictionary(grouping: events, by: { $0.pid ?? 0 })
        #expect(byPID[20]?.count == 1 && byPID[20]?.first?.detail == "Key (id)=(2) already exists.")
        #expect(byPID[21]?.first?.statement == "INSERT\nVALUES (3)")
        #expect(byPID[22]?.first?.message == "checkpoint starting: time")
    }

    @Test func aPrefixWithoutTimeOrPIDTakesThemFromTheHeader() throws {
        let berlin = try TimeZoneDatabase().rules(named: "Europe/Berlin")
        let lines = [
            "Dec 31 23:59:59 db-1 postgres[30]: [1-1] LOG:  checkpoint starting: time",
            "2026-12-07T05:57:28.131271+01:00 db-1 postgres[31]: [1-1] LOG:  checkpoint complete",
            "<134>1 2026-12-07T05:57:28.5Z db-1 postgres 32 - -  [1-1] LOG:  database system is ready to accept connections",
        ]
        // Read on 2 January 2027: the December line is from 2026, in the host's zone (CET, +01:00).
        let (events, _) = try Self.parse(Array((lines.joined(separator: "\n") + "\n").utf8), prefix: "", hostZone: berlin,
                                         reference: 1_798_848_000 + 86_400)
        let byPID = Dictionary(grouping: events, by: { $0.pid ?? 0 })
        #expect(byPID[30]?.first?.timestamp == "2026-12-31T22:59:59.000Z")
        #expect(byPID[31]?.first?.timestamp == "2026-12-07T04:57:28.131Z")
        #expect(byPID[32]?.first?.timestamp == "2026-12-07T05:57:28.500Z")
    }

    @Test func anotherIdentIsForeign() throws {
        let line = "Dec  7 05:57:28 db-1 pg-main[40]: [1-1] 2026-12-07 04:57:28.001 UTC [40] LOG:  checkpoint starting: time\n"
        var parser = LogEntryParser(format: .syslog, prefix: try LogLinePrefix("%m [%p] "), fileName: "s", maximumEntryBytes: 1 << 20,
                                    syslogIdent: "pg-main", referenceTime: Self.fixtureDay)
        var events = Array(line.utf8).withUnsafeBufferPointer { parser.consume($0, offset: 0) }
        events += parser.finish()
        #expect(events.count == 1 && parser.statistics.foreign == 0)
        let (others, statistics) = try Self.parse(Array(line.utf8), prefix: "%m [%p] ")
        #expect(others.isEmpty && statistics.foreign == 1)
    }
}
