#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// An open log file on the host, read with `pread` at explicit offsets (``PosixLogFileSystem``). Holding the descriptor is what lets the
/// tailer read a file to its end after it was renamed or deleted by a rotation.
package final class LogFileHandle: LogFile {
    /// The name the file had when it was opened.
    package let path: String
    private let descriptor: Int32

    /// Opens `path` read-only; nil when it cannot be opened.
    package init?(path: String) {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        self.path = path
        self.descriptor = descriptor
    }

    deinit { close(descriptor) }

    /// The file's current status (through the descriptor, so it follows the file across renames).
    package func status() -> FileStatus? {
        FileStatus(descriptor: descriptor)
    }

    /// Reads up to `buffer.count` bytes at `offset`; returns how many (0 at the end of the file), or nil on
    /// an I/O error.
    package func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int64) -> Int? {
        while true {
            let count = pread(descriptor, buffer.baseAddress, buffer.count, off_t(offset))
            if count >= 0 { return count }
            if errno != EINTR { return nil }
        }
    }
}
