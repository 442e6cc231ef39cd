import Delivery
import Foundation
import Listener
import TestSupport
import Testing

/// `postgres-agent spool send` killed with SIGKILL 100 times while `logs tail` keeps appending log
/// batches to the same spool: nothing spooled is lost, the file stays sound, and each kill costs at most
/// one resend, which the reference listener recognises by its batch_id.
@Suite(.serialized, .timeLimit(.minutes(4))) struct SpoolSendKillTests {
    var binary: String {
        get throws {
            try #require(ProcessInfo.processInfo.environment["PGAGENT_BINARY"],
                         "PGAGENT_BINARY is not set: run the suite through scripts/test.sh")
        }
    }

    static let tools = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Tools").path

    @Test func killingTheSenderLosesNothingAndResendsAtMostOncePerKill() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("send-kill-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory + "/state", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let log = directory + "/postgresql.log"
        let spoolPath = directory + "/state/spool.sqlite"
        let total = 20_000

        let listener = try await ReferenceListener(directory: directory + "/listener")
        defer { listener.stop() }
        let token = listener.token
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        let tail = try ChildProcess.start(
            [try binary, "logs", "tail", "--from-start", "--format", "stderr", "--prefix", "%m [%p] ",
             "--poll-interval-ms", "20", "--quiet-period-ms", "200", "--spool", spoolPath, log],
            stderr: directory + "/tail.err")
        defer { tail.kill(SIGKILL); _ = tail.wait() }
        for _ in 0..<500 {
            let spool = try? Spool(path: spoolPath, limits: .init(maxBytes: 100 << 20))
            if await ((try? spool?.checkpoint(source: "default:\(log)")) ?? nil) != nil { break }
            try await Task.sleep(for: .milliseconds(10))
        }
        let writer = try ChildProcess.start(["python3", Self.tools + "/rotating-log-writer.py", log, "\(total)", "4000", "2000"],
                                            stdout: directory + "/writer.out", stderr: directory + "/writer.err")
        let environment = [
            "PATH": "/usr/bin:/bin", "HOME": "/nonexistent",
            "POSTGRES_AGENT_AGENT_STATE_DIR": directory + "/state",
            "POSTGRES_AGENT_LISTENER_URL": listener.url,
            "POSTGRES_AGENT_LISTENER_API_KEY": token,
        ]
        let send = [try binary, "spool", "send"]
        var kills = 0
        var generator = SystemRandomNumberGenerator()
        while kills < 100 {
            let sender = try ChildProcess.start(send, environment: environment, stderr: directory + "/send.err")
            try await Task.sleep(for: .milliseconds(Int.random(in: 20...150, using: &generator)))
            sender.kill(SIGKILL)
            _ = sender.wait()
            kills += 1
        }
        while writer.exited() == nil { try await Task.sleep(for: .milliseconds(20)) }

        // Drain until every entry has arrived (the tailer may still be appending its last batches).
        var seen = [Int](repeating: 0, count: total)
        let store = try listener.store()
        var batches: [BatchStore.Row] = []
        for _ in 0..<30 {
            let result = try ChildProcess.run(send + ["--until-empty"], environment: environment)
            #expect(result.status == 0, "\(result.stderr)")
            #expect(!result.stderr.contains(token))
            let more = try store.rows(after: batches.last?.sequence ?? 0, limit: 100_000)
            for batch in more {
                for seq in try Self.seqs(batch.json) { seen[seq] += 1 }
            }
            batches += more
            if !seen.contains(0) { break }
            try await Task.sleep(for: .milliseconds(300))
        }
        let missing = seen.indices.filter { seen[$0] == 0 }
        #expect(missing.isEmpty, "\(missing.count) entries never arrived, first \(missing.prefix(5))")
        #expect(!seen.contains { $0 > 1 }, "an entry arrived in two different batches")
        let resends = try store.counts().duplicates
        #expect(resends <= kills, "\(resends) resends for \(kills) kills")
        let spool = try Spool(path: spoolPath, limits: .init(maxBytes: 100 << 20))
        #expect(try await spool.integrityCheck() == "ok")
        #expect(try await spool.status().depth == 0)
        #expect(kills == 100)
        // `spool status` agrees: empty, nothing evicted, nothing dead.
        let status = try ChildProcess.run([try binary, "spool", "status", "--json"], environment: environment)
        #expect(status.status == 0, "\(status.stderr)")
        let figures = try #require(try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [String: Any])
        #expect(figures["depth"] as? Int == 0)
        #expect(figures["evicted_batches"] as? Int == 0)
        #expect(figures["dead_letters"] as? Int == 0)
        #expect(!listener.log.contains(token))
        print("send-kill test: \(kills) kills, \(batches.count) batches stored, \(resends) resends")
    }

    /// The N of every `seq N` log event in a stored batch.
    static func seqs(_ json: [UInt8]) throws -> [Int] {
        let body = try #require(try JSONSerialization.jsonObject(with: Data(json)) as? [String: Any])
        return (body["events"] as? [[String: Any]] ?? []).compactMap { event in
            guard let message = event["message"] as? String, message.hasPrefix("seq ") else { return nil }
            return Int(message.dropFirst(4))
        }
    }
}
