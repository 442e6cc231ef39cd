import AgentSchema
@testable import LogPipeline
import Synchronization
import Testing

/// The rotation races the tailer survives, made deterministic: a file system in memory runs the
/// rotation exactly between the tailer's listing and its open (or its status call), where on a real
/// host it happens once in many thousand polls.
@Suite struct LogTailerRaceTests {
    static let log = "/logs/postgresql.log"

    static func tailer(_ fileSystem: MemoryLogFileSystem, path: String = log) -> LogTailer {
        LogTailer(scanner: LogSourceScanner(path: path, format: .stderr, fileSystem: fileSystem),
                  options: LogTailerTests.options(), checkpoint: nil)
    }

    /// Polls until a poll brings nothing new, past the quiet period each time; returns the messages.
    static func drain(_ tailer: inout LogTailer, at now: inout Duration) -> [String] {
        var messages: [String] = []
        for _ in 0..<8 {
            let batch = tailer.poll(now: now)
            now += .seconds(5)
            messages += batch.events.map { $0.message ?? "?" }
        }
        return messages
    }

    /// A tailer that has opened the log while it was empty (no head bytes to know it by) and polled it.
    static func openedEmpty() -> (MemoryLogFileSystem, LogTailer, Duration) {
        let fileSystem = MemoryLogFileSystem()
        fileSystem.append("", to: log)
        var tailer = tailer(fileSystem)
        var now = Duration.zero
        #expect(drain(&tailer, at: &now).isEmpty, "opened while empty")
        return (fileSystem, tailer, now)
    }

    /// Runs `action` once, at the first file system call that `matches`.
    static func once(_ fileSystem: MemoryLogFileSystem, when matches: @escaping @Sendable (MemoryLogFileSystem.Call) -> Bool,
                     _ action: @escaping @Sendable () -> Void) {
        let done = Mutex(false)
        fileSystem.onCall { call in
            guard matches(call), done.withLock({ done in defer { done = true }; return !done }) else { return }
            action()
        }
    }

    @Test func aSecondRenameBetweenTheListingAndTheOpenOfTheNewFileLosesNothing() {
        let fileSystem = MemoryLogFileSystem()
        fileSystem.append(LogDirectory.line(1) + LogDirectory.line(2), to: Self.log)
        var tailer = Self.tailer(fileSystem)
        var now = Duration.zero
        #expect(Self.drain(&tailer, at: &now) == ["line 1", "line 2"])

        // logrotate renames the file and the server opens a new one, written at once.
        fileSystem.rename(Self.log, to: Self.log + ".1")
        fileSystem.append(LogDirectory.line(3), to: Self.log)
        // The tailer lists the files and opens the new name; just before that open, a second rotation:
        // the file holding line 3 moves to `.1`, and the name now leads to a third file.
        Self.once(fileSystem, when: { $0 == .open(Self.log) }) {
            fileSystem.rename(Self.log + ".1", to: Self.log + ".2")
            fileSystem.rename(Self.log, to: Self.log + ".1")
            fileSystem.append(LogDirectory.line(4), to: Self.log)
        }
        #expect(Self.drain(&tailer, at: &now) == ["line 3", "line 4"], "the file opened second is read after the one it hid")
        #expect(tailer.statistics.rotations == 2)
    }

    @Test func aRenameBetweenTheListingAndTheStatusHidesNoFile() {
        let fileSystem = MemoryLogFileSystem()
        fileSystem.append(LogDirectory.line(1), to: "/logs/postgresql-10.log")
        let scanner = LogSourceScanner(path: "/logs", format: .stderr, fileSystem: fileSystem)
        // The name is listed, then renamed before its status is read: the listed name leads nowhere.
        Self.once(fileSystem, when: { $0 == .status("/logs/postgresql-10.log") }) {
            fileSystem.rename("/logs/postgresql-10.log", to: "/logs/postgresql-11.log")
        }
        #expect(scanner.candidates().map(\.path) == ["/logs/postgresql-11.log"])
    }

