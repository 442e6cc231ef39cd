@testable import LogPipeline
import Foundation
import Synchronization

/// A file system in memory, for the tailer's races: names lead to inodes, an open file keeps its inode
/// across renames and removals, and a hook runs just before each open, status, listing and read of a
/// name, so a test can rotate the log exactly between the tailer's listing and its open, or between its
/// check for a truncation and its read.
final class MemoryLogFileSystem: LogFileSystem, Sendable {
    /// A file system call, as the hook sees it.
    enum Call: Sendable, Equatable {
        case open(String), status(String), list(String)
        /// A read of the file opened under this name, at this offset.
        case read(String, at: Int64)
    }

    private struct Inode {
        var bytes: [UInt8] = []
        var modified: Int64 = 0
    }

    private struct State {
        var inodes: [UInt64: Inode] = [:]
        var names: [String: UInt64] = [:]
        var nextInode: UInt64 = 1
        var time: Int64 = 1_000_000_000
        /// Modification times are rounded down to this many nanoseconds, as a kernel's coarse clock does.
        var granularity: Int64 = 1
        var hook: (@Sendable (Call) -> Void)?

        /// The clock after one more change, as a modification time.
        mutating func tick() -> Int64 {
            time += 1_000_000
            return time - time % granularity
        }
    }

    private let state: Mutex<State>

    /// - Parameter granularity: modification times are multiples of this (ext4 takes them from a clock
    ///   that moves once per timer tick, 4 ms at HZ=250); every change advances the clock by 1 ms.
    init(granularity: Duration = .nanoseconds(1)) {
        var state = State()
        state.granularity = max(1, Int64(granularity.components.seconds) * 1_000_000_000
            + granularity.components.attoseconds / 1_000_000_000)
        self.state = Mutex(state)
    }

    /// Runs before every open, status, listing and read (nil: none). It may change the file system.
    func onCall(_ hook: (@Sendable (Call) -> Void)?) { state.withLock { $0.hook = hook } }

    fileprivate func called(_ call: Call) {
        let hook = state.withLock { $0.hook }
        hook?(call)
    }

    // MARK: - What the test does

    /// Appends `text` to `path`, creating it (a new inode) when the name leads nowhere.
    func append(_ text: String, to path: String) {
        state.withLock { state in
            let modified = state.tick()
            let inode = state.names[path] ?? {
                let inode = state.nextInode
                state.nextInode += 1
                state.names[path] = inode
                state.inodes[inode] = Inode()
                return inode
            }()
            state.inodes[inode]!.bytes += Array(text.utf8)
            state.inodes[inode]!.modified = modified
        }
    }

    /// One step of `cp from to`: `to` (created when new) holds the first `count` bytes of `from`.
    func copy(_ from: String, to: String, upTo count: Int) {
        state.withLock { state in
            guard let source = state.names[from] else { return }
            let modified = state.tick()
            let inode = state.names[to] ?? {
                let inode = state.nextInode
                state.nextInode += 1
                state.names[to] = inode
                return inode
            }()
            state.inodes[inode] = Inode(bytes: Array(state.inodes[source]!.bytes.prefix(count)), modified: modified)
        }
    }

    /// The size of the file `path` names (0 when none), without running the hook.
    func size(of path: String) -> Int {
        state.withLock { state in state.names[path].map { state.inodes[$0]!.bytes.count } ?? 0 }
    }

    /// `truncate -s 0 path`.
    func truncate(_ path: String) {
        state.withLock { state in
            guard let inode = state.names[path] else { return }
            let modified = state.tick()
            state.inodes[inode]!.bytes = []
            state.inodes[inode]!.modified = modified
        }
    }

    /// `mv from to`: the inode keeps its content and open files keep reading it.
    func rename(_ from: String, to: String) {
        state.withLock { state in
            guard let inode = state.names.removeValue(forKey: from) else { return }
            state.names[to] = inode
        }
    }

    /// `cp from to` then `truncate -s 0 from`: what logrotate's copytruncate does.
    func copyTruncate(_ from: String, to: String) {
        copy(from, to: to, upTo: .max)
        truncate(from)
    }

    // MARK: - LogFileSystem

    func status(of path: String) -> FileStatus? {
        called(.status(path))
        return state.withLock { state in
            if path.hasSuffix("/"), state.names.keys.contains(where: { $0.hasPrefix(path) }) {
                return FileStatus(device: 1, inode: 0, size: 0, modified: 0, isRegularFile: false, isDirectory: true)
            }
            guard let inode = state.names[path] else {
                let isDirectory = state.names.keys.contains { $0.hasPrefix(path + "/") }
                return isDirectory ? FileStatus(device: 1, inode: 0, size: 0, modified: 0, isRegularFile: false,
                                                isDirectory: true) : nil
            }
            return Self.status(inode, state.inodes[inode]!)
        }
    }

    func names(in directory: String) -> [String] {
        called(.list(directory))
        return state.withLock { state in
            state.names.keys.filter { ($0 as NSString).deletingLastPathComponent == directory }
                .map { ($0 as NSString).lastPathComponent }
        }
    }

    func glob(_ pattern: String) -> [String] { [] }

    func text(of path: String) -> String? {
        state.withLock { state in state.names[path].map { String(decoding: state.inodes[$0]!.bytes, as: UTF8.self) } }
    }

    func open(_ path: String) -> (any LogFile)? {
        called(.open(path))
        guard let inode = state.withLock({ $0.names[path] }) else { return nil }
        return File(path: path, inode: inode, fileSystem: self)
    }

    private static func status(_ number: UInt64, _ inode: Inode) -> FileStatus {
        FileStatus(device: 1, inode: number, size: Int64(inode.bytes.count), modified: inode.modified,
                   isRegularFile: true, isDirectory: false)
    }

    fileprivate func status(ofInode number: UInt64) -> FileStatus? {
        state.withLock { state in state.inodes[number].map { Self.status(number, $0) } }
    }

    fileprivate func read(inode number: UInt64, into buffer: UnsafeMutableRawBufferPointer, at offset: Int64) -> Int? {
        state.withLock { state in
            guard let bytes = state.inodes[number]?.bytes else { return nil }
            guard offset < bytes.count else { return 0 }
            let count = min(buffer.count, bytes.count - Int(offset))
            bytes.withUnsafeBytes { source in
                buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: source[Int(offset)..<Int(offset) + count]))
            }
            return count
        }
    }

    /// An open file: its inode, whatever its name becomes.
    private final class File: LogFile {
        let path: String
        let inode: UInt64
        let fileSystem: MemoryLogFileSystem

        init(path: String, inode: UInt64, fileSystem: MemoryLogFileSystem) {
            self.path = path
            self.inode = inode
            self.fileSystem = fileSystem
        }

        func status() -> FileStatus? { fileSystem.status(ofInode: inode) }

        func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int64) -> Int? {
            fileSystem.called(.read(path, at: offset))
            return fileSystem.read(inode: inode, into: buffer, at: offset)
        }
    }
}
