import AgentSchema
@testable import LogPipeline
import Testing

/// What the stderr parser accepts beyond the server's exact output, and what it keeps of what it cannot
/// place: nothing is dropped.
@Suite struct StderrLogParserLeniencyTests {
    private let t = "2026-11-27 14:58:50.179 UTC"

    private func parse(
        _ text: String, prefix: String = "%m [%p] %q%u@%d ", budget: Int = 16 << 20, cap: Int = 1 << 20
    ) throws -> (events: [LogEvent], parser: StderrLogParser) {
        var parser = StderrLogParser(
            prefix: try LogLinePrefix(prefix), fileName: "pg.log", maximumEntryBytes: cap, memoryBudget: budget)
        var events = Array(text.utf8).withUnsafeBufferPointer { parser.consume(lines: $0, offset: 0) }
        events += parser.flushAll()
        events.sort { $0.source!.offset < $1.source!.offset }
        return (events, parser)
    }

    @Test func oneSpaceAfterTheSeverityIsEnough() throws {
        let (events, parser) = try parse("\(t) [7] a@b ERROR: one space\n\(t) [7] a@b DETAIL: also here\n")
        #expect(events.count == 1)
        #expect(events[0].severity == .error && events[0].message == "one space" && events[0].detail == "also here")
        #expect(parser.statistics.unparsedLines == 0)
    }

    @Test func continuationLinesIndentedWithSpacesJoinTheirEntry() throws {
        let log = "\(t) [7] a@b LOG:  statement: SELECT id,\n        name\n          FROM t\n\(t) [8] a@b LOG:  next\n"
        let (events, parser) = try parse(log)
        #expect(events.map(\.message) == ["statement: SELECT id,\nname\n  FROM t", "next"])
        #expect(parser.statistics.unparsedLines == 0)
    }

    @Test func blankLinesInsideAnEntryAreKeptAndAfterItDropped() throws {
        let log = "\(t) [7] a@b LOG:  statement: SELECT 1\n\n\n\tUNION SELECT 2\n\n\(t) [7] a@b LOG:  next\n\n"
        let (events, parser) = try parse(log)
        #expect(events.map(\.message) == ["statement: SELECT 1\n\n\nUNION SELECT 2", "next"])
        #expect(parser.statistics.unparsedLines == 0)
    }

    @Test func linesOfNoEntryBecomeOneUnparsedEventPerRun() throws {
        let log = """
            waiting for server to start....
            2026-11-27 14:58:50.100 UTC [1] LOG:  starting PostgreSQL 17.2
             done
            server started
            \(t) [7] a@b LOG:  after
            sh: 1: cp: not found
            \tcontinues nothing

            """
        let (events, parser) = try parse(log, prefix: "%m [%p] %q%u@%d ")
        #expect(events.map(\.event) == [.unparsed, nil, .unparsed, nil, .unparsed])
        #expect(events[0].message == "waiting for server to start....")
        // " done" is a continuation of the starting line (spaces instead of a tab).
        #expect(events[1].message == "starting PostgreSQL 17.2\ndone")
        #expect(events[2].message == "server started")
        #expect(events[4].message == "sh: 1: cp: not found\ncontinues nothing")
        #expect(events[4].source?.offset == Int64(log.utf8.count - "sh: 1: cp: not found\n\tcontinues nothing\n".utf8.count))
        #expect(parser.statistics.unparsedLines == 4)
        #expect(parser.statistics.entries == 2)
    }

    @Test func anUnparsedRunIsCapped() throws {
        let line = String(repeating: "garbage ", count: 100)
        let log = Array(repeating: line, count: 100).joined(separator: "\n") + "\n"
        let (events, parser) = try parse(log)
        #expect(events.count == 1)
        #expect(events[0].event == .unparsed && events[0].truncated == true)
        #expect(events[0].message!.utf8.count <= parser.maximumUnparsedBytes)
        #expect(parser.statistics.unparsedLines == 100)
    }

    @Test func withoutPidTheSessionIDKeysTheLines() throws {
        // %c is the start time and the pid in hex: 0x4001 is 16385.
        let log = """
            \(t) 6746f1d8.4001 a@b ERROR:  boom
            \(t) 6746f1d8.4002 a@b LOG:  other
            \(t) 6746f1d8.4001 a@b STATEMENT:  SELECT 1

            """
        let (events, _) = try parse(log, prefix: "%m %c %q%u@%d ")
        #expect(events.map(\.pid) == [16385, 16386])
        #expect(events[0].statement == "SELECT 1")
    }

    @Test func theCursorPositionMovesIntoItsFieldInEveryLanguage() throws {
        let log = """
            \(t) [7] a@b ERROR:  syntax error at or near "SELEC" at character 1
            \(t) [8] a@b FEHLER:  Syntaxfehler bei »SELEC« bei Zeichen 12
            \(t) [9] a@b ERROR:  relation "nope" does not exist at character 15
            \(t) [9] a@b QUERY:  SELECT * FROM nope
            \(t) [10] a@b ERROR:  not a position: at character x
            \(t) [11] a@b ERREUR:  erreur de syntaxe sur ou près de « SELEC » au caractère 3

            """
        let (events, _) = try parse(log)
        #expect(events.map(\.message) == [
            "syntax error at or near \"SELEC\"", "Syntaxfehler bei »SELEC«", "relation \"nope\" does not exist",
            "not a position: at character x", "erreur de syntaxe sur ou près de « SELEC »",
        ])
        #expect(events.map(\.cursorPosition) == [1, 12, nil, nil, 3])
        #expect(events.map(\.internalPosition) == [nil, nil, 15, nil, nil])
    }

    @Test func manyShortLinesBuildOneEntryAtTheCap() throws {
        // A statement of 400,000 short lines (2.4 MB): appended in place, cut at the 1 MiB cap.
        var log = "\(t) [7] a@b LOG:  statement: SELECT\n"
        log += String(repeating: "\t1, 2\n", count: 400_000)
        log += "\(t) [7] a@b LOG:  after\n"
        let (events, parser) = try parse(log)
        #expect(events.count == 2)
        #expect(events[0].truncated == true)
        #expect(events[0].message!.utf8.count == 1 << 20)
        #expect(events[1].message == "after" && events[1].truncated == nil)
        #expect(parser.statistics.lines == 400_002)
    }

    @Test func theMemoryBudgetCutsTheLargestOpenEntryFirst() throws {
        // Three pids with open entries of 300, 200 and 100 bytes against a 500-byte budget.
        let big = String(repeating: "x", count: 300)
        let medium = String(repeating: "y", count: 200)
        let log = """
            \(t) [1] a@b ERROR:  \(big)
            \(t) [2] a@b ERROR:  \(medium)
            \(t) [3] a@b ERROR:  \(String(repeating: "z", count: 100))
            \(t) [1] a@b DETAIL:  dropped: the entry was cut
            \(t) [2] a@b DETAIL:  kept
            \(t) [1] a@b LOG:  pid 1 starts anew

            """
        let (events, parser) = try parse(log, budget: 500)
        #expect(events.map(\.pid) == [1, 2, 3, 1])
        #expect(events[0].truncated == true && events[0].detail == nil)
        #expect(events[1].truncated == nil && events[1].detail == "kept")
        #expect(events[3].message == "pid 1 starts anew")
        #expect(parser.statistics.budgetCuts == 1)
        #expect(parser.openEntryBytes == 0)
    }
}
