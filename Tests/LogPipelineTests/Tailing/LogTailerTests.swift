import AgentSchema
import Foundation
@testable import LogPipeline
import Testing

/// The tailer against real files: growth, partial lines, rotations, truncation, restarts. Time is injected:
/// `now` is a plain monotonic duration the test advances.
@Suite struct LogTailerTests {
    static let prefix = try! LogLinePrefix("%m [%p] ")

    static func options(quiet: Duration = .seconds(1), cap: Int = 1 << 20) -> LogTailer.Options {
        var options = LogTailer.Options()
        options.format = .stderr
        options.prefix = prefix
        options.startAtEnd = false
        options.quietPeriod = quiet
        options.maximumEntryBytes = cap
        return options
    }

    static func tailer(_ directory: LogDirectory, path: String? = nil, checkpoint: LogCheckpoint? = nil,
                       options: LogTailer.Options = options()) -> LogTailer {
        LogTailer(scanner: LogSourceScanner(path: path ?? directory.file("postgresql.log"), format: options.format),
                  options: options, checkpoint: checkpoint)
    }

    /// The messages of a batch's events, in file order per file.
    static func messages(_ batch: LogTailer.Batch) -> [String] {
        batch.events.map { $0.message ?? "?" }
    }

    /// Polls past the quiet period, so that every entry is out.
    static func drain(_ tailer: inout LogTailer, at now: inout Duration) -> LogTailer.Batch {
        var all = tailer.poll(now: now)
        now += .seconds(5)
        let late = tailer.poll(now: now)
        all.events += late.events
        all.checkpoint = late.checkpoint
        return all
    }

    @Test func partialLineWaitsForItsNewlineAndQuietPeriodCompletesTheEntry() throws {
        let logs = try LogDirectory()
        logs.append(LogDirectory.line(1) + "2026-11-27 10:00:00.000 UTC [100] LOG:  li")
        var tailer = Self.tailer(logs)
        // line 1 is open (its pid may still add DETAIL lines); the partial line is not fed at all.
        #expect(tailer.poll(now: .zero).events.isEmpty)
        // Less than the quiet period later: still open.
        #expect(tailer.poll(now: .milliseconds(999)).events.isEmpty)
        #expect(Self.messages(tailer.poll(now: .seconds(1))) == ["line 1"])
        logs.append("ne 2\n\tcontinued\n")
        #expect(tailer.poll(now: .seconds(2)).events.isEmpty)
        let batch = tailer.poll(now: .seconds(4))
        #expect(Self.messages(batch) == ["line 2\ncontinued"])
        #expect(batch.checkpoint?.offset == Int64(try FileStatus(path: logs.file("postgresql.log")).map(\.size) ?? -1))
    }

    @Test func startsAtTheEndOfTheCurrentFileWithoutCheckpoint() throws {
        let logs = try LogDirectory()
        logs.append(LogDirectory.line(1) + LogDirectory.line(2) + "2026-11-27 10:00:00.000 UTC [100] LOG:  partial")
        var options = Self.options()
        options.startAtEnd = true
        var tailer = Self.tailer(logs, options: options)
        var now = Duration.zero
        #expect(Self.drain(&tailer, at: &now).events.isEmpty)
        logs.append(" line\n" + LogDirectory.line(3))
        // Reading starts after the last complete line: the line in progress is read whole.
        #expect(Self.messages(Self.drain(&tailer, at: &now)) == ["partial line", "line 3"])
    }

    /// A checkpoint that could not be read must not restart the tail at the end of the file (entries
    /// skipped, nothing counted): the current file is read from its start, and the loss counted.
    @Test func anUnreadableCheckpointReadsTheCurrentFileFromItsStartAndIsCounted() throws {
        let logs = try LogDirectory()
        logs.append(LogDirectory.line(1) + LogDirectory.line(2))
        var options = Self.options()
        options.startAtEnd = true
        var tailer = Self.tailer(logs, checkpoint: .unreadable, options: options)
        var now = Duration.zero
        #expect(Self.messages(Self.drain(&tailer, at: &now)) == ["line 1", "line 2"])
        #expect(tailer.statistics.lostCheckpoints == 1)
        #expect(tailer.lastStart?.contains("could not be read") == true)
    }

