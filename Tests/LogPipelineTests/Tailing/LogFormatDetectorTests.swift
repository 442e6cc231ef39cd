import AgentSchema
import Foundation
@testable import LogPipeline
import Testing

@Suite struct LogFormatDetectorTests {
    static func fixture(_ path: String) throws -> [UInt8] {
        let root = try #require(Bundle.module.url(forResource: "Fixtures", withExtension: nil))
        return Array(try Data(contentsOf: root.appendingPathComponent(path)))
    }

    @Test(arguments: ["debian", "rds", "bracketed", "pgbadger-verbose"])
    func realFilesAreRecognisedByContentAlone(directory: String) throws {
        #expect(LogFormatDetector.format(name: "x", head: try Self.fixture("\(directory)/postgresql.log")) == .stderr)
        #expect(LogFormatDetector.format(name: "x", head: try Self.fixture("\(directory)/postgresql.csv")) == .csvlog)
        #expect(LogFormatDetector.format(name: "x", head: try Self.fixture("\(directory)/postgresql.json")) == .jsonlog)
    }

    @Test func namesDecideFirst() {
        #expect(LogFormatDetector.format(name: "a.csv", head: []) == .csvlog)
        #expect(LogFormatDetector.format(name: "a.json", head: []) == .jsonlog)
        #expect(LogFormatDetector.format(name: "a.log", head: []) == .stderr)
    }

    @Test func aStderrPrefixWithCommasIsNotTakenForCSV() {
        let line = Array("2026-11-27 10:00:00 UTC,1,2,3,4,5,6,7,8,9,10,11 LOG:  hello\n".utf8)
        // A zone followed by a comma and enough commas: csvlog; the same with a space in the zone: stderr.
        #expect(LogFormatDetector.format(name: "x", head: line) == .csvlog)
        let spaced = Array("2026-11-27 10:00:00 U TC,1,2,3,4,5,6,7,8,9,10,11 LOG:  hello\n".utf8)
        #expect(LogFormatDetector.format(name: "x", head: spaced) == .stderr)
    }

    @Test(arguments: [("debian", "%m [%p] %q%u@%d "), ("rds", "%t:%r:%u@%d:[%p]:"),
                      ("bracketed", "%m [%p] %q[user=%u,db=%d,app=%a] "),
                      ("pgbadger-verbose", "%t [%p]: [%l-1] %qdb=%d,user=%u,app=%a,client=%h ")])
    func commonPrefixesAreFoundFromTheLines(directory: String, expected: String) throws {
        let prefix = LogFormatDetector.prefix(for: try Self.fixture("\(directory)/postgresql.log"))
        #expect(prefix?.text == expected)
    }

    @Test func anUncommonPrefixIsNotGuessed() throws {
        #expect(LogFormatDetector.prefix(for: try Self.fixture("all-escapes/postgresql.log")) == nil)
    }
}
