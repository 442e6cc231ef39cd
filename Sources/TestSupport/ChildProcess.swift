package import Foundation

/// Runs a program to completion and captures what it printed.
///
/// We spawn and `waitpid` ourselves: Foundation's `Process.waitUntilExit()` can miss the child's exit when
/// called from a Swift concurrency thread (seen here: a zombie child and a test that never finished).
package enum ChildProcess {
    /// What a finished child left behind.
    package struct Result: Sendable {
        package var status: Int32
        package var stdout: String
        package var stderr: String
    }

    /// Runs `arguments[0]` with `arguments`, the given environment (`nil`: ours), stdin from /dev/null.
    package static func run(_ arguments: [String], environment: [String: String]? = nil) throws -> Result {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("child-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let outPath = directory.appendingPathComponent("out").path
        let errPath = directory.appendingPathComponent("err").path
        let child = try start(arguments, environment: environment, stdout: outPath, stderr: errPath, searchPath: false)
        let status = child.wait()
        return Result(status: status,
                      stdout: (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? "",
                      stderr: (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? "")
    }
}

extension ChildProcess {
    /// A child started with ``start(_:environment:stdout:stderr:)`` and not yet waited for.
    package final class Running: Sendable {
        /// Its process id.
        package let pid: pid_t

        init(pid: pid_t) { self.pid = pid }

        /// Sends `signal`.
        package func kill(_ signal: Int32) {
            _ = Glibc.kill(pid, signal)
        }

        /// Waits for the exit: the exit code, or -signal when a signal ended it.
        package func wait() -> Int32 {
            var status: Int32 = 0
            while waitpid(pid, &status, 0) < 0 {
                guard errno == EINTR else { return -1 }
            }
            return (status & 0x7f) == 0 ? (status >> 8) & 0xff : -(status & 0x7f)
        }

        /// The exit status if the child has ended, without waiting; nil while it runs.
        package func exited() -> Int32? {
            var status: Int32 = 0
            guard waitpid(pid, &status, WNOHANG) == pid else { return nil }
            return (status & 0x7f) == 0 ? (status >> 8) & 0xff : -(status & 0x7f)
        }
    }

    /// Starts `arguments[0]` (looked up in PATH with `searchPath`) without waiting for it; its output goes
    /// to the given files (appended).
    package static func start(_ arguments: [String], environment: [String: String]? = nil,
                              stdout: String = "/dev/null", stderr: String = "/dev/null",
                              searchPath: Bool = true) throws -> Running {
        var fileActions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&fileActions)
        defer { posix_spawn_file_actions_destroy(&fileActions) }
        posix_spawn_file_actions_addopen(&fileActions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&fileActions, 1, stdout, O_WRONLY | O_CREAT | O_APPEND, 0o600)
        posix_spawn_file_actions_addopen(&fileActions, 2, stderr, O_WRONLY | O_CREAT | O_APPEND, 0o600)
        var cArguments = arguments.map { strdup($0) } + [nil]
        defer { cArguments.forEach { free($0) } }
        let env = (environment ?? ProcessInfo.processInfo.environment).map { "\($0.key)=\($0.value)" }
        var cEnvironment = env.map { strdup($0) } + [nil]
        defer { cEnvironment.forEach { free($0) } }
        // The child starts with no blocked signals and default handlers: a test runner thread may block
        // SIGTERM, and a child inheriting that mask would never stop when told to.
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
        var pid: pid_t = 0
        let spawned = searchPath
            ? posix_spawnp(&pid, arguments[0], &fileActions, &attributes, &cArguments, &cEnvironment)
            : posix_spawn(&pid, arguments[0], &fileActions, &attributes, &cArguments, &cEnvironment)
        guard spawned == 0 else {
            throw CocoaError(.executableLoad)
        }
        return Running(pid: pid)
    }
}