    @Test func renameRotationReadsTheOldFileToItsEndThenEveryNewerFileInOrder() throws {
        let logs = try LogDirectory()
        logs.append(LogDirectory.line(1))
        var tailer = Self.tailer(logs)
        var now = Duration.zero
        #expect(Self.messages(Self.drain(&tailer, at: &now)) == ["line 1"])
        // The old file gets a last line, then is renamed; two rotations happen before the next poll.
        logs.append(LogDirectory.line(2))
        logs.rename("postgresql.log", to: "postgresql.log.1")
        logs.append(LogDirectory.line(3))
        logs.touch("postgresql.log.1", modified: 1_000)
        logs.touch("postgresql.log", modified: 1_001)
        logs.rename("postgresql.log", to: "postgresql.log.2")
        logs.append(LogDirectory.line(4))
        logs.touch("postgresql.log", modified: 1_002)
        let batch = Self.drain(&tailer, at: &now)
        #expect(Self.messages(batch) == ["line 2", "line 3", "line 4"])
        #expect(tailer.statistics.rotations == 2)
        #expect(batch.checkpoint?.path == logs.file("postgresql.log"))
    }

    @Test func copytruncateReadsTheRestFromTheCopyAndSkipsTheNULHole() throws {
        let logs = try LogDirectory()
        logs.append(LogDirectory.line(1))
        var tailer = Self.tailer(logs)
        var now = Duration.zero
        #expect(Self.messages(Self.drain(&tailer, at: &now)) == ["line 1"])
        logs.append(LogDirectory.line(2))
        let size = Int(FileStatus(path: logs.file("postgresql.log"))!.size)
        try logs.copyTruncate("postgresql.log", to: "postgresql.log.1")
        // A writer without O_APPEND goes on at its old offset: the file starts with a hole of NULs.
        logs.write(LogDirectory.line(3), at: size)
        let batch = Self.drain(&tailer, at: &now)
        #expect(Self.messages(batch) == ["line 2", "line 3"])
        #expect(tailer.statistics.truncations == 1)
        #expect(tailer.statistics.copiesRead == 1)
        #expect(tailer.statistics.parse.unparsed == 0)
    }

    @Test func rewrittenInPlaceWithTheSameSizeIsReadAgainFromItsStart() throws {
        let logs = try LogDirectory()
        logs.append(LogDirectory.line(1))
        var tailer = Self.tailer(logs)
        var now = Duration.zero
        #expect(Self.messages(Self.drain(&tailer, at: &now)) == ["line 1"])
        let before = try #require(PosixLogFileSystem().status(of: logs.file("postgresql.log")))
        // Overwritten from its first byte, same inode, same size: neither shrunk nor a new file.
        let other = LogDirectory.line(7, pid: 200)
        #expect(other.utf8.count == Int(before.size))
        logs.write(other, at: 0)
        let after = try #require(PosixLogFileSystem().status(of: logs.file("postgresql.log")))
        #expect(after.inode == before.inode && after.size == before.size, "rewritten in place")
        #expect(Self.messages(Self.drain(&tailer, at: &now)) == ["line 7"])
        #expect(tailer.statistics.truncations == 1)
    }

    @Test func deletedAndRecreatedWithOtherContentIsReadFromItsStart() throws {
        let logs = try LogDirectory()
        logs.append(LogDirectory.line(1))
        var tailer = Self.tailer(logs)
        var now = Duration.zero
        _ = Self.drain(&tailer, at: &now)
        // Deleted and re-created (the inode may well be reused) with other content, longer than before.
        logs.remove("postgresql.log")
        logs.append(LogDirectory.line(7, pid: 200) + LogDirectory.line(8, pid: 200))
        #expect(Self.messages(Self.drain(&tailer, at: &now)) == ["line 7", "line 8"])
    }

