import Delivery
import Foundation
import TestSupport
import Testing

/// `postgres-agent run` against a URL that answers 404 to everything (a wrong path, a proxy in front)
/// while a log much larger than the spool's 1 MiB cap comes in, until the URL is put right.
@Suite(.serialized, .timeLimit(.minutes(4))) struct MisdirectedListenerTests {
    static let entries = 6_000
    static let cap = 1 << 20

    /// What the daemon's state directory takes on disk, every file in it.
    static func stateBytes(_ directory: String) -> Int {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.reduce(0) { total, name in
            let size = (try? FileManager.default.attributesOfItem(atPath: directory + "/" + name)[.size] as? Int) ?? 0
            return total + (size ?? 0)
        }
    }

    /// `seq N` entries, each with a DETAIL of 1,200 pseudo-random hex characters (about 600 bytes
    /// gzipped): 7.6 MB of log, several times the cap once compressed.
    static func log(entries: Int) -> String {
        var generator = SeededGenerator(seed: 11)
        var text = ""
        text.reserveCapacity(entries * 1_300)
        for index in 0..<entries {
            let detail = (0..<75).map { _ in
                let hex = String(generator.next(), radix: 16)
                return String(repeating: "0", count: 16 - hex.count) + hex
            }.joined()
            text += "2026-12-07 08:00:00.000 UTC [4242] LOG:  seq \(index)\n"
            text += "2026-12-07 08:00:00.000 UTC [4242] DETAIL:  \(detail)\n"
        }
        return text
    }

    @Test func a404ListenerKeepsTheSpoolInItsCapDeadLettersNothingAndGetsTheRestOnceItAnswers() async throws {
        let scratch = try ScratchDirectory()
        let token = "tok-\(UInt64.random(in: 0...UInt64.max))"
        let port = try TransmitterTests.freePort()
        let gate = scratch.file("wrong-url")
        FileManager.default.createFile(atPath: gate, contents: Data())
        let record = scratch.file("record.jsonl")
        let stub = try ChildProcess.start(["python3", TransmitterTests.stub, "\(port)", token, record, "s404while:\(gate)"],
                                          stdout: scratch.file("stub.out"), stderr: scratch.file("stub.err"))
        defer { stub.kill(SIGTERM); _ = stub.wait() }
        try await Harness.eventually("the stub listener listens") {
            ((try? String(contentsOfFile: scratch.file("stub.out"), encoding: .utf8)) ?? "").contains("listening")
        }
        try FileManager.default.createDirectory(atPath: scratch.file("log"), withIntermediateDirectories: true)
        let logPath = scratch.file("log/postgresql.log")
        FileManager.default.createFile(atPath: logPath, contents: Data())
        let metricsPort = try TransmitterTests.freePort()
        let state = scratch.file("state")
        let daemon = try DaemonProcess(directory: scratch.file("daemon"), config: """
            [agent]
            project = misdirected-test
            interval_seconds = 3600
            state_dir = \(state)

            [spool]
            max_size_mb = 1
            min_free_disk_mb = 0

            [postgres:gone]
            conninfo = host=127.0.0.1 port=1 dbname=x connect_timeout=1
            log_path = \(logPath)
            log_format = stderr
            log_prefix = "%m [%p] "

            [listener]
            url = http://127.0.0.1:\(port)/ingest/postgres
            timeout_ms = 2000

            [metrics]
            listen = 127.0.0.1:\(metricsPort)
            """, environment: ["POSTGRES_AGENT_LISTENER_API_KEY": token])

        // The URL answers 404 from the first send on; then the log comes, far more than the cap.
        try await Harness.eventually("a first 404", attempts: 1_500) {
            ((try? String(contentsOfFile: record, encoding: .utf8)) ?? "").contains("\"status\": 404")
        }
        try Self.log(entries: Self.entries).write(toFile: logPath, atomically: false, encoding: .utf8)
        var largest = 0
        let metricsURL = "http://127.0.0.1:\(metricsPort)/metrics"
        try await Harness.eventually("the tailer read the whole log", attempts: 3_000) {
            largest = max(largest, Self.stateBytes(state))
            let (_, metrics) = try await DaemonTests.get(metricsURL)
            return metrics.contains(#"pgagent_log_lag_bytes{instance="gone"} 0.0"#)
                && metrics.contains(#"pgagent_log_entries_total{instance="gone"} \#(Self.entries)"#)
        }
        largest = max(largest, Self.stateBytes(state))

        let (_, metrics) = try await DaemonTests.get(metricsURL)
        #expect(metrics.contains("pgagent_send_misdirected_status 404.0"), "the metric says why nothing is sent")
        #expect(daemon.logText.contains("answers 404"))
        try await Harness.eventually("STATUS= says the listener URL answers 404") {
            daemon.notifications().contains { $0.contains("LISTENER URL ANSWERS 404") }
        }
        let spoolPath = state + "/spool.sqlite"
        let spool = try Spool(path: spoolPath, limits: .init(maxBytes: Self.cap))
        let held = try await spool.status()
        // Stated slack: the write-ahead log's limit (a quarter of the cap) and the commit that crosses it
        // (SQLite checkpoints after a commit, so the log passes its limit by up to one transaction: here
        // one payload, the log arriving as one file), the log's index (-shm, 32 KiB) and the statement
        // state file. A payload is taken as the largest the spool holds.
        let largestPayload = try await spool.all().map(\.body.count).max() ?? 0
        let slack = Self.cap / 4 + largestPayload + (32 << 10) + (64 << 10)
        #expect(largest <= Self.cap + slack, "the state directory reached \(largest) bytes for a cap of \(Self.cap)")
        print("misdirected: state directory at most \(largest) bytes (cap \(Self.cap), slack \(slack), payloads \(held.depth) "
              + "of \(held.payloadBytes) bytes, the largest \(largestPayload))")
        #expect(held.deadLetters == 0, "a wrong URL condemns no payload")
        #expect(held.evictedBatches > 0, "the log was larger than the cap: the oldest went")
        let waiting = try await spool.batchIDs()
        let before = try String(contentsOfFile: record, encoding: .utf8).split(separator: "\n")
        #expect(before.count < 20, "paused with backoff, not one request per payload: \(before.count) requests")

        // The URL is put right: everything still in the spool arrives, once, the newest log intact.
        try FileManager.default.removeItem(atPath: gate)
        try await Harness.eventually("the spool drained", attempts: 3_000) { try await spool.status().depth == 0 }
        let records = try String(contentsOfFile: record, encoding: .utf8).split(separator: "\n").map {
            try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
        let accepted = records.filter { $0["status"] as? Int == 200 }
        let arrived = Set(accepted.compactMap { $0["batch_id"] as? String })
        #expect(Set(waiting).isSubset(of: arrived), "\(Set(waiting).subtracting(arrived).count) payloads in the cap never arrived")
        #expect(try await spool.status().evictedBatches == held.evictedBatches, "nothing evicted after the listing")
        #expect(!accepted.contains { $0["duplicate"] as? Bool == true })
        let seqs = accepted.flatMap { $0["seqs"] as? [Int] ?? [] }
        let first = try #require(seqs.min())
        #expect(seqs == Array(first..<Self.entries), "the newest entries arrive, in order, each once")
        #expect(try await spool.status().deadLetters == 0)
        #expect(daemon.logText.contains("takes payloads again"))
        let stopped = try await daemon.terminate()
        #expect(stopped.status == 0)
        #expect(!daemon.logText.contains(token))
    }
}
