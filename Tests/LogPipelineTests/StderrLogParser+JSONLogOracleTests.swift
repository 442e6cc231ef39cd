import AgentSchema
import Foundation
@testable import LogPipeline
import Testing

/// The server writes every event to stderr, csvlog and jsonlog at once (the fixtures were made that way,
/// see Fixtures/README.md), so jsonlog is an oracle for the stderr parser: for every entry, the stderr
/// parse must equal the jsonlog record field by field, wherever the prefix carries that field.
///
/// The jsonlog side is read here with Foundation's JSONSerialization, on purpose independent of the
/// package's own jsonlog parser.
@Suite struct StderrLogParserJSONLogOracleTests {
    /// One fixture set: a directory of Fixtures/ and the settings that made it.
    struct FixtureSet: CustomTestStringConvertible, Sendable {
        var directory: String
        var prefix: String
        /// `log_error_verbosity = verbose`: the SQLSTATE is in the stderr text and LOCATION lines exist.
        var verbose = false
        /// `lc_messages`.
        var language = "en"
        /// `log_timezone`, read from the system's tz database; nil: the zone printed needs none.
        var timeZone: String?
        /// The server wrote lines to stderr that csvlog and jsonlog do not have (a memory-context dump):
        /// they come out as `unparsed` events.
        var stderrOnlyLines = false
        var testDescription: String { directory }
    }

    static let sets: [FixtureSet] = [
        FixtureSet(directory: "debian", prefix: "%m [%p] %q%u@%d "),
        FixtureSet(directory: "rds", prefix: "%t:%r:%u@%d:[%p]:"),
        FixtureSet(directory: "bracketed", prefix: "%m [%p] %q[user=%u,db=%d,app=%a] "),
        FixtureSet(
            directory: "all-escapes",
            prefix: "%m %n %t [%-7p] %5P %l %c %v %x %e %Q <%-16b> %s | %q%10u|%-12d|%a|%r|%h|%L|%i|%% "
        ),
        FixtureSet(directory: "empty", prefix: ""),
        FixtureSet(
            directory: "pgbadger-verbose", prefix: "%t [%p]: [%l-1] %qdb=%d,user=%u,app=%a,client=%h ", verbose: true
        ),
        FixtureSet(directory: "german", prefix: "%m [%p] %q%u@%d ", language: "de"),
        FixtureSet(directory: "french", prefix: "%m [%p] %q%u@%d ", language: "fr"),
        FixtureSet(directory: "spanish", prefix: "%m [%p] %q%u@%d ", language: "es"),
        FixtureSet(directory: "japanese", prefix: "%m [%p] %q%u@%d ", language: "ja"),
        // No %p: the pid comes from the session id.
        FixtureSet(directory: "session-id-no-pid", prefix: "%m %c %q%u@%d "),
        // Ambiguous abbreviations, resolved with the server's zone.
        FixtureSet(directory: "kolkata", prefix: "%m [%p] %q%u@%d %a ", timeZone: "Asia/Kolkata"),
        FixtureSet(directory: "new-york", prefix: "%t [%p] %q%u@%d ", timeZone: "America/New_York"),
        // Every class an operator alerts on, in English and four translations (server restarts included).
        FixtureSet(directory: "classes-pg17", prefix: "%m [%p] %q%u@%d %a "),
        FixtureSet(directory: "classes-pg18", prefix: "%m [%p] %q%u@%d %a "),
        FixtureSet(directory: "classes-de", prefix: "%m [%p] %q%u@%d %a ", language: "de"),
        FixtureSet(directory: "classes-fr", prefix: "%m [%p] %q%u@%d %a ", language: "fr"),
        FixtureSet(directory: "classes-es", prefix: "%m [%p] %q%u@%d %a ", language: "es"),
        FixtureSet(directory: "classes-ja", prefix: "%m [%p] %q%u@%d %a ", language: "ja"),
        FixtureSet(directory: "classes-extreme-pg17", prefix: "%m [%p] %q%u@%d %a ", stderrOnlyLines: true),
        FixtureSet(directory: "classes-standby-pg17", prefix: "%m [%p] %q%u@%d %a "),
        FixtureSet(directory: "classes-limits-pg17", prefix: "%m [%p] %q%u@%d %a "),
    ]