    @Test func resumeEmitsEveryEntryExactlyOnceWithInterleavedPids() throws {
        let logs = try LogDirectory()
        // pid 1's entry stays open while pid 2's entries complete (pid 2 logs again).
        logs.append(LogDirectory.line(1, pid: 1) + LogDirectory.line(2, pid: 2) + LogDirectory.line(3, pid: 2)
                    + LogDirectory.line(4, pid: 2))
        var first = Self.tailer(logs)
        let batch = first.poll(now: .zero)
        #expect(Self.messages(batch) == ["line 2", "line 3"])
        let checkpoint = try #require(batch.checkpoint)
        #expect(checkpoint.offset == 0, "pid 1's entry at offset 0 is still open")
        #expect(checkpoint.emittedOffsets.count == 2)
        // Restart from the checkpoint: line 1 and line 4 come out, lines 2 and 3 not again.
        logs.append(LogDirectory.line(5, pid: 1))
        var second = Self.tailer(logs, checkpoint: checkpoint)
        var now = Duration.zero
        let rest = Self.drain(&second, at: &now)
        #expect(Self.messages(rest).sorted() == ["line 1", "line 4", "line 5"])
        #expect(second.statistics.skippedDuplicates == 2)
    }

    @Test func aResumeThatReadsNothingKeepsItsCheckpoint() throws {
        let logs = try LogDirectory()
        logs.append(LogDirectory.line(1) + LogDirectory.line(2))
        var first = Self.tailer(logs)
        var now = Duration.zero
        #expect(Self.messages(Self.drain(&first, at: &now)) == ["line 1", "line 2"])
        let checkpoint = try #require(first.poll(now: now).checkpoint)
        // Restarted, and stopped again before the server wrote anything: the checkpoint stays where it was.
        var second = Self.tailer(logs, checkpoint: checkpoint)
        let idle = try #require(second.poll(now: .zero).checkpoint)
        #expect(idle.offset == checkpoint.offset)
        logs.append(LogDirectory.line(3))
        var third = Self.tailer(logs, checkpoint: idle)
        #expect(Self.messages(Self.drain(&third, at: &now)) == ["line 3"], "nothing read twice")
    }

    @Test func resumeFindsTheCheckpointedFileAfterItWasRotatedAway() throws {
        let logs = try LogDirectory()
        logs.append(LogDirectory.line(1))
        var first = Self.tailer(logs)
        var now = Duration.zero
        let checkpoint = try #require(Self.drain(&first, at: &now).checkpoint)
        // While the agent is down: a last line, a rename rotation, a new file.
        logs.append(LogDirectory.line(2))
        logs.rename("postgresql.log", to: "postgresql.log.1")
        logs.touch("postgresql.log.1", modified: 1_000)
        logs.append(LogDirectory.line(3))
        var second = Self.tailer(logs, checkpoint: checkpoint)
        #expect(Self.messages(Self.drain(&second, at: &now)) == ["line 2", "line 3"])
        #expect(second.statistics.lostCheckpoints == 0)
    }

