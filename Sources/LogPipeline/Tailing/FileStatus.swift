#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// What `stat(2)` says about a file, in the few fields the tailer needs.
package struct FileStatus: Sendable, Equatable {
    /// The device the file lives on.
    package var device: UInt64
    /// The inode number on that device.
    package var inode: UInt64
    /// The size in bytes.
    package var size: Int64
    /// The last modification, nanoseconds since the epoch.
    package var modified: Int64
    /// Whether it is a regular file.
    package var isRegularFile: Bool
    /// Whether it is a directory.
    package var isDirectory: Bool

    /// A status from its fields (a file system in memory, in tests).
    package init(device: UInt64, inode: UInt64, size: Int64, modified: Int64, isRegularFile: Bool, isDirectory: Bool) {
        self.device = device
        self.inode = inode
        self.size = size
        self.modified = modified
        self.isRegularFile = isRegularFile
        self.isDirectory = isDirectory
    }

    /// Reads the status of `path` (following symbolic links); nil when it does not exist or cannot be read.
    package init?(path: String) {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        self.init(info)
    }

    /// Reads the status of an open descriptor.
    package init?(descriptor: Int32) {
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { return nil }
        self.init(info)
    }

    private init(_ info: stat) {
        self.device = UInt64(info.st_dev)
        self.inode = UInt64(info.st_ino)
        self.size = Int64(info.st_size)
        #if canImport(Darwin)
        self.modified = Int64(info.st_mtimespec.tv_sec) * 1_000_000_000 + Int64(info.st_mtimespec.tv_nsec)
        #else
        self.modified = Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec)
        #endif
        self.isRegularFile = (info.st_mode & S_IFMT) == S_IFREG
        self.isDirectory = (info.st_mode & S_IFMT) == S_IFDIR
    }

    /// Whether both describe the same file (device and inode), whatever its name now.
    package func isSameFile(as other: FileStatus) -> Bool {
        device == other.device && inode == other.inode
    }
}
