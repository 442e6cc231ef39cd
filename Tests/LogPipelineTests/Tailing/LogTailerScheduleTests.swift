import AgentSchema
@testable import LogPipeline
import Synchronization
import TestSupport
import Testing

/// The rotation test's workload (a writer rotating by rename and copytruncate, a tailer killed at random
/// moments and resumed from its last committed checkpoint) in memory, under seeded random schedules: the
/// writer also runs between any two of the tailer's file system calls (reads included), and modification
/// times are coarse like a kernel's. A schedule that loses or repeats an entry fails with its seed, the same way every run.
@Suite struct LogTailerScheduleTests {
    static let log = "/logs/postgresql.log"

    /// The server and logrotate: entries from four pids (every 7th with a DETAIL line), and every
    /// `rotateEvery` entries a rotation, alternately by rename and by copytruncate (the copy made in two
    /// steps, so a copy can be seen half written).
    struct Writer {
        let total: Int
        let rotateEvery: Int
        var seq = 0
        var rotations = 0
        /// A copytruncate under way: the copy's name, and whether its first half is written.
        var copying: (target: String, halfDone: Bool)?

        var finished: Bool { seq == total && copying == nil }

        mutating func step(_ fileSystem: MemoryLogFileSystem) {
            if let (target, halfDone) = copying {
                let size = fileSystem.size(of: LogTailerScheduleTests.log)
                if halfDone {
                    fileSystem.copy(LogTailerScheduleTests.log, to: target, upTo: size)
                    fileSystem.truncate(LogTailerScheduleTests.log)
                    copying = nil
                } else {
                    fileSystem.copy(LogTailerScheduleTests.log, to: target, upTo: size / 2)
                    copying = (target, true)
                }
                return
            }
            guard seq < total else { return }
            let pid = 4101 + seq % 4
            var text = LogDirectory.line(seq, pid: pid, "seq \(seq)")
            if seq % 7 == 0 {
                text += "2026-11-27 10:00:00.000 UTC [\(pid)] DETAIL:  detail of \(seq)\n\tsecond line\n"
            }
            fileSystem.append(text, to: LogTailerScheduleTests.log)
            seq += 1
            if seq % rotateEvery == 0, seq < total {
                rotations += 1
                let target = "\(LogTailerScheduleTests.log).\(rotations)"
                if rotations % 2 == 1 {
                    fileSystem.rename(LogTailerScheduleTests.log, to: target)
                    fileSystem.append("", to: LogTailerScheduleTests.log)
                } else {
                    copying = (target, false)
                }
            }
        }
    }

    /// What one schedule produced: how often each entry came out, and what happened.
    struct Outcome {
        var counts: [Int]
        var kills = 0
        var polls = 0
        var lostCheckpoints = 0

        var missing: [Int] { counts.indices.filter { counts[$0] == 0 } }
        var repeated: [Int] { counts.indices.filter { counts[$0] > 1 } }
    }

    static func run(seed: UInt64, total: Int = 1_500, rotateEvery: Int = 60, granularity: Duration = .milliseconds(4)) -> Outcome {
        var random = SeededGenerator(seed: seed)
        let fileSystem = MemoryLogFileSystem(granularity: granularity)
        let writer = Mutex(Writer(total: total, rotateEvery: rotateEvery))
        let concurrent = Mutex(SeededGenerator(seed: seed &+ 1))
        let scanner = LogSourceScanner(path: log, format: .stderr, fileSystem: fileSystem)
        var options = LogTailerTests.options(quiet: .milliseconds(200))
        options.startAtEnd = false
        var outcome = Outcome(counts: [Int](repeating: 0, count: total))
        var committed: LogCheckpoint?
        var tailer = LogTailer(scanner: scanner, options: options, checkpoint: nil)
        var now = Duration.zero

        func poll(_ tailer: inout LogTailer) {
            outcome.polls += 1
            let batch = tailer.poll(now: now, budget: Int.random(in: 2_000...20_000, using: &random))
            for event in batch.events {
                guard let message = event.message, message.hasPrefix("seq "), let seq = Int(message.dropFirst(4)) else { continue }
                outcome.counts[seq] += 1
            }
            if let checkpoint = batch.checkpoint { committed = checkpoint }
            now += .milliseconds(Int.random(in: 1...250, using: &random))
        }

        fileSystem.append("", to: log)
        poll(&tailer)
        // The writer runs while the tailer works: now and then between two of its file system calls.
        fileSystem.onCall { _ in
            let steps = concurrent.withLock { random -> Int in
                Int.random(in: 0..<10, using: &random) == 0 ? Int.random(in: 1...30, using: &random) : 0
            }
            for _ in 0..<steps { writer.withLock { $0.step(fileSystem) } }
        }
        while !writer.withLock({ $0.finished }) {
            switch Int.random(in: 0..<100, using: &random) {
            case 0..<40:
                for _ in 0..<Int.random(in: 1...80, using: &random) { writer.withLock { $0.step(fileSystem) } }
            case 40..<90:
                poll(&tailer)
            default:
                outcome.kills += 1
                outcome.lostCheckpoints += tailer.statistics.lostCheckpoints
                tailer = LogTailer(scanner: scanner, options: options, checkpoint: committed)
                now = .zero
            }
        }
        fileSystem.onCall(nil)
        outcome.kills += 1
        outcome.lostCheckpoints += tailer.statistics.lostCheckpoints
        tailer = LogTailer(scanner: scanner, options: options, checkpoint: committed)
        now = .zero
        for _ in 0..<40 {
            poll(&tailer)
            now += .seconds(1)
        }
        outcome.lostCheckpoints += tailer.statistics.lostCheckpoints
        return outcome
    }

    @Test(arguments: 0..<24)
    func everyEntryExactlyOnceUnderRandomSchedules(block: Int) {
        var failures: [String] = []
        var kills = 0
        for seed in UInt64(block * 25)..<UInt64(block * 25 + 25) {
            let outcome = Self.run(seed: seed)
            kills += outcome.kills
            let missing = outcome.missing
            let repeated = outcome.repeated
            if !missing.isEmpty || !repeated.isEmpty {
                failures.append("seed \(seed): \(missing.count) missing (first \(missing.prefix(5))), "
                    + "\(repeated.count) repeated (first \(repeated.prefix(5))), \(outcome.kills) kills, "
                    + "\(outcome.lostCheckpoints) lost checkpoints")
            }
        }
        #expect(failures.isEmpty, "\(failures.count) of 25 schedules failed:\n\(failures.joined(separator: "\n"))")
        #expect(kills >= 25 * 2, "the schedules killed the tailer \(kills) times")
    }
}
