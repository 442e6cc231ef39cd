@testable import Collectors
import Foundation
import TestSupport
import Testing

/// The schema delta state in SQLite, on real files: staged pages come into force only on commit, a
/// partial visit keeps what it did not read, a columns change clears the database, a damaged file is
/// moved aside, and committed state survives reopening.
@Suite struct SchemaStateStoreTests {
    static func meta(sampleTime: Double = 100, tableColumns: [String] = ["seq_scan", "n_tup_ins"],
                     indexColumns: [String] = ["idx_scan"]) -> SchemaVisitMeta {
        SchemaVisitMeta(serverIdentity: "7300000000000000001", startTime: 1_700_000_000.25, sampleTime: sampleTime,
                        tableColumns: tableColumns, indexColumns: indexColumns)
    }

    /// Commits one visit of `datname` that read every table in 1...1000 as `tables` and every index as `indexes`.
    static func commitFull(_ store: SchemaStateStore, datname: String = "app", tables: [Int64: [Double]],
                           indexes: [Int64: [Double]] = [:],
                           meta: SchemaVisitMeta = SchemaStateStoreTests.meta()) throws {
        let visit = UUID()
        try store.stage(visit: visit, datname: datname, kind: .table, range: 1...1_000,
                        entries: tables.map { (relid: $0.key, counters: $0.value) })
        try store.stage(visit: visit, datname: datname, kind: .index, range: 1...1_000,
                        entries: indexes.map { (relid: $0.key, counters: $0.value) })
        try store.commit(visit: visit, datname: datname, meta: meta)
    }

    @Test func aCommittedVisitComesBackByRange() throws {
        let scratch = try ScratchDirectory()
        let store = try SchemaStateStore(path: scratch.file("schema-main.sqlite"))
        #expect(try store.meta(datname: "app") == nil)
        let visit = UUID()
        try store.stage(visit: visit, datname: "app", kind: .table, range: 1...100,
                        entries: [(relid: 10, counters: [1, 2]), (relid: 20, counters: [3, 4])])
        try store.stage(visit: visit, datname: "app", kind: .table, range: 101...200,
                        entries: [(relid: 150, counters: [5, 6])])
        try store.stage(visit: visit, datname: "app", kind: .index, range: 1...200, entries: [(relid: 10, counters: [7])])
        // Staged is not committed.
        #expect(try store.counters(datname: "app", kind: .table, relids: 1...200).isEmpty)
        #expect(try store.meta(datname: "app") == nil)
        try store.commit(visit: visit, datname: "app", meta: Self.meta())
        #expect(try store.meta(datname: "app") == Self.meta())
        #expect(try store.counters(datname: "app", kind: .table, relids: 1...200) == [10: [1, 2], 20: [3, 4], 150: [5, 6]])
        #expect(try store.counters(datname: "app", kind: .table, relids: 15...150) == [20: [3, 4], 150: [5, 6]])
        #expect(try store.counters(datname: "app", kind: .table, relids: 21...149).isEmpty)
        // Kinds and databases are apart, and an index's counters may be fewer than a table's.
        #expect(try store.counters(datname: "app", kind: .index, relids: 1...200) == [10: [7]])
        #expect(try store.counters(datname: "other", kind: .table, relids: 1...200).isEmpty)
        #expect(try store.meta(datname: "other") == nil)
    }

    @Test func aNextVisitReplacesWhatItReadAndDropsWhatIsGone() throws {
        let scratch = try ScratchDirectory()
        let store = try SchemaStateStore(path: scratch.file("s.sqlite"))
        try Self.commitFull(store, tables: [10: [1, 1], 20: [2, 2], 30: [3, 3]], indexes: [40: [4]])
        try Self.commitFull(store, tables: [10: [5, 5], 25: [6, 6]], indexes: [40: [9]], meta: Self.meta(sampleTime: 700))
        #expect(try store.counters(datname: "app", kind: .table, relids: 1...1_000) == [10: [5, 5], 25: [6, 6]])
        #expect(try store.counters(datname: "app", kind: .index, relids: 1...1_000) == [40: [9]])
        #expect(try store.meta(datname: "app") == Self.meta(sampleTime: 700))
    }

    /// A visit that ran out of time read tables 1...25 only: 10 moved, 12 is new, 20 is gone in that range;
    /// 30 and the indexes, outside every staged page, keep their committed counters.
    @Test func aPartialCommitKeepsTheCountersOutsideItsPages() throws {
        let scratch = try ScratchDirectory()
        let store = try SchemaStateStore(path: scratch.file("s.sqlite"))
        try Self.commitFull(store, tables: [10: [1, 1], 20: [2, 2], 30: [3, 3]], indexes: [40: [4]])
        let visit = UUID()
        try store.stage(visit: visit, datname: "app", kind: .table, range: 1...25,
                        entries: [(relid: 10, counters: [8, 8]), (relid: 12, counters: [0, 1])])
        try store.commit(visit: visit, datname: "app", meta: Self.meta(sampleTime: 700))
        #expect(try store.counters(datname: "app", kind: .table, relids: 1...1_000) == [10: [8, 8], 12: [0, 1], 30: [3, 3]])
        #expect(try store.counters(datname: "app", kind: .index, relids: 1...1_000) == [40: [4]])
        #expect(try store.meta(datname: "app")?.sampleTime == 700)
    }

