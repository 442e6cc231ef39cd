import AgentSchema
import Foundation
import LogPipeline
import TestSupport
import Testing

/// A real server logging `syslog,jsonlog` through a real rsyslogd (scripts/syslog-server.sh), followed
/// by `logs tail` while logrotate renames the syslog file and HUPs rsyslogd, as Debian's rule does. The
/// syslog side must hold every jsonlog record once, field by field wherever the prefix carries it.
@Suite(.serialized, .timeLimit(.minutes(3))) struct SyslogLiveTests {
    struct Server: Decodable {
        var dir: String
        var port: Int
        var syslog_file: String
        var json_file: String
    }

    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("scripts/syslog-server.sh").path
    static let prefix = "%m [%p] %q%u@%d %a "

    static func run(_ arguments: [String], environment: [String: String] = [:]) throws -> ChildProcess.Result {
        var variables = ProcessInfo.processInfo.environment
        variables.merge(environment) { $1 }
        return try ChildProcess.run([script] + arguments, environment: variables)
    }

    /// Runs `sql` in a session named `application`; `failing`: the statement is meant to fail.
    static func psql(_ server: Server, _ sql: String, application: String, failing: Bool = false) throws {
        let result = try run(["psql", server.dir, "\(server.port)", "-X", "-q", "-c", sql], environment: ["PGAPPNAME": application])
        try #require((result.status == 0) != failing, "psql: \(result.stderr)")
    }

    static func events(in path: String) -> [[String: Any]] {
        let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
    }

    static func key(_ event: [String: Any]) -> String {
        "\(event["timestamp"] ?? "-")|\(event["pid"] ?? "-")|\(event["severity"] ?? "-")|\(event["message"] ?? "")"
    }

    @Test func everyJSONLogRecordArrivesOnceThroughRsyslogAndItsRotation() async throws {
        guard getuid() == 0 else {
            Issue.record("needs root: rsyslogd and the server run in a mount namespace (CI runs as root)")
            return
        }
        let directory = "/tmp/pgagent-syslog-\(UInt32.random(in: 0...UInt32.max))"
        let up = try Self.run(["up", directory, "\(try TransmitterTests.freePort())"])
        try #require(up.status == 0, "syslog-server.sh up: \(up.stderr)")
        defer { _ = try? Self.run(["down", directory]) }
        let server = try JSONDecoder().decode(Server.self, from: Data(up.stdout.utf8))
        let output = directory + "/tail.jsonl"
        let tail = try ChildProcess.start(
            [try ReferenceListener.binary, "logs", "tail", "--output", output, "--state-dir", directory + "/tail-state",
             "--format", "syslog", "--prefix", Self.prefix, "--from-start", "--keep-literals", "--poll-interval-ms", "20",
             server.syslog_file],
            environment: ["PATH": "/usr/bin:/bin", "HOME": "/nonexistent"], stderr: directory + "/tail.err")
        defer { if tail.exited() == nil { tail.kill(SIGKILL); _ = tail.wait() } }

        let long = (0..<400).map { "'value-\($0)'" }.joined(separator: ", ")
        for round in 0..<3 {
            try Self.psql(server, "SELECT \(round) AS first_\(round)", application: "bitville-a1a1")
            try Self.psql(server, "SELECT 1/0 AS broken_\(round)", application: "bitville-b2b2", failing: true)
            try Self.psql(server, "SELECT ARRAY[\(long)] AS long_\(round)", application: "bitville-c3c3")
            try Self.psql(server, "SELECT 'multi'\n\t, 'line' AS multi_\(round)", application: "bitville-d4d4")
            if round == 1 {
                let rotated = try Self.run(["rotate", directory])
                #expect(rotated.status == 0, "\(rotated.stderr)")
            }
        }
        let flushed = try Self.run(["flush", directory, "\(server.port)"])
        try #require(flushed.status == 0, "\(flushed.stderr)")
        #expect(FileManager.default.fileExists(atPath: server.syslog_file + ".1"), "logrotate renamed the file")

        // The oracle: the server's own jsonlog, read with the package's jsonlog parser.
        var parser = LogEntryParser(format: .jsonlog, prefix: nil, fileName: server.json_file, maximumEntryBytes: 1 << 20)
        var json = Array(try Data(contentsOf: URL(fileURLWithPath: server.json_file))).withUnsafeBufferPointer { parser.consume($0, offset: 0) }
        json += parser.finish()
        let wanted = Set(json.map { event in
            "\(event.timestamp ?? "-")|\(event.pid.map(String.init) ?? "-")|\(event.severity?.rawValue ?? "-")|\(event.message ?? "")"
        })
        try await Harness.eventually("every jsonlog record is in the tail's output", attempts: 1_000) {
            let got = Set(Self.events(in: output).map(Self.key))
            return wanted.isSubset(of: got)
        }
        tail.kill(SIGTERM)
        #expect(tail.wait() == 0)
        let events = Self.events(in: output)
        let keys = events.map(Self.key)
        #expect(Set(keys).count == keys.count, "an entry was written twice")
        #expect(events.filter { $0["event"] as? String == "unparsed" }.isEmpty)
        let byKey = Dictionary(grouping: events, by: Self.key)
        for record in json {
            let key = "\(record.timestamp ?? "-")|\(record.pid.map(String.init) ?? "-")|\(record.severity?.rawValue ?? "-")|\(record.message ?? "")"
            guard let event = byKey[key]?.first else { continue }
            #expect(event["statement"] as? String == record.statement, "\(key)")
            #expect(event["detail"] as? String == record.detail, "\(key)")
            // The session tracker names the application of lines logged before the server knew it
            // (`connection authorized`); the rest must agree with the server.
            if event["correlation_source"] as? String != "session" {
                #expect(event["application_name"] as? String == record.applicationName, "\(key)")
            }
            #expect(event["user"] as? String == record.user, "\(key)")
        }
        // The long statement came back whole from its 900-byte parts, in both rotation halves.
        #expect(events.filter { ($0["statement"] as? String ?? ($0["details"] as? [String: Any])?["statement"] as? String ?? "")
            .contains("'value-399'") }.count >= 3)
        #expect(events.contains { $0["correlation_id"] as? String == "d4d4" })
    }
}
