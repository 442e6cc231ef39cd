import AgentSchema
import Delivery
import Foundation
import TestSupport
import Testing

/// `postgres-agent logs tail --dsn …` with no PATH: the monitoring role asks the server for its prefix
/// and log directory, and the server's own entries arrive in the spool.
@Suite(.serialized, .timeLimit(.minutes(3))) struct LogsTailCommandTests {
    static var cluster: TestClusters.Cluster { get throws { try Harness.cluster(named: "pg17") } }

    var binary: String {
        get throws {
            try #require(ProcessInfo.processInfo.environment["PGAGENT_BINARY"],
                         "PGAGENT_BINARY is not set: run the suite through scripts/test.sh")
        }
    }

    var dsn: String {
        get throws { "host=127.0.0.1 port=\(try Self.cluster.port) user=\(Harness.clusters.monitorUser) dbname=app sslmode=disable" }
    }

    @Test func followsTheServersOwnLogIntoTheSpool() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(Harness.unique("tail-dsn")).path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let spoolPath = directory + "/spool.sqlite"
        let tail = try ChildProcess.start(
            [try binary, "logs", "tail", "--dsn", dsn, "--spool", spoolPath, "--poll-interval-ms", "20"],
            environment: ["PATH": "/usr/bin:/bin", "HOME": "/nonexistent", "PGPASSWORD": Harness.clusters.monitorPassword],
            stderr: directory + "/tail.err")
        let marker = UUID().uuidString
        var found = false
        for _ in 0..<250 where !found {
            // Written again until it shows up: the tailer starts at the end of the file, so a marker
            // logged before it got there would be skipped.
            try await Harness.exec(Self.cluster, "DO $$ BEGIN RAISE LOG 'tail-marker \(marker)'; END $$")
            try await Task.sleep(for: .milliseconds(40))
            if FileManager.default.fileExists(atPath: spoolPath) {
                let spool = try Spool(path: spoolPath, limits: .init(maxBytes: 100 << 20))
                found = try await spool.all().contains { payload in
                    String(decoding: (try? Gzip.decompress(payload.body)) ?? [], as: UTF8.self).contains("tail-marker \(marker)")
                }
            }
        }
        tail.kill(SIGTERM)
        #expect(tail.wait() == 0)
        let log = (try? String(contentsOfFile: directory + "/tail.err", encoding: .utf8)) ?? ""
        #expect(found, "\(log)")
        #expect(log.contains("log_line_prefix=%m [%p] %q%u@%d"), "the prefix came from the server")
        #expect(!log.contains(Harness.clusters.monitorPassword))
    }

    @Test func aWrongPasswordFailsFastWithTheReasonAndNotThePassword() throws {
        let secret = "wrong-\(UInt32.random(in: 0...UInt32.max))"
        let result = try ChildProcess.run(
            [try binary, "logs", "tail", "--dsn", dsn, "--spool", "/tmp/never-created.sqlite"],
            environment: ["PATH": "/usr/bin:/bin", "HOME": "/nonexistent", "PGPASSWORD": secret])
        #expect(result.status == 69)
        #expect(result.stderr.contains("authentication_failed"))
        #expect(!result.stderr.contains(secret.dropFirst(6)))
    }
}