    static func fixture(_ path: String) throws -> Data {
        let root = try #require(Bundle.module.url(forResource: "Fixtures", withExtension: nil))
        return try Data(contentsOf: root.appendingPathComponent(path))
    }

    /// Every entry of a stderr file, in file order, and the parser's counters.
    static func parseStderr(_ set: FixtureSet) throws -> (events: [LogEvent], statistics: StderrLogParser.Statistics) {
        let data = try fixture("\(set.directory)/postgresql.log")
        let zone = try set.timeZone.map { name throws in try TimeZoneDatabase().rules(named: name) }
        var parser = StderrLogParser(prefix: try LogLinePrefix(set.prefix), fileName: "postgresql.log", timeZone: zone)
        var events = Array(data).withUnsafeBufferPointer { parser.consume(lines: $0, offset: 0) }
        events += parser.flushAll()
        events.sort { $0.source!.offset < $1.source!.offset }
        return (events, parser.statistics)
    }

    static func parseJSON(_ set: FixtureSet) throws -> [[String: Any]] {
        let data = try fixture("\(set.directory)/postgresql.json")
        return try data.split(separator: UInt8(ascii: "\n")).map {
            try #require(try JSONSerialization.jsonObject(with: Data($0)) as? [String: Any])
        }
    }

    @Test(arguments: sets) func everyStderrEntryEqualsItsJSONLogRecord(_ set: FixtureSet) throws {
        // The statement that rotated the files is logged around the rotation, and may land in the old
        // file in one format and in the new one in another: it is no parse result, so we leave it out.
        let rotation = "SELECT pg_rotate_logfile()"
        let (allEvents, statistics) = try Self.parseStderr(set)
        let events = allEvents.filter { !($0.message ?? "").hasSuffix(rotation) && $0.event != .unparsed }
        let records = try Self.parseJSON(set).filter { !(($0["message"] as? String) ?? "").hasSuffix(rotation) }
        #expect(statistics.unparsedLines == 0 || set.stderrOnlyLines)
        #expect(statistics.unknownSeverityLines == 0)
        #expect(events.count == records.count)
        #expect(events.count >= 50)

        // Entries of one process are in the same order in both files; across processes the order of the
        // two files may differ, so we pair them per pid (in file order where the prefix has no pid).
        let hasPID = events.contains { $0.pid != nil }
        var recordsByPID: [Int: [[String: Any]]] = [:]
        for record in records { recordsByPID[hasPID ? record["pid"] as! Int : 0, default: []].append(record) }
        var eventsByPID: [Int: [LogEvent]] = [:]
        for event in events { eventsByPID[event.pid ?? 0, default: []].append(event) }
        #expect(Set(eventsByPID.keys) == Set(recordsByPID.keys))

        var compared = 0
        for (pid, pidEvents) in eventsByPID {
            let pidRecords = recordsByPID[pid] ?? []
            #expect(pidEvents.count == pidRecords.count, "pid \(pid)")
            for (event, record) in zip(pidEvents, pidRecords) {
                compare(event, record, set)
                compared += 1
            }
        }
        #expect(compared == events.count)
    }

