@testable import Collectors
import Testing

@Suite struct StatementDeltaTrackerTests {
    let keyA = StatementKey(userid: 10, dbid: 5, queryid: 111, toplevel: true)
    let keyB = StatementKey(userid: 10, dbid: 5, queryid: 222, toplevel: true)
    let keyC = StatementKey(userid: 10, dbid: 5, queryid: 333, toplevel: false)

    func counters(calls: Int64, time: Double, rows: Int64 = 0) -> StatementCounters {
        var c = StatementCounters()
        c.calls = calls
        c.totalExecTime = time
        c.rows = rows
        return c
    }

    func sample(_ entries: [StatementKey: StatementCounters], time: Double, full: Bool = true,
                start: Double = 1000, reset: Double? = 900, dealloc: Int64? = 0,
                identity: String = "sys-1") -> StatementDeltaTracker.Sample {
        .init(serverIdentity: identity, startTime: start, statsReset: reset, dealloc: dealloc, time: time,
              entries: entries, isFull: full)
    }

    /// The first sample has nothing to compare with: a baseline, no deltas.
    @Test func firstSampleIsABaseline() {
        let outcome = StatementDeltaTracker.advance(previous: nil, sample: sample([keyA: counters(calls: 5, time: 10)], time: 2000))
        #expect(outcome.baseline)
        #expect(outcome.deltas.isEmpty)
        #expect(outcome.intervalSeconds == nil)
        #expect(outcome.state.entries[keyA]?.calls == 5)
    }

    @Test func deltasAreDifferencesOverTheInterval() {
        let first = StatementDeltaTracker.advance(previous: nil, sample: sample(
            [keyA: counters(calls: 5, time: 10, rows: 50), keyB: counters(calls: 1, time: 1)], time: 2000))
        let second = StatementDeltaTracker.advance(previous: first.state, sample: sample(
            [keyA: counters(calls: 8, time: 16, rows: 80), keyB: counters(calls: 1, time: 1)], time: 2060))
        #expect(!second.baseline)
        #expect(second.intervalSeconds == 60)
        #expect(second.deltas[keyA]?.calls == 3)
        #expect(second.deltas[keyA]?.totalExecTime == 6)
        #expect(second.deltas[keyA]?.rows == 30)
        #expect(second.deltas[keyB] == nil, "an entry that did not move has no delta row")
        #expect(second.resets.isEmpty)
    }

    /// A partial (filtered) sample keeps the entries it did not return, unchanged.
    @Test func partialSampleMergesIntoState() {
        let first = StatementDeltaTracker.advance(previous: nil, sample: sample(
            [keyA: counters(calls: 5, time: 10), keyB: counters(calls: 2, time: 2)], time: 2000))
        let second = StatementDeltaTracker.advance(previous: first.state, sample: sample(
            [keyA: counters(calls: 7, time: 12)], time: 2060, full: false))
        #expect(second.deltas.count == 1)
        #expect(second.state.entries[keyB]?.calls == 2)
        #expect(second.state.entries[keyA]?.calls == 7)
    }

    /// Fingerprints travel with the entries: a partial sample updates only those it returned.
    @Test func fingerprintsMergeLikeEntries() {
        var first = sample([keyA: counters(calls: 5, time: 10), keyB: counters(calls: 2, time: 2)], time: 2000)
        first.fingerprints = [keyA: 1, keyB: 2]
        let one = StatementDeltaTracker.advance(previous: nil, sample: first)
        var second = sample([keyA: counters(calls: 7, time: 12)], time: 2060, full: false)
        second.fingerprints = [keyA: 3]
        let two = StatementDeltaTracker.advance(previous: one.state, sample: second)
        #expect(two.state.fingerprints == [keyA: 3, keyB: 2])
    }

    /// A full sample drops entries the server evicted.
    @Test func fullSampleDropsEvictedEntries() {
        let first = StatementDeltaTracker.advance(previous: nil, sample: sample(
            [keyA: counters(calls: 5, time: 10), keyB: counters(calls: 2, time: 2)], time: 2000))
        let second = StatementDeltaTracker.advance(previous: first.state, sample: sample(
            [keyA: counters(calls: 6, time: 11)], time: 2060, dealloc: 1))
        #expect(second.state.entries[keyB] == nil)
        #expect(second.resets == ["dealloc"])
        #expect(second.deallocDelta == 1)
    }

