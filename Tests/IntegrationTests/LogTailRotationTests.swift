import AgentSchema
import Delivery
import Foundation
import TestSupport
import Testing

/// `postgres-agent logs tail` as a process: a writer at several thousand lines a second rotates the log
/// over a hundred times (rename and copytruncate, alternating) while the tailer is killed with SIGKILL at
/// random moments and started again. Every entry must come out exactly once, each pid's in order, with
/// its DETAIL lines attached. Once with the JSON lines output, once with the spool, where each batch
/// and its checkpoint commit in one SQLite transaction.
@Suite(.serialized, .timeLimit(.minutes(5))) struct LogTailRotationTests {
    var binary: String {
        get throws {
            try #require(ProcessInfo.processInfo.environment["PGAGENT_BINARY"],
                         "PGAGENT_BINARY is not set: run the suite through scripts/test.sh")
        }
    }

    static let writer = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Tools/rotating-log-writer.py").path

    enum Sink: String, CaseIterable, Sendable { case jsonLines, spool }

    @Test(arguments: Sink.allCases)
    func everyEntryExactlyOnceThroughRotationsAndKills(sink: Sink) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("rotation-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let log = directory + "/postgresql.log"
        let output = directory + "/events.jsonl"
        let total = 60_000
        let rotateEvery = 500

        let spoolPath = directory + "/spool.sqlite"
        let destination = sink == .spool ? ["--spool", spoolPath] : ["--output", output, "--state-dir", directory + "/state"]
        let tail = [try binary, "logs", "tail", "--from-start", "--format", "stderr", "--prefix", "%m [%p] ",
                    "--poll-interval-ms", "10", "--quiet-period-ms", "200"] + destination + [log]
        // The first tailer checkpoints the (empty) first file before the writer starts: without a
        // checkpoint a tailer starts at the current file, and the writer rotates within 0.1 s.
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        var first: ChildProcess.Running? = try ChildProcess.start(tail, stderr: directory + "/tail.err")
        let checkpointed: () async -> Bool = {
            if sink == .spool {
                guard let spool = try? Spool(path: spoolPath, limits: .init(maxBytes: 100 << 20)) else { return false }
                return ((try? await spool.checkpoint(source: "default:\(log)")) ?? nil) != nil
            }
            return FileManager.default.fileExists(atPath: directory + "/state/logs-tail-checkpoint.json")
        }
        for _ in 0..<500 { if await checkpointed() { break }; try await Task.sleep(for: .milliseconds(10)) }
        #expect(await checkpointed(), "the first tailer saved a checkpoint")
        let writer = try ChildProcess.start(["python3", Self.writer, log, "\(total)", "4500", "\(rotateEvery)"],
                                            stdout: directory + "/writer.out", stderr: directory + "/writer.err")
        var kills = 0
        var generator = SystemRandomNumberGenerator()
        while writer.exited() == nil {
            let tailer = try first ?? ChildProcess.start(tail, stderr: directory + "/tail.err")
            first = nil
            try await Task.sleep(for: .milliseconds(Int.random(in: 30...400, using: &generator)))
            tailer.kill(SIGKILL)
            _ = tailer.wait()
            kills += 1
        }
        let writerReport = try String(contentsOfFile: directory + "/writer.out", encoding: .utf8)
        let report = try #require(try JSONSerialization.jsonObject(with: Data(writerReport.utf8)) as? [String: Any])
        #expect(report["rotations"] as? Int == total / rotateEvery - 1)

        // A last tailer catches up; the quiet period completes the entries still waiting.
        let last = try ChildProcess.start(tail, stderr: directory + "/tail.err")
        let deadline = ContinuousClock.now + .seconds(60)
        while await (sink == .spool ? try Self.spooledEventCount(spoolPath) : Self.lineCount(output)) < total,
              ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(50))
        }
        last.kill(SIGTERM)
        #expect(last.wait() == 0, "SIGTERM is a clean stop")

        var seen = [Int](repeating: 0, count: total)
        var lastByPID: [Int: Int] = [:]
        var outOfOrder = 0
        var badDetails = 0
        let events: [[String: Any]]
        if sink == .spool {
            let spool = try Spool(path: spoolPath, limits: .init(maxBytes: 100 << 20))
            #expect(try await spool.integrityCheck() == "ok")
            events = try await Self.spooledEvents(spool)
        } else {
            let text = try String(contentsOfFile: output, encoding: .utf8)
            events = try text.split(separator: "\n").map {
                try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
            }
        }
        for event in events {
            let message = try #require(event["message"] as? String)
            let seq = try #require(Int(message.dropFirst("seq ".count)))
            seen[seq] += 1
            let pid = try #require(event["pid"] as? Int)
            if let previous = lastByPID[pid], previous >= seq { outOfOrder += 1 }
            lastByPID[pid] = seq
            let detail = event["detail"] as? String
            let expected = seq % 7 == 0 ? "detail of \(seq)\nsecond detail line of \(seq)" : nil
            if detail != expected { badDetails += 1 }
        }
        let missing = seen.indices.filter { seen[$0] == 0 }
        let repeated = seen.indices.filter { seen[$0] > 1 }
        #expect(missing.isEmpty, "\(missing.count) entries missing, first \(missing.prefix(10))")
        #expect(repeated.isEmpty, "\(repeated.count) entries repeated, first \(repeated.prefix(10))")
        #expect(outOfOrder == 0)
        #expect(badDetails == 0)
        #expect(kills >= 10, "the tailer was killed \(kills) times")
        print("rotation test: \(kills) kills, writer \(writerReport.trimmingCharacters(in: .whitespacesAndNewlines))")
    }

    /// The events of every `logs` payload in the spool, in spool order.
    static func spooledEvents(_ spool: Spool) async throws -> [[String: Any]] {
        var events: [[String: Any]] = []
        var seenBatches = Set<String>()
        for payload in try await spool.all() {
            #expect(seenBatches.insert(payload.batchID).inserted)
            let json = try Gzip.decompress(payload.body)
            let object = try #require(try JSONSerialization.jsonObject(with: Data(json)) as? [String: Any])
            #expect(object["kind"] as? String == "logs")
            events += try #require(object["events"] as? [[String: Any]])
        }
        return events
    }

    static func spooledEventCount(_ path: String) async throws -> Int {
        guard FileManager.default.fileExists(atPath: path) else { return 0 }
        return try await spooledEvents(try Spool(path: path, limits: .init(maxBytes: 100 << 20))).count
    }

    static func lineCount(_ path: String) -> Int {
        guard let data = FileManager.default.contents(atPath: path) else { return 0 }
        return data.reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) }
    }
}
