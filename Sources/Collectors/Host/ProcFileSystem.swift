#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Read access to the kernel's `/proc` and `/sys` files, below an injectable root directory.
///
/// Tests point ``root`` at a fixture tree and fake ``statvfs``; production uses `/` and the real
/// system call. A container that mounts the host's filesystem elsewhere (say `/host`) can point
/// the root there to see the host instead of itself.
package struct ProcFileSystem: Sendable {
    /// The directory that stands for `/`; never ends with a slash (the real root is the empty string).
    package let root: String
    /// Measures the filesystem that holds a path; `nil` when the call fails.
    ///
    /// The path is used as given, not below ``root``: it names the data directory as this
    /// process sees it.
    package let statvfs: @Sendable (String) -> VolumeStatistics?

    /// Creates a view of the files below `root`.
    ///
    /// - Parameters:
    ///   - root: The directory that stands for `/`. Defaults to `/`.
    ///   - statvfs: Measures a filesystem. Defaults to ``systemStatvfs``, the real system call.
    package init(
        root: String = "/",
        statvfs: @escaping @Sendable (String) -> VolumeStatistics? = ProcFileSystem.systemStatvfs
    ) {
        var root = root
        while root.hasSuffix("/") { root.removeLast() }
        self.root = root
        self.statvfs = statvfs
    }

    /// The contents of a file, such as `/proc/stat`, decoded as UTF-8.
    ///
    /// - Parameter path: An absolute path, taken relative to ``root``.
    /// - Returns: The file's text, or `nil` when it is missing or cannot be read (some `/proc`
    ///   files exist but refuse reads, such as `/proc/pressure/*` on a kernel booted with `psi=0`).
    package func read(_ path: String) -> String? {
        readWholeFile(resolve(path))
    }

    /// Whether a file or directory exists, such as `/sys/block/sda`.
    ///
    /// - Parameter path: An absolute path, taken relative to ``root``.
    package func exists(_ path: String) -> Bool {
        access(resolve(path), F_OK) == 0
    }

    /// The path below ``root`` that stands for `path`.
    func resolve(_ path: String) -> String {
        path.hasPrefix("/") ? root + path : root + "/" + path
    }
}

extension ProcFileSystem {
    /// Sizes and free space of one filesystem, as `statvfs(3)` reports them.
    package struct VolumeStatistics: Sendable, Equatable {
        /// The unit of the block counts, in bytes (`f_frsize`).
        package var fragmentSize: UInt64
        /// Blocks in the filesystem (`f_blocks`).
        package var blocks: UInt64
        /// Free blocks, including those reserved for root (`f_bfree`).
        package var freeBlocks: UInt64
        /// Free blocks an unprivileged user may use (`f_bavail`).
        package var availableBlocks: UInt64
        /// Inodes in the filesystem (`f_files`).
        package var files: UInt64
        /// Free inodes (`f_ffree`).
        package var freeFiles: UInt64

        /// Creates the statistics of one filesystem.
        package init(
            fragmentSize: UInt64, blocks: UInt64, freeBlocks: UInt64, availableBlocks: UInt64,
            files: UInt64, freeFiles: UInt64
        ) {
            self.fragmentSize = fragmentSize
            self.blocks = blocks
            self.freeBlocks = freeBlocks
            self.availableBlocks = availableBlocks
            self.files = files
            self.freeFiles = freeFiles
        }
    }

    /// The real `statvfs(3)` call.
    package static let systemStatvfs: @Sendable (String) -> VolumeStatistics? = { path in
        callStatvfs(path)
    }
}

/// Calls `statvfs(3)`. It lives outside the type because ``ProcFileSystem/statvfs`` would shadow
/// the C function inside it.
private func callStatvfs(_ path: String) -> ProcFileSystem.VolumeStatistics? {
    var buffer = statvfs()
    guard statvfs(path, &buffer) == 0 else { return nil }
    // Some filesystems leave f_frsize at 0; POSIX then says the unit is f_bsize.
    let fragmentSize = buffer.f_frsize != 0 ? UInt64(buffer.f_frsize) : UInt64(buffer.f_bsize)
    return ProcFileSystem.VolumeStatistics(
        fragmentSize: fragmentSize,
        blocks: UInt64(buffer.f_blocks),
        freeBlocks: UInt64(buffer.f_bfree),
        availableBlocks: UInt64(buffer.f_bavail),
        files: UInt64(buffer.f_files),
        freeFiles: UInt64(buffer.f_ffree)
    )
}

/// Reads a whole file with plain `read(2)` calls until end of file.
///
/// Files in `/proc` and `/sys` report a size of 0 and are generated as they are read, so we cannot
/// size a buffer from `stat`; we read in chunks until `read` returns 0.
private func readWholeFile(_ path: String) -> String? {
    let descriptor = open(path, O_RDONLY | O_CLOEXEC)
    guard descriptor >= 0 else { return nil }
    defer { close(descriptor) }
    var bytes: [UInt8] = []
    let chunkSize = 16 * 1024
    // An uninitialised buffer on the stack: zero-filling a fresh 64 KiB chunk for every file of every
    // cycle showed in the profile.
    let failed = withUnsafeTemporaryAllocation(byteCount: chunkSize, alignment: 16) { chunk -> Bool in
        while true {
            let count = read(descriptor, chunk.baseAddress, chunkSize)
            if count > 0 {
                bytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: chunk[0..<count]))
            } else if count == 0 {
                return false
            } else if errno != EINTR {
                return true
            }
        }
    }
    return failed ? nil : String(decoding: bytes, as: UTF8.self)
}
