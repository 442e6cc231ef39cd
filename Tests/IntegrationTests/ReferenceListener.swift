import Foundation
import Listener
import TestSupport
import Testing

/// `postgres-agent listener` as a real process, for the tests that send to it.
final class ReferenceListener {
    let directory: String
    let token: String
    let process: ChildProcess.Running
    /// `http(s)://127.0.0.1:PORT/ingest/postgres`.
    let url: String

    var storePath: String { directory + "/listener.sqlite" }
    var stderrPath: String { directory + "/listener.err" }
    var base: String { String(url.dropLast("/ingest/postgres".count)) }

    /// Starts the listener and waits for its `listening on` line. `port` 0 lets the system pick one.
    init(directory: String, port: Int = 0, token: String = "tok-\(UInt64.random(in: 0...UInt64.max))",
         tls: (cert: String, key: String)? = nil, extraArguments: [String] = []) async throws {
        self.directory = directory
        self.token = token
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let tokenFile = directory + "/listener.tokens"
        if !FileManager.default.fileExists(atPath: tokenFile) {
            _ = FileManager.default.createFile(atPath: tokenFile, contents: Data("# keys\n\(token)\n".utf8),
                                           attributes: [.posixPermissions: 0o600])
        }
        let stdout = directory + "/listener.out"
        try? FileManager.default.removeItem(atPath: stdout)
        let tlsArguments = tls.map { ["--tls-cert", $0.cert, "--tls-key", $0.key] } ?? []
        process = try ChildProcess.start(
            [try Self.binary, "listener", "--listen", "127.0.0.1:\(port)", "--token-file", tokenFile,
             "--store", directory + "/listener.sqlite", "--log-level", "debug"] + tlsArguments + extraArguments,
            stdout: stdout, stderr: directory + "/listener.err", searchPath: false)
        var found: String?
        for _ in 0..<1_500 {
            let text = (try? String(contentsOfFile: stdout, encoding: .utf8)) ?? ""
            if let line = text.split(separator: "\n").first(where: { $0.hasPrefix("listening on ") }) {
                found = String(line.dropFirst("listening on ".count))
                break
            }
            if process.exited() != nil { break }
            try await Task.sleep(for: .milliseconds(10))
        }
        guard let found else {
            process.kill(SIGKILL)
            _ = process.wait()
            let errors = (try? String(contentsOfFile: directory + "/listener.err", encoding: .utf8)) ?? ""
            throw ListenerError(.setup, "the listener did not start: \(errors)")
        }
        url = found
    }

    /// Stops it with SIGTERM; its exit status.
    @discardableResult func stop() -> Int32 {
        process.kill(SIGTERM)
        return process.wait()
    }

    /// The store, opened by the test (WAL: reading beside the listener is safe).
    func store() throws -> BatchStore { try BatchStore(path: storePath) }

    /// Everything the listener logged.
    var log: String { (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? "" }

    static var binary: String {
        get throws {
            try #require(ProcessInfo.processInfo.environment["PGAGENT_BINARY"],
                         "PGAGENT_BINARY is not set: run the suite through scripts/test.sh")
        }
    }
}
