import AgentSchema
import Foundation
@testable import LogPipeline
import SQLRedaction
import Testing

/// Every class an operator alerts on, produced by a real server (Fixtures/classes-*: PostgreSQL 17 and 18 in
/// English, Debian's 15 in German, French, Spanish and Japanese; see Fixtures/README.md), recognised in
/// each of the three formats the server wrote at once.
@Suite struct LogClassesOnRealServersTests {
    struct ClassSet: CustomTestStringConvertible, Sendable {
        var directory: String
        /// The classes the set must show (the common ones unless said otherwise).
        var expected: Set<LogEventClass> = LogClassesOnRealServersTests.expected
        /// Lines the server wrote to stderr only (a memory-context dump after `out of memory`): kept there
        /// as `unparsed` events, absent from csvlog and jsonlog.
        var stderrOnlyLines = false
        var testDescription: String { directory }
    }

    static let sets = [
        ClassSet(directory: "classes-pg17", expected: expected.union([.transactionTimeout])),
        ClassSet(directory: "classes-pg18", expected: expected.union([.transactionTimeout])),
        ClassSet(directory: "classes-de"), ClassSet(directory: "classes-fr"),
        ClassSet(directory: "classes-es"), ClassSet(directory: "classes-ja"),
        // A tablespace on a full tmpfs, an address-space limit, a process limit, xids near wraparound, a
        // stalled standby (Fixtures/README.md, "Extreme sets").
        ClassSet(directory: "classes-extreme-pg17",
                 expected: [.diskFull, .outOfMemory, .forkFailure, .wraparoundWarning, .wraparoundStop, .walsenderError],
                 stderrOnlyLines: true),
        // The standby's own log: a wrong primary_conninfo, then queries canceled by recovery.
        ClassSet(directory: "classes-standby-pg17", expected: [.walreceiverError, .recoveryConflict]),
        // NOWAIT refused, and temp_file_limit exceeded.
        ClassSet(directory: "classes-limits-pg17", expected: [.lockNotAvailable, .tempFileLimit, .tempFile, .slowQuery]),
    ]

    /// What each set must show, whatever its language.
    static let expected: Set<LogEventClass> = [
        .slowQuery, .autoExplain, .statement, .error, .syntaxError, .constraintViolation, .serializationFailure,
        .permissionDenied, .lockWait, .deadlock, .tempFile, .statementTimeout, .lockTimeout,
        .idleInTransactionTimeout, .idleSessionTimeout, .queryCanceled, .adminTermination, .autovacuumCanceled,
        .backendCrash, .crashRecovery, .tooManyConnections, .connection, .authentication, .authenticationFailed,
        .disconnection, .checkpoint, .checkpointTooFrequent, .autovacuum, .autovacuumWraparound, .autoanalyze,
        .vacuumSkipped, .archiveFailure, .replicationSlotInvalidated, .serverStart, .serverStop, .shutdownRequest,
        .configurationReload, .parameterChanged,
    ]

    static func events(_ set: String, format: String) throws -> [LogEvent] {
        let root = try #require(Bundle.module.url(forResource: "Fixtures", withExtension: nil))
        let data = Array(try Data(contentsOf: root.appendingPathComponent("\(set)/postgresql.\(format)")))
        var parser = LogEntryParser(
            format: format == "log" ? .stderr : format == "csv" ? .csvlog : .jsonlog,
            prefix: try LogLinePrefix("%m [%p] %q%u@%d %a "), fileName: format, maximumEntryBytes: 1 << 20)
        var events = data.withUnsafeBufferPointer { parser.consume($0, offset: 0) }
        events += parser.finish()
        let classifier = LogClassifier(redactor: SQLRedactor(), correlation: try CorrelationExtractor())
        for index in events.indices { classifier.classify(&events[index]) }
        return events
    }

    @Test(arguments: sets) func everyAlertableClassIsRecognisedInEveryFormat(_ set: ClassSet) throws {
        let expected = set.expected
        for format in ["json", "csv", "log"] {
            let events = try Self.events(set.directory, format: format)
            let classes = Set(events.compactMap(\.event))
            #expect(expected.subtracting(classes).isEmpty, "\(set.directory).\(format) lacks \(expected.subtracting(classes).map(\.rawValue).sorted())")
            if !(set.stderrOnlyLines && format == "log") {
                #expect(!classes.contains(.unparsed), "\(set.directory).\(format)")
            }
        }
    }

    @Test(arguments: sets) func theThreeFormatsAgreeOnEveryClass(_ set: ClassSet) throws {
        func counts(_ format: String) throws -> [LogEventClass: Int] {
            try Self.events(set.directory, format: format).filter { $0.event != .unparsed }
                .reduce(into: [:]) { $0[$1.event ?? .other, default: 0] += 1 }
        }
        let json = try counts("json")
        for format in ["csv", "log"] {
            let other = try counts(format)
            let differing = Set(json.keys).union(other.keys).filter { json[$0] != other[$0] }
                .map { "\($0.rawValue): json \(json[$0] ?? 0), \(format) \(other[$0] ?? 0)" }.sorted()
            #expect(differing.isEmpty, "\(set.directory): \(differing)")
        }
    }

    @Test(arguments: sets) func noSecretNorRowValueLeavesInAnyLanguage(_ set: ClassSet) throws {
        for format in ["json", "csv", "log"] {
            let text = String(decoding: try JSONEncoder().encode(try Self.events(set.directory, format: format)), as: UTF8.self)
            for secret in ["'secret'", "'abc'", "\\\"abc\\\"", "=(1)", "(2, account 2, -5)"] {
                #expect(!text.contains(secret), "\(secret) in \(set.directory).\(format)")
            }
        }
    }
}