    @Test func aCheckpointedFileHiddenForAMomentIsWaitedForThenGivenUp() throws {
        let logs = try LogDirectory()
        logs.append(LogDirectory.line(1))
        var first = Self.tailer(logs)
        var now = Duration.zero
        let checkpoint = try #require(Self.drain(&first, at: &now).checkpoint)
        logs.append(LogDirectory.line(2))
        // Out of sight (a name that is no sibling), as a rename racing the listing can make it.
        logs.rename("postgresql.log", to: ".hidden")
        logs.append(LogDirectory.line(3))
        var second = Self.tailer(logs, checkpoint: checkpoint)
        #expect(second.poll(now: .zero).events.isEmpty)
        #expect(second.statistics.lostCheckpoints == 0)
        logs.rename(".hidden", to: "postgresql.log.1")
        logs.touch("postgresql.log.1", modified: 1_000)
        var later = Duration.seconds(1)
        #expect(Self.messages(Self.drain(&second, at: &later)) == ["line 2", "line 3"])
        #expect(second.statistics.lostCheckpoints == 0)

        // Gone for good: after the grace period the current file is read from its start.
        logs.rename("postgresql.log.1", to: ".gone")
        var third = Self.tailer(logs, checkpoint: checkpoint)
        #expect(third.poll(now: .zero).events.isEmpty)
        var late = Duration.seconds(3)
        #expect(Self.messages(Self.drain(&third, at: &late)) == ["line 3"])
        #expect(third.statistics.lostCheckpoints == 1)
    }

    @Test func resumeAfterCopytruncateWhileDownReadsTheCopyThenTheNewContent() throws {
        let logs = try LogDirectory()
        logs.append(LogDirectory.line(1))
        var first = Self.tailer(logs)
        var now = Duration.zero
        let checkpoint = try #require(Self.drain(&first, at: &now).checkpoint)
        logs.append(LogDirectory.line(2))
        try logs.copyTruncate("postgresql.log", to: "postgresql.log.1")
        logs.touch("postgresql.log.1", modified: 1_000)
        logs.append(LogDirectory.line(3, pid: 300))
        var second = Self.tailer(logs, checkpoint: checkpoint)
        #expect(Self.messages(Self.drain(&second, at: &now)) == ["line 2", "line 3"])
    }

    @Test func aCheckpointWithoutHeadBytesStillFindsTheCopytruncateCopy() throws {
        let logs = try LogDirectory()
        logs.append(LogDirectory.line(1))
        let status = try #require(FileStatus(path: logs.file("postgresql.log")))
        let handle = try #require(LogFileHandle(path: logs.file("postgresql.log")))
        let length = Int(min(64, status.size))
        let preceding = handle.bytes(at: status.size - Int64(length), count: length)
        // An identity taken while the file was empty: only the inode, no head bytes.
        let checkpoint = LogCheckpoint(
            path: logs.file("postgresql.log"),
            identity: LogFileIdentity(device: status.device, inode: status.inode, headLength: 0, headHash: LogFileIdentity.hash([])),
            offset: status.size, precedingHash: LogFileIdentity.hash(preceding), precedingLength: length, emittedOffsets: [])
        logs.append(LogDirectory.line(2))
        try logs.copyTruncate("postgresql.log", to: "postgresql.log.1")
        logs.touch("postgresql.log.1", modified: 1_000)
        logs.append(LogDirectory.line(3, pid: 300))
        var tailer = Self.tailer(logs, checkpoint: checkpoint)
        var now = Duration.zero
        #expect(Self.messages(Self.drain(&tailer, at: &now)) == ["line 2", "line 3"], "\(tailer.lastStart ?? "-")")
    }

    @Test func checkpointsNameTheirFileByItsFirstBytes() throws {
        let logs = try LogDirectory()
        _ = FileManager.default.createFile(atPath: logs.file("postgresql.log"), contents: nil)
        var tailer = Self.tailer(logs)
        #expect(tailer.poll(now: .zero).checkpoint?.identity.headLength == 0)
        logs.append(LogDirectory.line(1) + LogDirectory.line(2))
        let checkpoint = try #require(tailer.poll(now: .seconds(5)).checkpoint)
        #expect(checkpoint.identity.headLength == Int(FileStatus(path: logs.file("postgresql.log"))!.size))
    }