    @Test func aFileFilledAndCopytruncatedBetweenTwoPollsIsReadFromItsCopy() {
        let (fileSystem, opened, start) = Self.openedEmpty()
        var (tailer, now) = (opened, start)
        // Between two polls: the server writes, logrotate copies and truncates, the server writes again.
        fileSystem.append(LogDirectory.line(1) + LogDirectory.line(2), to: Self.log)
        fileSystem.copyTruncate(Self.log, to: Self.log + ".1")
        fileSystem.append(LogDirectory.line(3), to: Self.log)
        #expect(Self.drain(&tailer, at: &now) == ["line 1", "line 2", "line 3"])
    }

    @Test func aListedFileRenamedBeforeItsOpenIsNotOpenedUnderItsName() throws {
        let fileSystem = MemoryLogFileSystem()
        fileSystem.append(LogDirectory.line(1), to: Self.log + ".1")
        let scanner = LogSourceScanner(path: Self.log, format: .stderr, fileSystem: fileSystem)
        fileSystem.append(LogDirectory.line(2), to: Self.log)
        let listed = scanner.candidates(includeRotated: true)
        let rotated = try #require(listed.first { $0.path == Self.log + ".1" })
        // Between the listing and the open, `.1` is rotated on to `.2` and `.log` to `.1`.
        fileSystem.rename(Self.log + ".1", to: Self.log + ".2")
        fileSystem.rename(Self.log, to: Self.log + ".1")
        #expect(scanner.open(rotated) == nil, "the name now leads to another file")
        #expect(try scanner.open(#require(scanner.candidates(includeRotated: true).first { $0.path == Self.log + ".2" })) != nil)
    }

    @Test func aCopyOfAFileNotYetTruncatedIsNotReadBeforeTheFile() {
        let (fileSystem, opened, start) = Self.openedEmpty()
        var (tailer, now) = (opened, start)
        // Between two polls the file is filled and copied, but not truncated yet.
        fileSystem.append(LogDirectory.line(1) + LogDirectory.line(2), to: Self.log)
        fileSystem.copy(Self.log, to: Self.log + ".1", upTo: .max)
        #expect(Self.drain(&tailer, at: &now) == ["line 1", "line 2"], "read once, from the file itself")
        // The truncation comes, and the server writes on.
        fileSystem.truncate(Self.log)
        fileSystem.append(LogDirectory.line(3), to: Self.log)
        #expect(Self.drain(&tailer, at: &now) == ["line 3"])
    }

    @Test func aFileFilledAndRenamedBetweenTwoPollsIsNoCopyOfTheNewOne() {
        let (fileSystem, opened, start) = Self.openedEmpty()
        var (tailer, now) = (opened, start)
        // Between two polls: the server writes, rotates by rename and writes to the new file.
        fileSystem.append(LogDirectory.line(1), to: Self.log)
        fileSystem.rename(Self.log, to: Self.log + ".1")
        fileSystem.append(LogDirectory.line(2), to: Self.log)
        #expect(Self.drain(&tailer, at: &now) == ["line 1", "line 2"])
    }

