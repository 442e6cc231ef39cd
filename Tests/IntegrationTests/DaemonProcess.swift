import Foundation
import Synchronization
import TestSupport
import Testing

/// `postgres-agent run` as a real process, with a fake systemd notification socket, for the daemon
/// tests: what it logged (JSON lines on stderr), what it told systemd, and how it exited.
final class DaemonProcess {
    let directory: String
    let configPath: String
    let environment: [String: String]
    private(set) var process: ChildProcess.Running
    let notifySocket: Int32
    var stderrPath: String { directory + "/daemon.err" }

    /// Extra arguments of `run`.
    let arguments: [String]
    /// The executable run (the suite's binary unless a test gives a copy of its own).
    let binary: String

    init(directory: String, config: String, environment: [String: String] = [:], watchdogMicroseconds: Int = 1_000_000,
         arguments: [String] = [], binary: String? = nil) throws {
        self.arguments = arguments
        self.binary = try binary ?? ReferenceListener.binary
        self.directory = directory
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        configPath = directory + "/agent.ini"
        try config.write(toFile: configPath, atomically: true, encoding: .utf8)
        let socketPath = directory + "/notify.sock"
        unlink(socketPath)
        notifySocket = try Self.bindDatagramSocket(socketPath)
        self.environment = ["PATH": "/usr/bin:/bin", "HOME": "/nonexistent", "NOTIFY_SOCKET": socketPath,
                            "WATCHDOG_USEC": "\(watchdogMicroseconds)"].merging(environment) { $1 }
        process = try Self.spawn(binary: self.binary, configPath: configPath, environment: self.environment,
                                 stderr: directory + "/daemon.err", arguments: arguments)
        startReading()
    }

    deinit {
        reader?.cancel()
        if process.exited() == nil {
            process.kill(SIGKILL)
            _ = process.wait()
        }
        close(notifySocket)
    }

    private static func spawn(binary: String, configPath: String, environment: [String: String], stderr: String,
                              arguments: [String]) throws -> ChildProcess.Running {
        try ChildProcess.start([binary, "run", "--config", configPath] + arguments, environment: environment,
                               stderr: stderr, searchPath: false)
    }

    /// Starts the daemon again with the same configuration and environment.
    func restart() throws {
        process = try Self.spawn(binary: binary, configPath: configPath, environment: environment, stderr: stderrPath,
                                 arguments: arguments)
    }

