import AgentSchema
import AgentConfiguration
import SQLRedaction
import Foundation
import LogPipeline
import PostgresNIO
import TestSupport
import Testing

/// The tailer on a live server's log directory: each cluster writes stderr, csvlog and (PG 15+) jsonlog at
/// once, and rotates its files in the middle of the workload (`pg_rotate_logfile()`). Three tailers, one
/// per format, must each see every entry of our sessions, and agree field by field: jsonlog and csvlog
/// are the oracle for the stderr parse.
@Suite(.serialized, .timeLimit(.minutes(3))) struct LiveLogTailTests {
    /// The fields every format carries under the harness's prefix `%m [%p] %q%u@%d `.
    struct Comparable: Equatable, CustomStringConvertible {
        var timestamp: String?
        var pid: Int?
        var severity: String?
        var message: String?
        var detail: String?
        var hint: String?
        var context: String?
        var statement: String?
        var user: String?
        var database: String?
        var event: String?
        var durationMs: Double?

        init(_ event: LogEvent) {
            timestamp = event.timestamp
            pid = event.pid
            severity = event.severity?.rawValue
            message = event.message
            detail = event.detail
            hint = event.hint
            context = event.context
            statement = event.statement
            user = event.user
            database = event.database
            self.event = event.event?.rawValue
            durationMs = event.durationMs
        }

        var description: String { "\(timestamp ?? "-") [\(pid ?? 0)] \(severity ?? "-"): \(message ?? "-")" }
    }

    static func tailer(_ cluster: TestClusters.Cluster, _ format: AgentConfiguration.LogFormat) throws -> LogTailer {
        var options = LogTailer.Options()
        options.format = format
        options.prefix = try LogLinePrefix("%m [%p] %q%u@%d ")
        options.startAtEnd = true
        return LogTailer(scanner: LogSourceScanner(path: cluster.logDir, format: format, dataDirectory: cluster.dataDir),
                         options: options, checkpoint: nil)
    }

    @Test(arguments: Harness.preloaded)
    func everyFormatSeesTheSameEntriesThroughAServerRotation(cluster: TestClusters.Cluster) async throws {
        let formats: [AgentConfiguration.LogFormat] = cluster.major >= 15 ? [.stderr, .csvlog, .jsonlog] : [.stderr, .csvlog]
        var tailers = try formats.map { try Self.tailer(cluster, $0) }
        var now = Duration.zero
        // Position every tailer at the end of the current files before the workload starts.
        for index in tailers.indices { _ = tailers[index].poll(now: now) }

        let marker = UUID().uuidString
        let classifier = LogClassifier(redactor: SQLRedactor(redactLiterals: true), correlation: try CorrelationExtractor())
        let connection = try await Harness.session(cluster, applicationName: "live-log-test")
        var pids: Set<Int> = []
        do {
            let pidRows = try await connection.query("SELECT pg_backend_pid()", logger: Harness.logger)
            for try await pid in pidRows.decode(Int.self) { pids.insert(pid) }
            let statements = [
                "SET log_min_duration_statement = 0",
                "SELECT 1 AS one",
                "SELECT 1\n     AS two,\n\t'tab' AS three",
                "CREATE TEMP TABLE live_t (id int PRIMARY KEY)",
                "INSERT INTO live_t VALUES (1)",
                "INSERT INTO live_t VALUES (1)",
                "SELECT pg_rotate_logfile()",
                "DO $$ BEGIN RAISE EXCEPTION 'live boom' USING DETAIL = 'a detail', HINT = 'a hint'; END $$",
                "SELECT 1/0",
                "DO $$ BEGIN RAISE WARNING 'live warning' USING HINT = 'warning hint'; END $$",
            ]
            for sql in statements {
                _ = try? await connection.query(PostgresQuery(unsafeSQL: sql), logger: Harness.logger).collect()
            }
            // A bound parameter: the duration line gets a `parameters:` DETAIL.
            _ = try await connection.query("SELECT \("secret-literal")::text AS bound", logger: Harness.logger).collect()
        }
        try await connection.close()
        // The marker comes from a second session after the first has ended: once the marker is in a
        // file, every entry of the first session is there before it.
        try await Harness.exec(cluster, "DO $$ BEGIN RAISE LOG 'end-marker \(marker)'; END $$")

        var events = [[LogEvent]](repeating: [], count: formats.count)
        try await Harness.eventually("every format has the end marker") {
            for index in tailers.indices {
                now += .seconds(2)
                events[index] += tailers[index].poll(now: now).events
            }
            return events.allSatisfy { $0.contains { $0.message == "end-marker \(marker)" } }
        }
        // Past the quiet period: stderr entries still waiting for their pid's next line are complete.
        now += .seconds(10)
        for index in tailers.indices { events[index] += tailers[index].poll(now: now).events }
        var views: [[Comparable]] = []
        for index in formats.indices {
            var mine = events[index].filter { pids.contains($0.pid ?? -1) }
            for entry in mine.indices { classifier.classify(&mine[entry]) }
            views.append(mine.map(Comparable.init).sorted { ($0.timestamp ?? "", $0.message ?? "") < ($1.timestamp ?? "", $1.message ?? "") })
            #expect(tailers[index].statistics.rotations >= 1, "\(formats[index]) followed the server's rotation")
            #expect(tailers[index].statistics.parse.unparsed == 0, "\(formats[index])")
        }
        let stderr = views[0]
        #expect(stderr.count >= 14, "\(stderr)")
        #expect(stderr.contains { $0.message == "duplicate key value violates unique constraint \"live_t_pkey\"" && $0.detail == "Key (id)=(?) already exists." })
        #expect(stderr.contains { $0.message == "live boom" && $0.detail == "a detail" && $0.hint == "a hint" && $0.context != nil })
        #expect(stderr.contains { $0.event == "slow_query" && $0.statement == nil && ($0.detail ?? "").contains("$1 = ") && !($0.detail ?? "").contains("secret-literal") })
        #expect(stderr.contains { ($0.message ?? "").contains("AS two,\n\t'tab' AS three") || ($0.message ?? "").contains("AS two,\n\t? AS three") })
        for (index, view) in views.enumerated().dropFirst() {
            #expect(view.count == stderr.count, "\(formats[index]) has \(view.count) entries, stderr \(stderr.count)")
            for (a, b) in zip(stderr, view) where a != b {
                Issue.record("stderr and \(formats[index]) differ:\n  \(a)\n  \(b)\n  \(String(describing: a.statement)) | \(String(describing: b.statement))")
            }
        }
    }
}
