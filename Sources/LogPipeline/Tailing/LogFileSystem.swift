/// The file system calls the tailer and the scanner make, so that their decisions can be tested against
/// a file system a test controls: a rename or a copytruncate between a listing and an open happens
/// exactly where the test puts it. ``PosixLogFileSystem`` is the real one.
package protocol LogFileSystem: Sendable {
    /// What `stat(2)` says about `path` (following symbolic links); nil when it does not exist.
    func status(of path: String) -> FileStatus?
    /// The names in `directory` (not paths); empty when it cannot be listed.
    func names(in directory: String) -> [String]
    /// The paths that match a shell glob `pattern`.
    func glob(_ pattern: String) -> [String]
    /// A small text file's contents (`current_logfiles`); nil when it cannot be read.
    func text(of path: String) -> String?
    /// Opens `path` for reading; nil when it cannot be opened.
    func open(_ path: String) -> (any LogFile)?
}

/// An open log file. It stays the same file across renames and deletions of its name, as an open
/// descriptor does.
package protocol LogFile: AnyObject {
    /// The name the file had when it was opened.
    var path: String { get }
    /// The file's status now (of the open file, whatever its name now).
    func status() -> FileStatus?
    /// Reads up to `buffer.count` bytes at `offset`; returns how many (0 at the end of the file), or nil
    /// on an I/O error.
    func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int64) -> Int?
}

extension LogFile {
    /// Reads exactly `count` bytes at `offset`, or fewer when the file ends first.
    package func bytes(at offset: Int64, count: Int) -> [UInt8] {
        guard count > 0 else { return [] }
        var result = [UInt8](repeating: 0, count: count)
        var filled = 0
        result.withUnsafeMutableBytes { buffer in
            while filled < count,
                  let got = read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[filled...]),
                                 at: offset + Int64(filled)),
                  got > 0 {
                filled += got
            }
        }
        result.removeLast(count - filled)
        return result
    }
}