    /// SIGTERM, then the exit status and how long the exit took; SIGKILL after `limit`.
    func terminate(limit: Duration = .seconds(20)) async throws -> (status: Int32, took: Duration) {
        let start = ContinuousClock.now
        process.kill(SIGTERM)
        while true {
            if let status = process.exited() {
                drain()
                return (status, ContinuousClock.now - start)
            }
            if ContinuousClock.now - start > limit {
                process.kill(SIGKILL)
                let status = process.wait()
                drain()
                // What was still running shows in the last lines (ServiceLifecycle logs each service's
                // end at debug level).
                Issue.record("the daemon was still running \(limit) after SIGTERM; its log ends:\n\(logText.suffix(6000))")
                return (status, ContinuousClock.now - start)
            }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    func signal(_ signal: Int32) { process.kill(signal) }

    /// Waits for an exit the daemon decides itself; nil if it is still running after `limit`.
    func waitForExit(limit: Duration = .seconds(20)) async throws -> Int32? {
        let start = ContinuousClock.now
        while ContinuousClock.now - start < limit {
            if let status = process.exited() {
                drain()
                return status
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        return nil
    }

    /// The log lines so far, each parsed (a line that is not a JSON object fails the test).
    func logLines() throws -> [[String: Any]] {
        let text = (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? ""
        return try text.split(separator: "\n").map { line in
            try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "not JSON: \(line)")
        }
    }

    var logText: String { (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? "" }

    /// Every datagram sent to the fake NOTIFY_SOCKET so far. Like systemd, a reader drains the socket
    /// all the time (its queue holds only about ten datagrams).
    func notifications() -> [String] {
        inbox.messages.withLock { $0 }
    }

    private final class Inbox: Sendable {
        let messages = Mutex<[String]>([])

        /// Receives one datagram from `fd` without waiting; false when none is queued.
        func receive(from fd: Int32) -> Bool {
            var buffer = [UInt8](repeating: 0, count: 4096)
            let count = recv(fd, &buffer, buffer.count, Int32(MSG_DONTWAIT))
            guard count > 0 else { return false }
            let message = String(decoding: buffer.prefix(count), as: UTF8.self)
            messages.withLock { $0.append(message) }
            return true
        }
    }

    private let inbox = Inbox()
    private var reader: Task<Void, Never>?

    private func startReading() {
        let fd = notifySocket
        let inbox = self.inbox
        reader = Task.detached {
            while !Task.isCancelled {
                if !inbox.receive(from: fd) { try? await Task.sleep(for: .milliseconds(10)) }
            }
        }
    }

    /// Reads what is queued on the socket now: every datagram the daemon sent before its exit, which the
    /// reader, waking every 10 ms, may not have read yet when the exit is seen.
    private func drain() {
        while inbox.receive(from: notifySocket) {}
    }

    static func bindDatagramSocket(_ path: String) throws -> Int32 {
        try #require(DatagramSocket.bind(path), "bind \(path)")
    }
}

/// A PostgreSQL 15 cluster of the test's own, which it may stop and start at will.
final class ThrowawayCluster {
    let directory: String
    let port: Int
    let binDirectory = "/usr/lib/postgresql/15/bin"
    var logDirectory: String { directory + "/log" }

    /// A new cluster on `port`, or with `standbyOf`, a standby of that (running) cluster, copied by
    /// pg_basebackup with its replication settings (`-R`).
    init(port: Int, standbyOf primary: ThrowawayCluster? = nil) throws {
        self.port = port
        directory = "/tmp/pgagent-throwaway-\(UInt32.random(in: 0...UInt32.max))"
        #expect(try TestClusters.runAsPostgres(["/bin/mkdir", "-p", directory + "/log"]) == 0)
        if let primary {
            let status = try TestClusters.runAsPostgres([
                "\(binDirectory)/pg_basebackup", "-h", "127.0.0.1", "-p", "\(primary.port)", "-U", "postgres",
                "-D", directory + "/data", "-R", "-X", "stream", "--no-sync"])
            try #require(status == 0, "pg_basebackup")
            return
        }
        let status = try TestClusters.runAsPostgres([
            "/usr/bin/env", "LC_ALL=C", "\(binDirectory)/initdb", "-D", directory + "/data", "-U", "postgres",
            "--auth-local=trust", "--auth-host=trust", "-E", "UTF8", "--locale=C", "--no-sync"])
        try #require(status == 0, "initdb")
    }

    func start() throws {
        let options = "-p \(port) -k \(directory) -c listen_addresses=127.0.0.1 -c logging_collector=on "
            + "-c log_directory=\(logDirectory) -c log_min_duration_statement=0 -c fsync=off "
            + "-c log_line_prefix='%m [%p] %q%u@%d app=%a '"
        let status = try TestClusters.runAsPostgres([
            "\(binDirectory)/pg_ctl", "-D", directory + "/data", "-w", "-o", options, "-l", directory + "/pg.log", "start"])
        try #require(status == 0, "pg_ctl start")
    }

    func stop() throws {
        _ = try TestClusters.runAsPostgres(["\(binDirectory)/pg_ctl", "-D", directory + "/data", "-w", "-m", "fast", "stop"])
    }

    /// Runs SQL through psql as the superuser, with an application_name.
    func psql(_ sql: String, application: String = "psql") throws -> ChildProcess.Result {
        try ChildProcess.run(["\(binDirectory)/psql", "-h", "127.0.0.1", "-p", "\(port)", "-U", "postgres", "-d", "postgres",
                              "-X", "-q", "-c", sql], environment: ["PGAPPNAME": application, "PATH": "/usr/bin:/bin"])
    }

    deinit {
        _ = try? TestClusters.runAsPostgres(["\(binDirectory)/pg_ctl", "-D", directory + "/data", "-m", "immediate", "stop"])
        _ = try? TestClusters.runAsPostgres(["/bin/rm", "-rf", directory])
    }
}