    @Test func aStagedButUncommittedVisitLeavesTheCommittedStateAlone() throws {
        let scratch = try ScratchDirectory()
        let store = try SchemaStateStore(path: scratch.file("s.sqlite"))
        try Self.commitFull(store, tables: [10: [1, 1], 20: [2, 2]])
        let lost = UUID()
        try store.stage(visit: lost, datname: "app", kind: .table, range: 1...1_000, entries: [(relid: 10, counters: [9, 9])])
        #expect(try store.counters(datname: "app", kind: .table, relids: 1...1_000) == [10: [1, 1], 20: [2, 2]])
        #expect(try store.meta(datname: "app") == Self.meta())
        // Its snapshot was never stored: discarded, a late commit finds nothing staged and keeps the counters.
        try store.discard(except: [])
        try store.commit(visit: lost, datname: "app", meta: Self.meta(sampleTime: 700))
        #expect(try store.counters(datname: "app", kind: .table, relids: 1...1_000) == [10: [1, 1], 20: [2, 2]])
    }

    @Test func discardKeepsTheVisitsItIsTold() throws {
        let scratch = try ScratchDirectory()
        let store = try SchemaStateStore(path: scratch.file("s.sqlite"))
        let kept = UUID()
        let dropped = UUID()
        try store.stage(visit: kept, datname: "app", kind: .table, range: 1...100, entries: [(relid: 10, counters: [1])])
        try store.stage(visit: dropped, datname: "db2", kind: .table, range: 1...100, entries: [(relid: 10, counters: [2])])
        try store.discard(except: [kept])
        try store.commit(visit: kept, datname: "app", meta: Self.meta())
        try store.commit(visit: dropped, datname: "db2", meta: Self.meta())
        #expect(try store.counters(datname: "app", kind: .table, relids: 1...100) == [10: [1]])
        #expect(try store.counters(datname: "db2", kind: .table, relids: 1...100).isEmpty)
    }

    /// One visit may read several databases: committing one leaves the other's staged pages for its own commit.
    @Test func aCommitTakesOnlyItsDatabasesPages() throws {
        let scratch = try ScratchDirectory()
        let store = try SchemaStateStore(path: scratch.file("s.sqlite"))
        let visit = UUID()
        try store.stage(visit: visit, datname: "app", kind: .table, range: 1...100, entries: [(relid: 10, counters: [1])])
        try store.stage(visit: visit, datname: "db2", kind: .table, range: 1...100, entries: [(relid: 10, counters: [2])])
        try store.commit(visit: visit, datname: "app", meta: Self.meta())
        #expect(try store.counters(datname: "db2", kind: .table, relids: 1...100).isEmpty)
        try store.commit(visit: visit, datname: "db2", meta: Self.meta())
        #expect(try store.counters(datname: "app", kind: .table, relids: 1...100) == [10: [1]])
        #expect(try store.counters(datname: "db2", kind: .table, relids: 1...100) == [10: [2]])
    }

    @Test func stagingAPageAgainReplacesIt() throws {
        let scratch = try ScratchDirectory()
        let store = try SchemaStateStore(path: scratch.file("s.sqlite"))
        let visit = UUID()
        try store.stage(visit: visit, datname: "app", kind: .table, range: 1...100,
                        entries: [(relid: 10, counters: [1]), (relid: 20, counters: [2])])
        try store.stage(visit: visit, datname: "app", kind: .table, range: 1...100, entries: [(relid: 10, counters: [3])])
        try store.commit(visit: visit, datname: "app", meta: Self.meta())
        #expect(try store.counters(datname: "app", kind: .table, relids: 1...100) == [10: [3]])
    }

