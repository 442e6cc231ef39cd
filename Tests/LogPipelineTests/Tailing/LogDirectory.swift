import Foundation

/// A scratch directory of log files for tailer tests, written the way servers and logrotate write them.
final class LogDirectory {
    let path: String

    init() throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("tailer-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    func file(_ name: String) -> String { (path as NSString).appendingPathComponent(name) }

    /// Appends `text` to `name` (created when missing), as a server with O_APPEND does.
    func append(_ text: String, to name: String = "postgresql.log") {
        let fd = open(file(name), O_WRONLY | O_CREAT | O_APPEND, 0o644)
        precondition(fd >= 0)
        _ = Array(text.utf8).withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        close(fd)
    }

    /// Writes `text` at byte `offset`, as a writer without O_APPEND does after a truncation.
    func write(_ text: String, at offset: Int, to name: String = "postgresql.log") {
        let fd = open(file(name), O_WRONLY | O_CREAT, 0o644)
        precondition(fd >= 0)
        _ = Array(text.utf8).withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, off_t(offset)) }
        close(fd)
    }

    func rename(_ from: String, to: String) {
        precondition(Foundation.rename(file(from), file(to)) == 0)
    }

    func remove(_ name: String) {
        precondition(unlink(file(name)) == 0)
    }

    /// logrotate's copytruncate: copy the file, then cut the original to zero.
    func copyTruncate(_ name: String, to copy: String) throws {
        try FileManager.default.copyItem(atPath: file(name), toPath: file(copy))
        precondition(truncate(file(name), 0) == 0)
    }

    /// Sets a file's modification time (seconds since the epoch), to order files without waiting.
    func touch(_ name: String, modified seconds: Int) {
        var times = [timespec(tv_sec: seconds, tv_nsec: 0), timespec(tv_sec: seconds, tv_nsec: 0)]
        precondition(utimensat(AT_FDCWD, file(name), &times, 0) == 0)
    }

    /// One stderr line under the prefix `%m [%p] `.
    static func line(_ number: Int, pid: Int = 100, _ text: String? = nil) -> String {
        "2026-11-27 10:00:00.000 UTC [\(pid)] LOG:  \(text ?? "line \(number)")\n"
    }
}
