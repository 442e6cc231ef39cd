import AgentSchema
import Foundation
@testable import LogPipeline
import TestSupport
import Testing

/// `JournalTailer` over a real journal: files written by systemd-journal-remote from the fixture's
/// messages (no journald runs here), read by the real journalctl, appended to while it follows, and
/// resumed from a checkpoint's cursor with nothing lost and nothing twice.
@Suite(.serialized, .timeLimit(.minutes(2))) struct JournalTailerTests {
    static let remote = "/lib/systemd/systemd-journal-remote"

    /// Appends `entries` to the journal file in `directory`, as systemd-journal-remote writes them.
    static func write(_ entries: [JournalFixture.Entry], to directory: String) throws {
        let input = directory + "/../export-\(UUID().uuidString)"
        try Data(JournalFixture.export(entries)).write(to: URL(fileURLWithPath: input))
        defer { try? FileManager.default.removeItem(atPath: input) }
        let result = try ChildProcess.run(["/bin/sh", "-c", "\(remote) --output=\(directory)/system.journal - < \(input)"])
        try #require(result.status == 0, "systemd-journal-remote: \(result.stderr)")
    }

    static func options(_ directory: String) throws -> JournalTailer.Options {
        var options = JournalTailer.Options()
        options.directory = directory
        options.prefix = try LogLinePrefix(SyslogLogParserTests.prefix)
        options.startAtEnd = false
        options.quietPeriod = .milliseconds(200)
        return options
    }

    /// Polls until `count` entries came (or 20 s), returning them and the last checkpoint.
    static func collect(_ tailer: inout JournalTailer, count: Int) async throws -> (events: [LogEvent], checkpoint: LogCheckpoint?) {
        let start = ContinuousClock.now
        var events: [LogEvent] = []
        var checkpoint: LogCheckpoint?
        while events.count < count, ContinuousClock.now - start < .seconds(20) {
            let batch = tailer.poll(now: ContinuousClock.now - start, budget: 1 << 20)
            events += batch.events
            checkpoint = batch.checkpoint ?? checkpoint
            if batch.reachedEnd { try await Task.sleep(for: .milliseconds(20)) }
        }
        // Whatever comes after the count is a repeat.
        for _ in 0..<5 {
            let batch = tailer.poll(now: ContinuousClock.now - start + .seconds(1), budget: 1 << 20)
            events += batch.events
            checkpoint = batch.checkpoint ?? checkpoint
        }
        return (events, checkpoint)
    }

    static func keys(_ events: [LogEvent]) -> [String] { events.map(SyslogLogParserTests.key).sorted() }

    @Test func followsAppendsAndResumesAfterTheCursor() async throws {
        guard FileManager.default.isExecutableFile(atPath: Self.remote) else {
            Issue.record("systemd-journal-remote is missing: scripts/install-deps.sh installs it")
            return
        }
        let scratch = try ScratchDirectory()
        let directory = scratch.file("journal")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let entries = try JournalFixture.entries()
        // Cut where no entry is in parts, so each half holds whole entries.
        let cut = entries.indices.dropFirst(entries.count / 2).first { entries[$0].message.hasPrefix("[") && entries[$0].message.contains("-1] ") }!
        let (first, second) = (Array(entries[..<cut]), Array(entries[cut...]))
        let expected = try JournalLogParserTests.parse(try JournalFixture.json(entries.filter { $0.identifier == "postgres" })).events
        let expectedFirst = try JournalLogParserTests.parse(try JournalFixture.json(first.filter { $0.identifier == "postgres" })).events

        try Self.write(first, to: directory)
        var tailer = JournalTailer(options: try Self.options(directory), checkpoint: nil)
        let (seen, checkpoint) = try await Self.collect(&tailer, count: expectedFirst.count)
        #expect(Self.keys(seen) == Self.keys(expectedFirst))
        let saved = try #require(checkpoint)
        #expect(saved.cursor != nil)

        // Appended while it follows.
        try Self.write(second, to: directory)
        let (more, _) = try await Self.collect(&tailer, count: expected.count - seen.count)
        #expect(Self.keys(seen + more) == Self.keys(expected), "nothing lost, nothing twice while following")

        // A restart from the checkpoint of the first half reads the second half only.
        var resumed = JournalTailer(options: try Self.options(directory), checkpoint: saved)
        let (again, _) = try await Self.collect(&resumed, count: expected.count - seen.count)
        #expect(Self.keys(again) == Self.keys(more), "resumed after the cursor: the rest, once")
        #expect(resumed.lastError == nil)
        #expect(tailer.lastError == nil)
    }

    @Test func aMissingJournalctlIsAnErrorNotACrash() {
        var options = JournalTailer.Options()
        options.executable = "/nonexistent/journalctl"
        var tailer = JournalTailer(options: options, checkpoint: nil)
        let batch = tailer.poll(now: .zero, budget: 1 << 20)
        #expect(batch.events.isEmpty && batch.reachedEnd)
        #expect(tailer.lastError?.contains("/nonexistent/journalctl") == true)
        #expect(tailer.statistics.readErrors == 1)
        // Not started again before the delay.
        _ = tailer.poll(now: .seconds(1), budget: 1 << 20)
        #expect(tailer.statistics.readErrors == 1)
    }
}