    @Test func aRestartAfterTheNewFileWasFilledAndCopytruncatedUnseenReadsTheCopy() throws {
        let logs = try LogDirectory()
        logs.append(LogDirectory.line(1))
        var first = Self.tailer(logs)
        var now = Duration.zero
        _ = Self.drain(&first, at: &now)
        // Rename rotation: the tailer moves to the new, still empty file and checkpoints.
        logs.rename("postgresql.log", to: "postgresql.log.1")
        logs.touch("postgresql.log.1", modified: 1_000)
        _ = FileManager.default.createFile(atPath: logs.file("postgresql.log"), contents: nil)
        let checkpoint = try #require(Self.drain(&first, at: &now).checkpoint)
        // While the agent is down, the new file fills up and is copytruncated, then gets new content.
        logs.append(LogDirectory.line(2))
        try logs.copyTruncate("postgresql.log", to: "postgresql.log.2")
        logs.touch("postgresql.log.2", modified: 1_001)
        logs.append(LogDirectory.line(3, pid: 300))
        var second = Self.tailer(logs, checkpoint: checkpoint)
        #expect(Self.messages(Self.drain(&second, at: &now)) == ["line 2", "line 3"])
    }

    @Test func anEmptyFileFilledAndCopytruncatedBetweenTwoPollsIsReadFromTheCopy() throws {
        let logs = try LogDirectory()
        logs.append(LogDirectory.line(1))
        var tailer = Self.tailer(logs)
        var now = Duration.zero
        _ = Self.drain(&tailer, at: &now)
        logs.rename("postgresql.log", to: "postgresql.log.1")
        logs.touch("postgresql.log.1", modified: 1_000)
        _ = FileManager.default.createFile(atPath: logs.file("postgresql.log"), contents: nil)
        _ = Self.drain(&tailer, at: &now) // now on the new, empty file
        // Between two polls: filled, copytruncated, written again.
        logs.append(LogDirectory.line(2))
        try logs.copyTruncate("postgresql.log", to: "postgresql.log.2")
        logs.append(LogDirectory.line(3, pid: 300))
        #expect(Self.messages(Self.drain(&tailer, at: &now)) == ["line 2", "line 3"])
    }

    @Test func aFileRewrittenPastTheCheckpointIsReadFromItsStart() throws {
        let logs = try LogDirectory()
        // Longer than the 1 KiB the head hash covers, so only the bytes before the offset can tell.
        let lines = (1...30).map { LogDirectory.line($0) }
        logs.append(lines.joined())
        var first = Self.tailer(logs)
        var now = Duration.zero
        let checkpoint = try #require(Self.drain(&first, at: &now).checkpoint)
        // Same inode, same first kilobyte, but truncated and written again past the old offset.
        precondition(truncate(logs.file("postgresql.log"), 0) == 0)
        logs.append(lines.dropLast().joined() + LogDirectory.line(99) + LogDirectory.line(100))
        var second = Self.tailer(logs, checkpoint: checkpoint)
        let messages = Self.messages(Self.drain(&second, at: &now))
        #expect(messages.count == 31)
        #expect(messages.suffix(2) == ["line 99", "line 100"])
    }

    @Test func directoryModeFollowsTheNewestFileAndFinishesOlderOnesFirst() throws {
        let logs = try LogDirectory()
        logs.append(LogDirectory.line(1), to: "postgresql-01.log")
        logs.touch("postgresql-01.log", modified: 1_000)
        var tailer = Self.tailer(logs, path: logs.path)
        var now = Duration.zero
        #expect(Self.messages(Self.drain(&tailer, at: &now)) == ["line 1"])
        logs.append(LogDirectory.line(2), to: "postgresql-01.log")
        logs.touch("postgresql-01.log", modified: 1_001)
        logs.append(LogDirectory.line(3), to: "postgresql-02.log")
        logs.touch("postgresql-02.log", modified: 1_002)
        logs.append(LogDirectory.line(4), to: "postgresql-03.log")
        logs.touch("postgresql-03.log", modified: 1_003)
        #expect(Self.messages(Self.drain(&tailer, at: &now)) == ["line 2", "line 3", "line 4"])
        #expect(tailer.currentPath == logs.file("postgresql-03.log"))
    }