    /// After `pg_stat_statements_reset()` every current value happened inside the interval.
    @Test func statsResetUsesCurrentValues() {
        let first = StatementDeltaTracker.advance(previous: nil, sample: sample(
            [keyA: counters(calls: 500, time: 1000)], time: 2000))
        let second = StatementDeltaTracker.advance(previous: first.state, sample: sample(
            [keyA: counters(calls: 700, time: 1200), keyB: counters(calls: 3, time: 3)], time: 2060, reset: 2030))
        #expect(second.resets == ["stats_reset"])
        #expect(second.deltas[keyA]?.calls == 700, "not 200: the old 500 were reset away")
        #expect(second.deltas[keyB]?.calls == 3)
    }

    /// A counter going backwards never yields a negative delta.
    @Test func counterDecreaseNeverGoesNegative() {
        let first = StatementDeltaTracker.advance(previous: nil, sample: sample(
            [keyA: counters(calls: 500, time: 1000), keyB: counters(calls: 10, time: 10)], time: 2000))
        let second = StatementDeltaTracker.advance(previous: first.state, sample: sample(
            [keyA: counters(calls: 4, time: 8), keyB: counters(calls: 12, time: 12)], time: 2060, start: 2050))
        #expect(second.resets == ["server_restart", "counter_decrease"])
        #expect(second.deltas[keyA]?.calls == 4)
        #expect(second.deltas[keyB]?.calls == 2, "stats kept across a clean restart still give true deltas")
        for delta in second.deltas.values {
            #expect(delta.calls >= 0 && delta.totalExecTime >= 0)
        }
    }

    @Test func anotherServerStartsOver() {
        let first = StatementDeltaTracker.advance(previous: nil, sample: sample([keyA: counters(calls: 5, time: 10)], time: 2000))
        let second = StatementDeltaTracker.advance(previous: first.state, sample: sample(
            [keyA: counters(calls: 9, time: 10)], time: 2060, identity: "sys-2"))
        #expect(second.baseline)
        #expect(second.resets == ["new_server"])
        #expect(second.deltas.isEmpty)
    }

    @Test func fullFetchIsNeededOnlyWhenEntriesMayHaveGone() {
        let state = StatementsState(serverIdentity: "s", startTime: 1, statsReset: 2, dealloc: 3, sampleTime: 4, entries: [:])
        #expect(StatementDeltaTracker.needsFullFetch(previous: nil, serverIdentity: "s", startTime: 1, statsReset: 2, dealloc: 3))
        #expect(!StatementDeltaTracker.needsFullFetch(previous: state, serverIdentity: "s", startTime: 1, statsReset: 2, dealloc: 3))
        #expect(StatementDeltaTracker.needsFullFetch(previous: state, serverIdentity: "s", startTime: 9, statsReset: 2, dealloc: 3))
        #expect(StatementDeltaTracker.needsFullFetch(previous: state, serverIdentity: "s", startTime: 1, statsReset: 5, dealloc: 3))
        #expect(StatementDeltaTracker.needsFullFetch(previous: state, serverIdentity: "s", startTime: 1, statsReset: 2, dealloc: 4))
        #expect(StatementDeltaTracker.needsFullFetch(previous: state, serverIdentity: "t", startTime: 1, statsReset: 2, dealloc: 3))
    }

    /// Top N plus `other` add up to the totals.
    @Test func rankingKeepsTotals() {
        let deltas = [keyA: counters(calls: 1, time: 50), keyB: counters(calls: 10, time: 30), keyC: counters(calls: 100, time: 20)]
        let ranked = StatementDeltaTracker.rank(deltas, limit: 1)
        #expect(ranked.top.map(\.key) == [keyA])
        #expect(ranked.other?.calls == 110)
        #expect(ranked.other?.totalExecTime == 50)
        #expect(ranked.otherEntries == 2)
        let all = StatementDeltaTracker.rank(deltas, limit: 10)
        #expect(all.other == nil)
        #expect(all.top.map(\.key) == [keyA, keyB, keyC])
    }

    @Test func stateSurvivesEncoding() throws {
        var c = counters(calls: 3, time: 1.5, rows: 7)
        c.walBytes = 1234
        let state = StatementsState(serverIdentity: "s", startTime: 1, statsReset: nil, dealloc: 3, sampleTime: 4,
                                    entries: [keyA: c, keyC: counters(calls: 1, time: 1)])
        let data = try JSONEncoder().encode(state)
        #expect(try JSONDecoder().decode(StatementsState.self, from: data) == state)
    }
}

import Foundation
