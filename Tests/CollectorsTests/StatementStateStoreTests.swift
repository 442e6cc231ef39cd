@testable import Collectors
import Foundation
import TestSupport
import Testing

/// The statement delta state in SQLite, on real files: what is saved comes back, a save writes only
/// what changed, and a damaged file is moved aside.
@Suite struct StatementStateStoreTests {
    static func state(entries count: Int, calls: Int64 = 1, time: Double = 100) -> StatementsState {
        var entries: [StatementKey: StatementCounters] = [:]
        var fingerprints: [StatementKey: Int64] = [:]
        for index in 0..<count {
            let key = StatementKey(userid: 10, dbid: 5, queryid: Int64(index) &* 2_654_435_761, toplevel: index % 2 == 0)
            var counters = StatementCounters()
            counters.calls = calls
            counters.totalExecTime = Double(index) / 3
            counters.walBytes = 1e15 + Double(index)
            entries[key] = counters
            fingerprints[key] = Int64(index) - 7
        }
        return StatementsState(serverIdentity: "7300000000000000001", startTime: 1_700_000_000.25, statsReset: nil, dealloc: 3,
                               sampleTime: time, entries: entries, fingerprints: fingerprints)
    }

    @Test func whatIsSavedComesBackAfterReopening() throws {
        let scratch = try ScratchDirectory()
        let path = scratch.file("statements-main.sqlite")
        let saved = Self.state(entries: 500)
        #expect(try StatementStateStore(path: path).save(saved, previous: nil) == 500)
        let reopened = try StatementStateStore(path: path)
        #expect(try reopened.load() == saved)
        #expect(try StatementStateStore(path: scratch.file("empty.sqlite")).load() == nil)
    }

    /// 10,000 entries, two moved and one gone: three row writes, and the file holds exactly the new state.
    @Test func aSaveWritesOnlyWhatChanged() throws {
        let scratch = try ScratchDirectory()
        let store = try StatementStateStore(path: scratch.file("s.sqlite"))
        let first = Self.state(entries: 10_000)
        try store.save(first, previous: nil)
        var next = first
        next.sampleTime = 160
        let keys = Array(first.entries.keys.prefix(3))
        next.entries[keys[0]]!.calls += 4
        next.fingerprints[keys[1]] = 99
        next.entries[keys[2]] = nil
        next.fingerprints[keys[2]] = nil
        #expect(try store.save(next, previous: first) == 3)
        #expect(try StatementStateStore(path: scratch.file("s.sqlite")).load() == next)
        // Unknown what is on disk (a failed save): everything is written again.
        #expect(try store.save(next, previous: nil) == 9_999)
    }

    @Test func aDamagedFileIsMovedAsideAndTheStateStartsAfresh() throws {
        let scratch = try ScratchDirectory()
        let path = scratch.file("statements-main.sqlite")
        try Data(repeating: 0x5A, count: 4_096).write(to: URL(fileURLWithPath: path))
        let store = try StatementStateStore(path: path, now: 1_800_000_000)
        #expect(store.setAside == path + ".corrupt-1800000000")
        #expect(FileManager.default.fileExists(atPath: path + ".corrupt-1800000000"))
        #expect(try store.load() == nil)
    }

    @Test func countersSurviveTheirPackedForm() {
        var counters = StatementCounters()
        counters.calls = .max
        counters.tempBlksWritten = -1
        counters.blkReadTime = 0.1
        counters.walBytes = .greatestFiniteMagnitude
        #expect(StatementCounters(packed: counters.packed) == counters)
        #expect(counters.packed.count == 160)
        #expect(StatementCounters(packed: Data(count: 159)) == nil)
    }
}