    @Test func anEntryOutsideItsPageIsRefused() throws {
        let scratch = try ScratchDirectory()
        let store = try SchemaStateStore(path: scratch.file("s.sqlite"))
        #expect(throws: SchemaStateStore.StoreError.self) {
            try store.stage(visit: UUID(), datname: "app", kind: .table, range: 1...100, entries: [(relid: 101, counters: [1])])
        }
    }

    /// The server was upgraded and its views have other columns: the database's counters are all dropped,
    /// those outside the new visit's pages too; another database keeps its own.
    @Test func aColumnsChangeClearsTheDatabase() throws {
        let scratch = try ScratchDirectory()
        let store = try SchemaStateStore(path: scratch.file("s.sqlite"))
        try Self.commitFull(store, datname: "app", tables: [10: [1, 1], 30: [3, 3]], indexes: [40: [4]])
        try Self.commitFull(store, datname: "db2", tables: [10: [1, 1]])
        let upgraded = Self.meta(sampleTime: 700, tableColumns: ["seq_scan", "n_tup_ins", "total_vacuum_time"])
        let visit = UUID()
        try store.stage(visit: visit, datname: "app", kind: .table, range: 1...15, entries: [(relid: 10, counters: [2, 2, 0])])
        try store.commit(visit: visit, datname: "app", meta: upgraded)
        #expect(try store.meta(datname: "app") == upgraded)
        #expect(try store.counters(datname: "app", kind: .table, relids: 1...1_000) == [10: [2, 2, 0]])
        #expect(try store.counters(datname: "app", kind: .index, relids: 1...1_000).isEmpty)
        #expect(try store.counters(datname: "db2", kind: .table, relids: 1...1_000) == [10: [1, 1]])
    }

    /// Counters of an earlier life of the server (it restarted) are no baseline for the relations a partial
    /// visit did not read.
    @Test func aRestartClearsTheDatabase() throws {
        let scratch = try ScratchDirectory()
        let store = try SchemaStateStore(path: scratch.file("s.sqlite"))
        try Self.commitFull(store, tables: [10: [1, 1], 30: [3, 3]])
        var restarted = Self.meta(sampleTime: 700)
        restarted.startTime += 300
        let visit = UUID()
        try store.stage(visit: visit, datname: "app", kind: .table, range: 1...15, entries: [(relid: 10, counters: [0, 0])])
        try store.commit(visit: visit, datname: "app", meta: restarted)
        #expect(try store.counters(datname: "app", kind: .table, relids: 1...1_000) == [10: [0, 0]])
    }

    @Test func committedAndStagedStateSurviveReopening() throws {
        let scratch = try ScratchDirectory()
        let path = scratch.file("schema-main.sqlite")
        try Self.commitFull(try SchemaStateStore(path: path), tables: [10: [1, 1], 20: [2, 2]], indexes: [40: [4]])
        let visit = UUID()
        try SchemaStateStore(path: path).stage(visit: visit, datname: "app", kind: .table, range: 1...15,
                                               entries: [(relid: 10, counters: [5, 5])])
        let reopened = try SchemaStateStore(path: path)
        #expect(reopened.setAside == nil)
        #expect(try reopened.meta(datname: "app") == Self.meta())
        #expect(try reopened.counters(datname: "app", kind: .table, relids: 1...1_000) == [10: [1, 1], 20: [2, 2]])
        #expect(try reopened.counters(datname: "app", kind: .index, relids: 1...1_000) == [40: [4]])
        try reopened.commit(visit: visit, datname: "app", meta: Self.meta(sampleTime: 700))
        #expect(try SchemaStateStore(path: path).counters(datname: "app", kind: .table, relids: 1...1_000) == [10: [5, 5], 20: [2, 2]])
    }

    @Test func nullCountersComeBackAsNaN() throws {
        let scratch = try ScratchDirectory()
        let store = try SchemaStateStore(path: scratch.file("s.sqlite"))
        try Self.commitFull(store, tables: [10: [.nan, 1e15 + 1, -0.5, 0]], indexes: [10: []])
        let counters = try #require(try store.counters(datname: "app", kind: .table, relids: 10...10)[10])
        #expect(counters.count == 4)
        #expect(counters[0].isNaN)
        #expect(Array(counters[1...]) == [1e15 + 1, -0.5, 0])
        #expect(try store.counters(datname: "app", kind: .index, relids: 10...10) == [10: []])
        #expect(SchemaStateStore.pack([1, 2]).count == 16)
        #expect(SchemaStateStore.unpack(Data(count: 15)) == nil)
    }

    @Test func aDamagedFileIsMovedAsideAndTheStateStartsAfresh() throws {
        let scratch = try ScratchDirectory()
        let path = scratch.file("schema-main.sqlite")
        try Data(repeating: 0x5A, count: 4_096).write(to: URL(fileURLWithPath: path))
        let store = try SchemaStateStore(path: path, now: 1_800_000_000)
        #expect(store.setAside == path + ".corrupt-1800000000")
        #expect(FileManager.default.fileExists(atPath: path + ".corrupt-1800000000"))
        #expect(try store.meta(datname: "app") == nil)
        try Self.commitFull(store, tables: [10: [1]])
        #expect(try store.counters(datname: "app", kind: .table, relids: 1...100) == [10: [1]])
    }

    @Test func anErrorNamesTheFileNotTheCounters() {
        let error = SchemaStateStore.StoreError(path: "/var/lib/agent/schema-main.sqlite", reason: "SQLite error 13: database or disk is full")
        #expect(error.description == "schema state /var/lib/agent/schema-main.sqlite: SQLite error 13: database or disk is full")
    }
}