    @Test func directoryWithSeveralFormatsFollowsOnlyTheMostStructuredOne() throws {
        let logs = try LogDirectory()
        logs.append(LogDirectory.line(1), to: "postgresql.log")
        logs.append(#"{"timestamp":"2026-11-27 10:00:00.000 UTC","pid":5,"error_severity":"LOG","message":"from json"}"# + "\n",
                    to: "postgresql.json")
        var options = Self.options()
        options.format = .auto
        options.prefix = nil
        var tailer = Self.tailer(logs, path: logs.path, options: options)
        var now = Duration.zero
        #expect(Self.messages(Self.drain(&tailer, at: &now)) == ["from json"])
    }

    @Test func globModeReadsTheMatchingFiles() throws {
        let logs = try LogDirectory()
        logs.append(LogDirectory.line(1), to: "a.log")
        logs.append(LogDirectory.line(2), to: "other.txt")
        var tailer = Self.tailer(logs, path: logs.path + "/*.log")
        var now = Duration.zero
        #expect(Self.messages(Self.drain(&tailer, at: &now)) == ["line 1"])
    }

    @Test func anOverlongLineIsCutAndTheTailGoesOn() throws {
        let logs = try LogDirectory()
        let long = String(repeating: "x", count: 10_000)
        logs.append(LogDirectory.line(1, long) + LogDirectory.line(2))
        var options = Self.options(cap: 1_024)
        options.readSize = 4_096
        var tailer = Self.tailer(logs, options: options)
        var now = Duration.zero
        let batch = Self.drain(&tailer, at: &now)
        #expect(batch.events.count == 2)
        #expect(batch.events.first?.truncated == true)
        #expect((batch.events.first?.message?.utf8.count ?? 0) <= 1_024)
        #expect(batch.events.last?.message == "line 2")
    }

    @Test func theBudgetBoundsOneBatch() throws {
        let logs = try LogDirectory()
        logs.append((1...2_000).map { LogDirectory.line($0, pid: $0 % 2) }.joined())
        var options = Self.options()
        options.readSize = 8_192
        var tailer = Self.tailer(logs, options: options)
        let first = tailer.poll(now: .zero, budget: 8_192)
        #expect(!first.reachedEnd)
        #expect(first.events.count < 200)
        var total = first.events.count
        var now = Duration.zero
        while true {
            let batch = tailer.poll(now: now, budget: 8_192)
            total += batch.events.count
            if batch.reachedEnd { break }
        }
        now += .seconds(5)
        total += tailer.poll(now: now).events.count
        #expect(total == 2_000)
    }

    @Test func garbageAndInvalidUTF8AreCountedNotFatal() throws {
        let logs = try LogDirectory()
        var bytes = Array(LogDirectory.line(1).utf8)
        bytes += [0xFF, 0xFE, 0x00, 0x01, 0x0A]
        bytes += Array("2026-11-27 10:00:00.000 UTC [100] LOG:  caf".utf8) + [0xE9] + Array(" ok\n".utf8)
        let fd = open(logs.file("postgresql.log"), O_WRONLY | O_CREAT, 0o644)
        _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        close(fd)
        var tailer = Self.tailer(logs)
        var now = Duration.zero
        let batch = Self.drain(&tailer, at: &now)
        // The garbage line is kept as an `unparsed` event, never dropped.
        #expect(Self.messages(batch) == ["line 1", "\u{FFFD}\u{FFFD}\u{0}\u{1}", "caf\u{FFFD} ok"])
        #expect(batch.events.filter { $0.event == .unparsed }.count == 1)
        #expect(tailer.statistics.parse.unparsed == 1)
    }
}