    /// Compares one stderr entry with its jsonlog record, for the fields the prefix carries.
    private func compare(_ event: LogEvent, _ record: [String: Any], _ set: FixtureSet) {
        let at = "\(set.directory) offset \(event.source?.offset ?? -1)"
        let prefix = set.prefix
        // Escapes after %q are printed only for processes with a client session (jsonlog: remote_host).
        let sessionPart = prefix.range(of: "%q").map { String(prefix[$0.upperBound...]) } ?? ""
        let isSession = record["remote_host"] != nil
        func carries(_ escapes: String...) -> Bool {
            escapes.contains { escape in
                prefix.contains(escape) && (isSession || !sessionPart.contains(escape))
            }
        }
        // Empty values are absent in every format (jsonlog writes `""` for a replication session's database).
        func string(_ key: String) -> String? { (record[key] as? String).flatMap { $0.isEmpty ? nil : $0 } }
        func integer(_ key: String) -> Int64? { (record[key] as? NSNumber)?.int64Value }

        // Times: %m and %n carry milliseconds, %t only seconds.
        if let time = string("timestamp"), carries("%m", "%n", "%t") {
            var expected = Self.rfc3339(time, zone: set.timeZone)
            if !carries("%m", "%n") { expected = String(expected.prefix(19)) + ".000Z" }
            #expect(event.timestamp == expected, "\(at): timestamp")
        }
        if carries("%p", "%c") { #expect(event.pid == record["pid"] as? Int, "\(at): pid") }
        #expect(event.severity?.rawValue == string("error_severity"), "\(at): severity")
        // jsonlog leaves out 00000 (successful completion); stderr prints it.
        if carries("%e") || set.verbose {
            #expect(event.sqlstate == string("state_code") ?? "00000", "\(at): sqlstate")
        }

        // stderr appends the cursor position to the message (` at character 15`, localised); the parser
        // moves it into its field. stderr prints one position: the cursor's, else the internal query's.
        #expect(event.message == string("message"), "\(at): message")
        let position = (integer("cursor_position") ?? integer("internal_position")).map { Int($0) }
        if event.internalQuery != nil {
            #expect(event.internalPosition == position && event.cursorPosition == nil, "\(at): internal_position")
        } else {
            #expect(event.cursorPosition == position && event.internalPosition == nil, "\(at): cursor_position")
        }
        #expect(event.detail == string("detail"), "\(at): detail")
        #expect(event.hint == string("hint"), "\(at): hint")
        #expect(event.context == string("context"), "\(at): context")
        #expect(event.statement == string("statement"), "\(at): statement")
        #expect(event.internalQuery == string("internal_query"), "\(at): internal_query")
        if set.verbose, let file = string("file_name"), let line = integer("file_line_num") {
            let location = string("func_name").map { "\($0), \(file):\(line)" } ?? "\(file):\(line)"
            #expect(event.location == location, "\(at): location")
        } else {
            #expect(event.location == nil, "\(at): location")
        }

        if carries("%u") { #expect(event.user == string("user"), "\(at): user") }
        if carries("%d") { #expect(event.database == string("dbname"), "\(at): database") }
        if carries("%a") { #expect(event.applicationName == string("application_name"), "\(at): application_name") }
        if carries("%r", "%h") { #expect(event.remoteHost == string("remote_host"), "\(at): remote_host") }
        if carries("%c") { #expect(event.sessionID == string("session_id"), "\(at): session_id") }
        if carries("%b") { #expect(event.backendType == string("backend_type"), "\(at): backend_type") }
        if carries("%v") { #expect(event.virtualXID == string("vxid"), "\(at): vxid") }
        if carries("%x") {
            let xid = integer("txid").flatMap { $0 == 0 ? nil : $0 }
            #expect(event.xid == xid, "\(at): xid")
        }
        if carries("%Q") {
            let queryID = integer("query_id").flatMap { $0 == 0 ? nil : $0 }
            #expect(event.queryID == queryID, "\(at): query_id")
        }
        if carries("%P") { #expect(event.leaderPID == record["leader_pid"] as? Int, "\(at): leader_pid") }
        // %l counts every prefixed stderr line, jsonlog's line_num every record: they differ by design.
        if carries("%l") { #expect(event.sessionLine != nil, "\(at): session_line") }
        #expect(event.truncated == nil, "\(at): truncated")
    }

    /// jsonlog's `2026-11-27 14:58:49.946 UTC` (or `+0545`, `-03`) as RFC 3339 UTC, via Foundation.
    static func rfc3339(_ text: String, zone zoneName: String? = nil) -> String {
        let parts = text.split(separator: " ")
        let zone = String(parts[2])
        var seconds = 0
        if zone.hasPrefix("+") || zone.hasPrefix("-") {
            let digits = zone.dropFirst().filter(\.isNumber)
            let hours = Int(digits.prefix(2))!
            let minutes = digits.count > 2 ? Int(digits.dropFirst(2))! : 0
            seconds = (hours * 3_600 + minutes * 60) * (zone.hasPrefix("-") ? -1 : 1)
        }
        let parser = DateFormatter()
        parser.locale = Locale(identifier: "en_US_POSIX")
        parser.dateFormat = "yyyy-MM-dd HH:mm:ss.SSS"
        // A named zone goes through Foundation's own time zone data, independent of the parser's TZif reader.
        parser.timeZone = zoneName.flatMap { TimeZone(identifier: $0) } ?? TimeZone(secondsFromGMT: seconds)
        let date = parser.date(from: "\(parts[0]) \(parts[1])")!
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        formatter.timeZone = TimeZone(secondsFromGMT: 0)
        return formatter.string(from: date)
    }
}
