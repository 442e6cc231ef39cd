import AgentSchema
import Foundation
@testable import LogPipeline
import Testing

/// A server in a container: its stderr as Docker's json-file driver and the CRI runtimes store it, and
/// CloudNativePG's JSON lines. Unwrapped, each must read exactly as the log it wraps.
@Suite struct ContainerLogParserTests {
    static let prefix = "%m [%p] %q%u@%d %a "

    static func parse(_ text: String, format: LogFormat, prefix: String? = prefix, chunk: Int = 1 << 20) throws -> (events: [LogEvent], statistics: LogEntryParser.Statistics) {
        var parser = LogEntryParser(format: format, prefix: try prefix.map { try LogLinePrefix($0) }, fileName: "container.log",
                                    maximumEntryBytes: 1 << 20)
        return parser.parseWhole(Array(text.utf8), chunk: chunk)
    }

    static func json(_ object: [String: String]) throws -> String {
        String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
    }

    /// The real server log of Fixtures/classes-pg17, its first 600 lines.
    static func serverLines() throws -> [String] {
        let text = String(decoding: try StderrLogParserJSONLogOracleTests.fixture("classes-pg17/postgresql.log"), as: UTF8.self)
        return Array(text.split(separator: "\n", omittingEmptySubsequences: false).prefix(600).map(String.init))
    }

    static func withoutSource(_ events: [LogEvent]) -> [LogEvent] {
        events.map { var event = $0; event.source = nil; return event }
    }

    @Test func dockerAndCRIRecordsReadAsTheStderrTheyWrap() throws {
        let lines = try Self.serverLines()
        let plain = try Self.parse(lines.joined(separator: "\n") + "\n", format: .stderr)
        var docker = ""
        var cri = ""
        for (index, line) in lines.enumerated() {
            let time = String(format: "2026-12-07T04:57:%02d.%09dZ", index / 100, index)
            // Docker cuts lines over 16 KiB into records without the newline; do the same to a long one.
            if line.utf8.count > 200 {
                let cut = line.index(line.startIndex, offsetBy: 150)
                docker += try Self.json(["log": String(line[..<cut]), "stream": "stderr", "time": time]) + "\n"
                docker += try Self.json(["log": String(line[cut...]) + "\n", "stream": "stderr", "time": time]) + "\n"
                cri += "\(time) stderr P \(line[..<cut])\n\(time) stderr F \(line[cut...])\n"
            } else {
                docker += try Self.json(["log": line + "\n", "stream": "stderr", "time": time]) + "\n"
                cri += "\(time) stderr F \(line)\n"
            }
            if index % 97 == 0 {
                docker += try Self.json(["log": "PostgreSQL init process complete; ready for start up.\n", "stream": "stdout", "time": time]) + "\n"
                cri += "\(time) stdout F waiting for server to start.... done\n"
            }
        }
        for (format, text) in [(LogFormat.docker, docker), (.cri, cri)] {
            #expect(LogFormatDetector.format(name: "x.log", head: Array(text.utf8.prefix(4_096))) == format)
            let wrapped = try Self.parse(text, format: format, chunk: 1_001)
            #expect(Self.withoutSource(wrapped.events) == Self.withoutSource(plain.events), "\(format)")
            #expect(wrapped.statistics.foreign == 7, "\(format): stdout lines are the entrypoint's")
            #expect(wrapped.statistics.unparsed == 0)
            // The prefix is found from the unwrapped lines.
            let sample = LogFormatDetector.containerMessages(Array(text.utf8.prefix(64 << 10)), format: format)
            #expect(LogFormatDetector.prefix(for: sample) != nil)
        }
    }

