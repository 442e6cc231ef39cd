import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A running `journalctl`: its output read without blocking, its error output kept for the reason it
/// stopped. Stopped (SIGTERM, then reaped) when released.
///
/// Spawned with posix_spawn rather than Foundation's `Process`: the child must start with no blocked
/// signals and default handlers (a thread of the agent may block SIGTERM, and a child inheriting that
/// would never stop), and it is reaped with a plain `waitpid`.
package final class JournalProcess {
    private let pid: pid_t
    private let output: Int32
    private let errors: Int32
    private var reaped: Int32?

    /// Starts `executable` with `arguments`; throws when it cannot be started (not installed).
    init(executable: String, arguments: [String]) throws {
        var outputPipe: [Int32] = [0, 0]
        var errorPipe: [Int32] = [0, 0]
        guard pipe(&outputPipe) == 0 else { throw POSIXError(.EMFILE) }
        guard pipe(&errorPipe) == 0 else {
            close(outputPipe[0]); close(outputPipe[1])
            throw POSIXError(.EMFILE)
        }
        // Not inherited by other children the agent starts meanwhile.
        for descriptor in outputPipe + errorPipe { _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, outputPipe[1], 1)
        posix_spawn_file_actions_adddup2(&actions, errorPipe[1], 2)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attributes, &empty)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGTERM, SIGINT, SIGPIPE, SIGHUP] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        // A small, fixed environment: the agent's own variables (keys, passwords) are none of its business.
        let variables: [String] = ["PATH=/usr/bin:/bin", "LANG=C.UTF-8", "SYSTEMD_COLORS=0"]
        let environment = variables.map { strdup($0) } + [nil]
        defer { environment.forEach { free($0) } }
        var child: pid_t = 0
        let result = posix_spawn(&child, executable, &actions, &attributes, argv, environment)
        close(outputPipe[1])
        close(errorPipe[1])
        guard result == 0 else {
            close(outputPipe[0]); close(errorPipe[0])
            throw POSIXError(POSIXErrorCode(rawValue: result) ?? .ENOENT)
        }
        pid = child
        output = outputPipe[0]
        errors = errorPipe[0]
        for descriptor in [output, errors] { _ = fcntl(descriptor, F_SETFL, fcntl(descriptor, F_GETFL) | O_NONBLOCK) }
    }

    deinit {
        if reaped == nil {
            kill(pid, SIGTERM)
            _ = wait()
        }
        close(output)
        close(errors)
    }

    /// What a read found.
    enum Read {
        case bytes(Int)
        /// Nothing more for now.
        case empty
        /// The process closed its output: it has ended.
        case ended
    }

    /// Reads what is there, up to `buffer.count` bytes.
    func read(into buffer: UnsafeMutableRawBufferPointer) -> Read {
        while true {
            let count = Glibc.read(output, buffer.baseAddress, buffer.count)
            if count > 0 { return .bytes(count) }
            if count == 0 { return .ended }
            if errno == EINTR { continue }
            return errno == EAGAIN || errno == EWOULDBLOCK ? .empty : .ended
        }
    }

    /// After ``Read/ended``: the exit status and the last of what it wrote to stderr (at most 4 KiB).
    func finish() -> (status: Int32, message: String) {
        let status = wait()
        var bytes = [UInt8](repeating: 0, count: 4_096)
        let count = bytes.withUnsafeMutableBytes { Glibc.read(errors, $0.baseAddress, $0.count) }
        let text = count > 0 ? String(decoding: bytes[0..<count], as: UTF8.self) : ""
        return (status, text.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// Runs `executable` to its end (a journalctl without `--follow`, for `check`): its status, output and
    /// error output.
    package static func run(executable: String, arguments: [String], limit: Int = 8 << 20) throws -> (status: Int32, output: [UInt8], errors: String) {
        let process = try JournalProcess(executable: executable, arguments: arguments)
        var collected: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 64 << 10)
        var pollDescriptor = pollfd(fd: process.output, events: Int16(POLLIN), revents: 0)
        reading: while collected.count < limit {
            switch buffer.withUnsafeMutableBytes({ process.read(into: $0) }) {
            case let .bytes(count): collected += buffer[0..<count]
            case .empty: _ = poll(&pollDescriptor, 1, 5_000)
            case .ended: break reading
            }
        }
        let (status, errors) = process.finish()
        return (status, collected, errors)
    }

    /// Reaps the child (once); its exit status, or 128 + the signal that ended it.
    private func wait() -> Int32 {
        if let reaped { return reaped }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let code = (status & 0x7F) == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
        reaped = code
        return code
    }
}

