import AgentSchema
@testable import Collectors
import Foundation
import LogPipeline
import TestSupport
import Testing

/// `[logs] prefix = auto`: the monitoring role (pg_monitor only) asks the server for its prefix and its
/// current log file, and the answer parses the server's own file.
@Suite(.serialized, .timeLimit(.minutes(3))) struct ServerLogSettingsTests {
    @Test(arguments: Harness.preloaded)
    func theMonitorRoleReadsThePrefixAndTheCurrentFile(cluster: TestClusters.Cluster) async throws {
        let settings = try await Harness.withAgentClient(try Harness.agentSettings(cluster)) { agent in
            try await ServerLogSettings.fetch(client: agent.client, logger: Harness.logger)
        }
        #expect(settings.logLinePrefix == "%m [%p] %q%u@%d ")
        #expect(settings.loggingCollector)
        #expect(settings.logDestination.hasPrefix("stderr,csvlog"))
        #expect(settings.logDirectory == cluster.logDir)
        // pg_monitor may ask for the current file from PG 17 on; before, the tailer finds it itself.
        if cluster.major < 17 {
            #expect(settings.currentLogfile == nil)
        } else {
            #expect(settings.currentLogfile?.hasPrefix(cluster.logDir + "/") == true)
        }
        // Other suites rotate these servers' logs (pg_rotate_logfile()), so the current file may have just
        // been created empty: give the server a line to write, and read the file it is writing then.
        let directory = try #require(settings.logDirectory)
        var parsed: (events: [LogEvent], unparsed: Int) = ([], 0)
        try await Harness.eventually("an entry in the current log file") {
            try? await Harness.exec(cluster, "SELECT 1 / 0")
            let scanner = LogSourceScanner(path: directory, format: .stderr)
            guard let current = scanner.current(among: scanner.candidates())?.path else { return false }
            // The prefix the server reported parses the file it writes.
            var parser = StderrLogParser(prefix: try LogLinePrefix(settings.logLinePrefix), fileName: current)
            let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: current)))
            let events = bytes.withUnsafeBufferPointer { parser.consume(lines: $0, offset: 0) } + parser.flushAll()
            parsed = (events, parser.statistics.unparsedLines)
            return !events.isEmpty
        }
        if let current = settings.currentLogfile { #expect(FileManager.default.fileExists(atPath: current)) }
        #expect(!parsed.events.isEmpty)
        #expect(parsed.unparsed == 0)
    }
}
