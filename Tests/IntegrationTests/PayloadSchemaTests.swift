import Foundation
import PostgresNIO
import TestSupport
import Testing

/// The contract in `docs/schema` against what real servers make the agent write. Snapshots are checked
/// where they are made (collector, `collect`, daemon tests); here: the log events `logs parse` makes of
/// each major's own stderr, csvlog and jsonlog files, and the validator itself, which must refuse a
/// payload that breaks the contract (or every other check of this kind could not fail).
@Suite(.serialized, .timeLimit(.minutes(3))) struct PayloadSchemaTests {
    var binary: String {
        get throws {
            try #require(ProcessInfo.processInfo.environment["PGAGENT_BINARY"],
                         "PGAGENT_BINARY is not set: run the suite through scripts/test.sh")
        }
    }

    @Test("log events of a real server's stderr, csvlog and jsonlog", arguments: Harness.preloaded)
    func logEventsOfEveryFormat(cluster: TestClusters.Cluster) async throws {
        // Something for the classifier: an error with a statement, from a correlated session.
        let session = try await Harness.session(cluster, applicationName: "bitville-5c0ffee0-1111-2222-3333-444455556666")
        _ = try? await session.query("SELECT 1/0", logger: Harness.logger).collect()
        try await session.close()
        let files = try FileManager.default.contentsOfDirectory(atPath: cluster.logDir).sorted()
            .map { cluster.logDir + "/" + $0 }
        // jsonlog came with PostgreSQL 15.
        for suffix in cluster.major >= 15 ? [".log", ".csv", ".json"] : [".log", ".csv"] {
            let file = try #require(files.last { $0.hasSuffix(suffix) }, "no \(suffix) file in \(cluster.logDir)")
            let result = try ChildProcess.run([try binary, "logs", "parse", file])
            #expect(result.status == 0, "\(result.stderr)")
            let events = result.stdout.split(separator: "\n").map(String.init)
            try PayloadSchema.expectValid(events, definition: "log_event", "PG \(cluster.major) \(suffix) events")
        }
    }

    @Test func theValidatorRefusesABrokenPayloadWithoutPrintingItsText() throws {
        let secret = "SELECT 'a password: hunter2 in a query text'"
        let valid = try #require(try Self.minimalSnapshot())
        var missing = valid
        missing.removeValue(forKey: "batch_id")
        var wrongType = valid
        wrongType["schema_version"] = secret
        let documents = try [valid, missing, wrongType].map {
            String(decoding: try JSONSerialization.data(withJSONObject: $0, options: [.sortedKeys]), as: UTF8.self)
        }
        let (status, report) = try PayloadSchema.validate(documents)
        #expect(status == 1, "\(report)")
        #expect(report.contains("validated 3 payloads, 2 invalid"), "\(report)")
        #expect(report.contains("batch_id"), "\(report)")
        #expect(!report.contains("hunter2"), "the report never prints a text value")
        #expect(try PayloadSchema.validate([documents[0]]).status == 0)
    }

    /// The smallest snapshot the contract allows, as `collect --once` prints it for a server that is down.
    static func minimalSnapshot() throws -> [String: Any]? {
        let json = """
            {"agent":{"hostname":"h","instance":"main","version":"0.0.0"},"batch_id":"0b8f9d3e-4a41-4c1c-9a77-2f61a0f7e001",
             "errors":[],"kind":"snapshot","project":"p","schema_version":1,"timestamp":1796374679.54}
            """
        return try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any]
    }
}
