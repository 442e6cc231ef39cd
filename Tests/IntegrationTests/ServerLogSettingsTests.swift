import AgentCore
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
        let scanner = LogSourceScanner(path: try #require(settings.logDirectory), format: .stderr)
        let current = try #require(settings.currentLogfile ?? scanner.current(among: scanner.candidates())?.path)
        #expect(FileManager.default.fileExists(atPath: current))
        // The prefix the server reported parses the file it writes.
        let prefix = try LogLinePrefix(settings.logLinePrefix)
        var parser = StderrLogParser(prefix: prefix, fileName: current)
        let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: current)))
        let events = bytes.withUnsafeBufferPointer { parser.consume(lines: $0, offset: 0) } + parser.flushAll()
        #expect(!events.isEmpty)
        #expect(parser.statistics.unparsedLines == 0)
    }
}
