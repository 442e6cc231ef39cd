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
        let fileSystem = MemoryLogFileSystem()
        fileSystem.append("", to: Self.log)
        var tailer = Self.tailer(fileSystem)
        var now = Duration.zero
        #expect(Self.drain(&tailer, at: &now).isEmpty, "opened while empty: no head bytes to recognise it by")
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
        let fileSystem = MemoryLogFileSystem()
        fileSystem.append("", to: Self.log)
        var tailer = Self.tailer(fileSystem)
        var now = Duration.zero
        #expect(Self.drain(&tailer, at: &now).isEmpty)
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
        let fileSystem = MemoryLogFileSystem()
        fileSystem.append("", to: Self.log)
        var tailer = Self.tailer(fileSystem)
        var now = Duration.zero
        #expect(Self.drain(&tailer, at: &now).isEmpty, "opened while empty")
        // Between two polls: the server writes, rotates by rename and writes to the new file.
        fileSystem.append(LogDirectory.line(1), to: Self.log)
        fileSystem.rename(Self.log, to: Self.log + ".1")
        fileSystem.append(LogDirectory.line(2), to: Self.log)
        #expect(Self.drain(&tailer, at: &now) == ["line 1", "line 2"])
    }
}
