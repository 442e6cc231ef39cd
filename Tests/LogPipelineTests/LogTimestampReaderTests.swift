import Foundation
@testable import LogPipeline
import Testing

/// The one timestamp policy of every format: RFC 3339 UTC with milliseconds, local times resolved with the
/// server's `log_timezone` from the system's tz database (Debian's `tzdata`).
@Suite struct LogTimestampReaderTests {
    private func convert(_ text: String, zone: String? = nil) throws -> String? {
        let rules = try zone.map { name throws in try TimeZoneDatabase().rules(named: name) }
        var reader = LogTimestampReader(timeZone: rules)
        return Array(text.utf8).withUnsafeBufferPointer { reader.rfc3339(local: $0) }
    }

    @Test func fixedOffsetsAndUTCNeedNoZone() throws {
        let cases: [(String, String?)] = [
            ("2026-11-27 13:37:00.123 UTC", "2026-11-27T13:37:00.123Z"),
            ("2026-11-27 13:37:00.123", "2026-11-27T13:37:00.123Z"),
            ("2026-11-27 13:37:00.123 CET", "2026-11-27T12:37:00.123Z"),
            ("2026-07-01 00:30:00.5 CEST", "2026-06-30T22:30:00.500Z"),
            ("2026-12-31 23:59:59.999 -0330", "2027-01-01T03:29:59.999Z"),
            ("2024-03-01 03:00:00.000 +05:30", "2024-02-29T21:30:00.000Z"),
            ("2026-11-27 13:37:00 +03", "2026-11-27T10:37:00.000Z"),
            ("2026-11-27 13:37:00.123 XYZT", nil),
            ("2026-11-27 13:37:00.123 IST", nil),
            ("2026-11-27 13:37:00.123 CST", nil),
            ("27/11/2026 13:37", nil),
        ]
        for (text, expected) in cases {
            #expect(try convert(text) == expected, "\(text)")
        }
    }

    @Test func ambiguousAbbreviationsResolveWithTheServersZone() throws {
        // IST is India, Ireland and Israel; CST is America/Chicago and Asia/Shanghai.
        #expect(try convert("2026-11-27 20:30:00.000 IST", zone: "Asia/Kolkata") == "2026-11-27T15:00:00.000Z")
        #expect(try convert("2026-07-01 10:00:00.000 IST", zone: "Europe/Dublin") == "2026-07-01T09:00:00.000Z")
        #expect(try convert("2026-11-27 09:00:00.000 CST", zone: "America/Chicago") == "2026-11-27T15:00:00.000Z")
        #expect(try convert("2026-11-27 23:00:00.000 CST", zone: "Asia/Shanghai") == "2026-11-27T15:00:00.000Z")
    }

    @Test func theHourRepeatedWhenSummerTimeEndsIsTold() throws {
        // 2026-11-01 in New York: 01:30 happens twice, first as EDT (05:30Z), then as EST (06:30Z).
        #expect(try convert("2026-11-01 01:30:00.000 EDT", zone: "America/New_York") == "2026-11-01T05:30:00.000Z")
        #expect(try convert("2026-11-01 01:30:00.000 EST", zone: "America/New_York") == "2026-11-01T06:30:00.000Z")
        // And in spring the offset changes mid-file: the cached stretch must not outlive it.
        let rules = try TimeZoneDatabase().rules(named: "America/New_York")
        var reader = LogTimestampReader(timeZone: rules)
        let lines = ["2026-03-08 01:59:59.000 EST", "2026-03-08 03:00:00.000 EDT", "2026-03-08 01:59:59.000 EST"]
        let converted = lines.map { line in Array(line.utf8).withUnsafeBufferPointer { reader.rfc3339(local: $0) } }
        #expect(converted == ["2026-03-08T06:59:59.000Z", "2026-03-08T07:00:00.000Z", "2026-03-08T06:59:59.000Z"])
    }

    @Test func anAbbreviationTheZoneDoesNotUseFallsBackOrIsLeftOut() throws {
        // The zone changed since it was read: an unambiguous abbreviation still converts, IST does not.
        #expect(try convert("2026-11-27 16:00:00.000 CET", zone: "Asia/Kolkata") == "2026-11-27T15:00:00.000Z")
        #expect(try convert("2026-11-27 16:00:00.000 IST", zone: "America/Chicago") == nil)
        var reader = LogTimestampReader(timeZone: try TimeZoneDatabase().rules(named: "America/Chicago"))
        _ = Array("2026-11-27 16:00:00.000 IST".utf8).withUnsafeBufferPointer { reader.rfc3339(local: $0) }
        #expect(reader.unresolvedCount == 1)
    }

    @Test func epochSecondsAreExact() {
        let converted = Array("1795791627.064".utf8).withUnsafeBufferPointer { LogTimestampReader.rfc3339(epoch: $0) }
        #expect(converted == "2026-11-27T15:00:27.064Z")
    }

    @Test func zoneNamesAreCheckedAndDamagedFilesRefused() {
        #expect(throws: TimeZoneRules.LoadError(code: .invalidName, name: "../etc/passwd")) {
            try TimeZoneDatabase().rules(named: "../etc/passwd")
        }
        #expect(throws: TimeZoneRules.LoadError(code: .invalidName, name: "/etc/localtime")) {
            try TimeZoneDatabase().rules(named: "/etc/localtime")
        }
        #expect(throws: TimeZoneRules.LoadError(code: .notFound, name: "Mars/Olympus_Mons")) {
            try TimeZoneDatabase().rules(named: "Mars/Olympus_Mons")
        }
        #expect(throws: TimeZoneRules.LoadError(code: .malformed, name: "x")) {
            try TimeZoneRules(name: "x", tzif: Array("TZif2 but nothing after it".utf8))
        }
    }

    @Test func everyTruncationOfARealFileIsRefusedOrReadNeverACrash() throws {
        let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: "/usr/share/zoneinfo/Europe/Berlin")))
        var refused = 0
        for cut in 0..<bytes.count {
            if (try? TimeZoneRules(name: "cut", tzif: Array(bytes[..<cut]))) == nil { refused += 1 }
        }
        #expect(refused > bytes.count / 2)
        #expect((try? TimeZoneRules(name: "whole", tzif: bytes)) != nil)
    }
}