    @Test func aCopytruncateBetweenTheCheckForItAndTheReadIsReadFromTheCopy() {
        let fileSystem = MemoryLogFileSystem()
        fileSystem.append((1...3).map { LogDirectory.line($0) }.joined(), to: Self.log)
        var tailer = Self.tailer(fileSystem)
        var now = Duration.zero
        #expect(Self.drain(&tailer, at: &now) == ["line 1", "line 2", "line 3"])
        let offset = Int64(fileSystem.size(of: Self.log))
        fileSystem.append(LogDirectory.line(4) + LogDirectory.line(5), to: Self.log)
        // The tailer has found the file intact and reads on at its offset; just before that read,
        // logrotate copies and truncates it, and the server writes more than the old offset again.
        Self.once(fileSystem, when: { $0 == .read(Self.log, at: offset) }) {
            fileSystem.copyTruncate(Self.log, to: Self.log + ".1")
            fileSystem.append((6...12).map { LogDirectory.line($0) }.joined(), to: Self.log)
        }
        #expect(Self.drain(&tailer, at: &now) == (4...12).map { "line \($0)" },
                "the rest from the copy, then the new content from its start, nothing from its middle")
        #expect(tailer.statistics.copiesRead == 1)
    }

    @Test func aFileFilledAndCopytruncatedJustBeforeItsFirstReadIsReadFromItsCopy() {
        let (fileSystem, opened, start) = Self.openedEmpty()
        var (tailer, now) = (opened, start)
        // The tailer found the file empty at the start of its poll; before its first read the server
        // writes, logrotate copies and truncates, and the server writes again.
        Self.once(fileSystem, when: { $0 == .read(Self.log, at: 0) }) {
            fileSystem.append(LogDirectory.line(1) + LogDirectory.line(2), to: Self.log)
            fileSystem.copyTruncate(Self.log, to: Self.log + ".1")
            fileSystem.append(LogDirectory.line(3), to: Self.log)
        }
        #expect(Self.drain(&tailer, at: &now) == ["line 1", "line 2", "line 3"])
    }

    /// Runs `action` once, at the `nth` call that `matches` from the first call `armed` accepts on.
    static func at(_ nth: Int, _ fileSystem: MemoryLogFileSystem, armedBy armed: @escaping @Sendable (MemoryLogFileSystem.Call) -> Bool,
                   when matches: @escaping @Sendable (MemoryLogFileSystem.Call) -> Bool, _ action: @escaping @Sendable () -> Void) {
        let seen = Mutex<Int?>(nil)
        fileSystem.onCall { call in
            let fire = seen.withLock { seen -> Bool in
                if seen == nil, armed(call) { seen = 0 }
                guard seen != nil, matches(call) else { return false }
                seen! += 1
                return seen == nth
            }
            if fire { action() }
        }
    }

    static func lines(_ range: ClosedRange<Int>) -> String { range.map { LogDirectory.line($0) }.joined() }

    @Test func aNewFileCopytruncatedJustAfterItIsChosenIsReadFromItsCopy() {
        let fileSystem = MemoryLogFileSystem()
        fileSystem.append(Self.lines(1...3), to: Self.log)
        var tailer = Self.tailer(fileSystem)
        var now = Duration.zero
        #expect(Self.drain(&tailer, at: &now) == ["line 1", "line 2", "line 3"])
        fileSystem.rename(Self.log, to: Self.log + ".1")
        fileSystem.append(Self.lines(4...6), to: Self.log)
        // The tailer opens the new file to move to it; before it first reads its head, logrotate copies
        // and truncates it, and the server writes on.
        Self.at(1, fileSystem, armedBy: { $0 == .open(Self.log) }, when: { $0 == .read(Self.log, at: 0) }) {
            fileSystem.copyTruncate(Self.log, to: Self.log + ".2")
            fileSystem.append(LogDirectory.line(7), to: Self.log)
        }
        #expect(Self.drain(&tailer, at: &now) == (4...7).map { "line \($0)" })
    }

    @Test func aFileCopytruncatedWhileItsHeadGrowsIsReadFromItsCopy() {
        let fileSystem = MemoryLogFileSystem()
        fileSystem.append(Self.lines(1...2), to: Self.log)
        var tailer = Self.tailer(fileSystem)
        var now = Duration.zero
        #expect(Self.drain(&tailer, at: &now) == ["line 1", "line 2"], "known by a head shorter than its capacity")
        fileSystem.append(Self.lines(3...30), to: Self.log)
        // The next poll checks the head it knows (the first read at 0), then reads a longer one (the
        // second); between the two, logrotate copies and truncates, and the server writes more than before.
        Self.at(2, fileSystem, armedBy: { _ in true }, when: { $0 == .read(Self.log, at: 0) }) {
            fileSystem.copyTruncate(Self.log, to: Self.log + ".1")
            fileSystem.append(Self.lines(31...70), to: Self.log)
        }
        #expect(Self.drain(&tailer, at: &now) == (3...70).map { "line \($0)" })
    }

    @Test func aCopytruncateWhileAResumeChecksItsFileIsReadFromTheCopy() throws {
        let fileSystem = MemoryLogFileSystem()
        fileSystem.append(Self.lines(1...5), to: Self.log)
        var first = Self.tailer(fileSystem)
        var now = Duration.zero
        #expect(Self.drain(&first, at: &now) == (1...5).map { "line \($0)" })
        let checkpoint = try #require(first.poll(now: now).checkpoint)
        fileSystem.append(Self.lines(6...7), to: Self.log)
        // Restarted: while it checks the bytes before its offset, logrotate copies and truncates the file.
        let preceding = checkpoint.offset - Int64(checkpoint.precedingLength)
        Self.once(fileSystem, when: { $0 == .read(Self.log, at: preceding) }) {
            fileSystem.copyTruncate(Self.log, to: Self.log + ".1")
            fileSystem.append(LogDirectory.line(8), to: Self.log)
        }
        var second = LogTailer(scanner: LogSourceScanner(path: Self.log, format: .stderr, fileSystem: fileSystem),
                               options: LogTailerTests.options(), checkpoint: checkpoint)
        #expect(Self.drain(&second, at: &now) == ["line 6", "line 7", "line 8"])
    }

    @Test func aSecondCopytruncateWhileTheFirstCopyIsReadIsReadFromItsOwnCopy() {
        let fileSystem = MemoryLogFileSystem()
        fileSystem.append(Self.lines(1...3), to: Self.log)
        var tailer = Self.tailer(fileSystem)
        var now = Duration.zero
        #expect(Self.drain(&tailer, at: &now) == (1...3).map { "line \($0)" })
        let offset = Int64(fileSystem.size(of: Self.log))
        fileSystem.append(LogDirectory.line(4), to: Self.log)
        fileSystem.copyTruncate(Self.log, to: Self.log + ".1")
        fileSystem.append(Self.lines(5...6), to: Self.log)
        // While the tailer reads the rest of the first copy, the file is copied and truncated again.
        Self.once(fileSystem, when: { $0 == .read(Self.log + ".1", at: offset) }) {
            fileSystem.copyTruncate(Self.log, to: Self.log + ".2")
            fileSystem.append(LogDirectory.line(7), to: Self.log)
        }
        #expect(Self.drain(&tailer, at: &now) == (4...7).map { "line \($0)" })
    }

    @Test func aFileOpenedEmptyIsKnownByTheBytesItsFirstReadGot() {
        let (fileSystem, opened, start) = Self.openedEmpty()
        var (tailer, now) = (opened, start)
        // The server writes just before the tailer's first read; just before the tailer next reads the
        // head, it writes again, logrotate copies and truncates, and the server writes on.
        let reads = Mutex(0)
        fileSystem.onCall { call in
            guard call == .read(Self.log, at: 0) else { return }
            switch reads.withLock({ reads -> Int in reads += 1; return reads }) {
            case 1:
                fileSystem.append(Self.lines(1...2), to: Self.log)
            case 2:
                fileSystem.append(LogDirectory.line(3), to: Self.log)
                fileSystem.copyTruncate(Self.log, to: Self.log + ".1")
                fileSystem.append(Self.lines(4...7), to: Self.log)
            default:
                break
            }
        }
        #expect(Self.drain(&tailer, at: &now) == (1...7).map { "line \($0)" })
    }

    @Test func aFileFilledCopytruncatedAndRenamedBetweenTwoPollsIsReadFromItsCopyFirst() {
        let (fileSystem, opened, start) = Self.openedEmpty()
        var (tailer, now) = (opened, start)
        // Between two polls: filled, copied and truncated, filled again, renamed away, and a new file.
        fileSystem.append(Self.lines(1...2), to: Self.log)
        fileSystem.copyTruncate(Self.log, to: Self.log + ".1")
        fileSystem.append(LogDirectory.line(3), to: Self.log)
        fileSystem.rename(Self.log, to: Self.log + ".r")
        fileSystem.append(LogDirectory.line(4), to: Self.log)
        #expect(Self.drain(&tailer, at: &now) == (1...4).map { "line \($0)" })
    }
}