    @Test func cloudNativePGRecordsReadAsTheCSVRowsTheyCameFrom() throws {
        let record: [String: String] = [
            "log_time": "2026-12-07 04:57:28.131 UTC", "user_name": "app", "database_name": "shop", "process_id": "4242",
            "connection_from": "10.0.0.7:51234", "session_id": "6753f0a8.1092", "session_line_num": "3",
            "command_tag": "SELECT", "session_start_time": "2026-12-07 04:57:20 UTC", "virtual_transaction_id": "3/17",
            "transaction_id": "0", "error_severity": "ERROR", "sql_state_code": "22012", "message": "division by zero",
            "query": "SELECT 1/0, \"quoted\", 'x'", "query_pos": "", "application_name": "bitville-abc1", "backend_type": "client backend",
            "query_id": "-123",
        ]
        let wrapped = try JSONSerialization.data(withJSONObject: [
            "level": "info", "ts": "2026-12-07T04:57:28.131642Z", "logger": "postgres", "msg": "record",
            "logging_pod": "cluster-example-1", "record": record,
        ] as [String: Any], options: [.sortedKeys])
        let operatorLine = try Self.json(["level": "info", "ts": "2026-12-07T04:57:29Z", "logger": "instance-manager",
                                          "msg": "Checking for free disk space for WALs"])
        let text = operatorLine + "\n" + String(decoding: wrapped, as: UTF8.self) + "\n"
        #expect(LogFormatDetector.format(name: "cnpg.log", head: Array(text.utf8)) == .cloudnativepg)
        let (events, statistics) = try Self.parse(text, format: .cloudnativepg, prefix: nil)
        #expect(statistics.foreign == 1 && statistics.unparsed == 0)
        let event = try #require(events.first)
        #expect(events.count == 1)
        #expect(event.timestamp == "2026-12-07T04:57:28.131Z")
        #expect(event.pid == 4242 && event.user == "app" && event.database == "shop")
        #expect(event.severity == .error && event.sqlstate == "22012" && event.message == "division by zero")
        #expect(event.statement == "SELECT 1/0, \"quoted\", 'x'")
        #expect(event.applicationName == "bitville-abc1" && event.queryID == -123)
        #expect(event.source?.offset == Int64(operatorLine.utf8.count + 1))
    }
}

/// The fixtures of Fixtures/containers (generate.py: the formats as moby, containerd and CloudNativePG
/// write them, around the real log of Fixtures/classes-pg17).
@Suite struct ContainerFixtureTests {
    static func parse(_ name: String, format: LogFormat) throws -> (events: [LogEvent], statistics: LogEntryParser.Statistics) {
        let bytes = Array(try StderrLogParserJSONLogOracleTests.fixture(name))
        #expect(LogFormatDetector.format(name: name, head: Array(bytes.prefix(4_096))) == format)
        let sample = LogFormatDetector.prefixSample(Array(bytes.prefix(64 << 10)), format: format)
        var parser = LogEntryParser(format: format, prefix: format.hasPrefix ? LogFormatDetector.prefix(for: sample) : nil,
                                    fileName: name, maximumEntryBytes: 1 << 20)
        return parser.parseWhole(bytes)
    }

    @Test func cloudNativePGEqualsTheCSVLogItWrapped() throws {
        let (events, statistics) = try Self.parse("containers/cloudnativepg.json", format: .cloudnativepg)
        let (csv, _) = try Self.parse("classes-pg17/postgresql.csv", format: .csvlog)
        #expect(statistics.foreign == 9 && statistics.unparsed == 0)
        #expect(ContainerLogParserTests.withoutSource(events) == ContainerLogParserTests.withoutSource(csv))
    }

    @Test func dockerAndCRIOfOneLogAgree() throws {
        let (docker, dockerStatistics) = try Self.parse("containers/docker-json.log", format: .docker)
        let (cri, criStatistics) = try Self.parse("containers/cri.log", format: .cri)
        #expect(dockerStatistics.unparsed == 0 && criStatistics.unparsed == 0)
        #expect(dockerStatistics.foreign == 3 && criStatistics.foreign == 3, "the entrypoint's stdout")
        #expect(docker.count == cri.count)
        // Docker loses the character its 16 KiB cut splits (moby writes U+FFFD twice); CRI keeps the bytes.
        let differing = zip(ContainerLogParserTests.withoutSource(docker), ContainerLogParserTests.withoutSource(cri)).filter { $0 != $1 }
        #expect(differing.count == 1)
        #expect(docker.contains { ($0.message?.utf8.count ?? 0) > 39_800 }, "the 40,000-byte line came back whole")
    }
}
