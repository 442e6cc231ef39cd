@testable import Collectors
import Testing

/// Per-relation deltas: current − previous, NaN where either is NULL, none after a reset.
@Suite struct RelationDeltasTests {
    @Test func subtractsColumnByColumn() {
        #expect(RelationDeltas.compute(current: [15, 1, 1e15 + 3], previous: [10, 1, 1e15]) == [5, 0, 3])
        #expect(RelationDeltas.compute(current: [], previous: []) == [])
    }

    @Test func noPreviousOrOtherColumnsGiveNone() {
        #expect(RelationDeltas.compute(current: [1, 2], previous: nil) == nil)
        #expect(RelationDeltas.compute(current: [1, 2], previous: [1]) == nil)
        #expect(RelationDeltas.compute(current: [1], previous: [1, 2]) == nil)
    }

    /// A per-table reset, or a table dropped and recreated with its oid reused: no deltas rather than wrong ones.
    @Test func aCounterGoingBackwardsGivesNone() {
        #expect(RelationDeltas.compute(current: [15, 0], previous: [10, 4]) == nil)
        #expect(RelationDeltas.compute(current: [.nan, 0], previous: [1, 4]) == nil)
    }

    @Test func nullInEitherGivesNaNInThatColumnOnly() throws {
        let deltas = try #require(RelationDeltas.compute(current: [.nan, 5, 7], previous: [3, .nan, 2]))
        #expect(deltas.count == 3)
        #expect(deltas[0].isNaN)
        #expect(deltas[1].isNaN)
        #expect(deltas[2] == 5)
        // NaN is never "backwards".
        let fromNull = try #require(RelationDeltas.compute(current: [0], previous: [.nan]))
        #expect(fromNull[0].isNaN)
    }
}
