import Foundation
import TestSupport
import Testing

/// The daemon gives back its executable's unused pages a while after start (`--page-out-after-seconds`).
@Suite(.serialized, .timeLimit(.minutes(2))) struct ExecutablePageOutTests {
    @Test func theDaemonsFileBackedMemoryShrinksAfterThePageOut() async throws {
        let cluster = try Harness.cluster(named: "pg15")
        let scratch = try ScratchDirectory()
        let listener = try await ReferenceListener(directory: scratch.file("listener"), token: ExporterNamesTests.apiKey)
        defer { listener.stop() }
        let servers = """
            [postgres]
            conninfo = host=127.0.0.1 port=\(cluster.port) dbname=app user=\(Harness.clusters.monitorUser) connect_timeout=3
            databases = none
            """
        // A copy of its own, as on a database host: the kernel does not page out what other processes map
        // too, and the suite runs many processes of the same binary at once (a CI run saw no change).
        let binary = scratch.file("postgres-agent")
        // cp, not FileManager.copyItem: a CI run saw the latter fail (NSCocoaErrorDomain 3587) on the 200 MB binary.
        let copied = try ChildProcess.run(["/bin/cp", try ReferenceListener.binary, binary])
        try #require(copied.status == 0, "\(copied.stderr)")
        let daemon = try DaemonProcess(
            directory: scratch.file("daemon"),
            config: DaemonTests.config(directory: scratch.path, listener: listener.url,
                                       metricsPort: try TransmitterTests.freePort(), servers: servers),
            environment: ["POSTGRES_AGENT_LISTENER_API_KEY": ExporterNamesTests.apiKey,
                          "POSTGRES_AGENT_POSTGRES_PASSWORD": Harness.clusters.monitorPassword],
            arguments: ["--page-out-after-seconds", "1"], binary: binary)
        var line = ""
        try await Harness.eventually("the daemon logs its page-out") {
            let log = (try? String(contentsOfFile: daemon.stderrPath, encoding: .utf8)) ?? ""
            line = log.split(separator: "\n").map(String.init).first { $0.contains("paged out the executable") } ?? ""
            return !line.isEmpty
        }
        func figure(_ key: String) -> Int? {
            guard let range = line.range(of: "\"\(key)\":\"") else { return nil }
            return Int(line[range.upperBound...].prefix { $0.isNumber })
        }
        let before = try #require(figure("rss_file_kib_before"), "\(line)")
        let after = try #require(figure("rss_file_kib_after"), "\(line)")
        #expect(after < before, "\(line)")
        let (status, _) = try await daemon.terminate()
        #expect(status == 0, "the daemon runs on after it and stops cleanly")
    }
}
