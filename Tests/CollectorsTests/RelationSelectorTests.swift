@testable import Collectors
import TestSupport
import Testing

/// The streaming top-N selector: the highest scores, warning rows outside the top, and every other row
/// summed so that totals add up.
@Suite struct RelationSelectorTests {
    @Test func keepsTheHighestScoresHighestFirst() {
        var selector = RelationSelector<String>(limit: 3, warningLimit: 0, counterCount: 1)
        for (name, score) in [("a", 5.0), ("b", 1.0), ("c", 9.0), ("d", 3.0), ("e", 7.0)] {
            selector.offer(name, score: score, warning: false, deltas: [score], bytes: 100)
        }
        let result = selector.finish()
        #expect(result.top == ["c", "e", "a"])
        #expect(result.warnings.isEmpty)
        #expect(result.other == RelationOtherSum(count: 2, bytes: 200, deltas: [4]))
    }

    @Test func equalScoresKeepTheRowOfferedFirst() {
        var selector = RelationSelector<Int>(limit: 2, warningLimit: 0, counterCount: 0)
        for row in 0..<5 { selector.offer(row, score: 1, warning: false, deltas: nil, bytes: 0) }
        selector.offer(5, score: .nan, warning: false, deltas: nil, bytes: 0)
        let result = selector.finish()
        #expect(result.top == [0, 1])
        #expect(result.other == RelationOtherSum(count: 4, bytes: 0, deltas: nil))
    }

    /// `a` is a warning row pushed out of the top by `b`: it is kept as a warning; `c` too; `d` finds no
    /// room and goes into the sum.
    @Test func warningRowsOutsideTheTopAreKeptWhileThereIsRoom() {
        var selector = RelationSelector<String>(limit: 1, warningLimit: 2, counterCount: 1)
        selector.offer("a", score: 1, warning: true, deltas: [1], bytes: 1)
        selector.offer("b", score: 5, warning: true, deltas: [5], bytes: 2)
        selector.offer("c", score: 0, warning: true, deltas: [0], bytes: 4)
        selector.offer("d", score: 0, warning: true, deltas: [2], bytes: 8)
        selector.offer("e", score: 0, warning: false, deltas: [3], bytes: 16)
        let result = selector.finish()
        #expect(result.top == ["b"])
        #expect(result.warnings == ["a", "c"])
        #expect(result.other == RelationOtherSum(count: 2, bytes: 24, deltas: [5]))
    }

    /// A row pushed out of the top is summed when it leaves: its bytes and deltas, NaN skipped.
    @Test func anEvictedRowMovesIntoTheSum() {
        var selector = RelationSelector<String>(limit: 1, warningLimit: 0, counterCount: 2)
        selector.offer("a", score: 1, warning: false, deltas: [1, 2], bytes: 10)
        #expect(selector.finish().other == RelationOtherSum(count: 0, bytes: 0, deltas: nil))
        selector.offer("b", score: 2, warning: false, deltas: [3, .nan], bytes: 20)
        #expect(selector.finish().top == ["b"])
        #expect(selector.finish().other == RelationOtherSum(count: 1, bytes: 10, deltas: [1, 2]))
        selector.offer("c", score: 3, warning: false, deltas: nil, bytes: 5)
        let result = selector.finish()
        #expect(result.top == ["c"])
        #expect(result.other == RelationOtherSum(count: 2, bytes: 30, deltas: [4, 2]))
    }

    @Test func theSumHasNoDeltasWhenNoRowInItHad() {
        var selector = RelationSelector<Int>(limit: 1, warningLimit: 0, counterCount: 3)
        selector.offer(0, score: 9, warning: false, deltas: [1, 1, 1], bytes: 1)
        selector.offer(1, score: 1, warning: false, deltas: nil, bytes: 2)
        selector.offer(2, score: 2, warning: false, deltas: nil, bytes: 3)
        #expect(selector.finish().other == RelationOtherSum(count: 2, bytes: 5, deltas: nil))
    }

    @Test func limitZeroKeepsOnlyWarnings() {
        var selector = RelationSelector<Int>(limit: 0, warningLimit: 1, counterCount: 1)
        selector.offer(0, score: 9, warning: false, deltas: [1], bytes: 1)
        selector.offer(1, score: 1, warning: true, deltas: [2], bytes: 2)
        selector.offer(2, score: 2, warning: true, deltas: [3], bytes: 3)
        let result = selector.finish()
        #expect(result.top.isEmpty)
        #expect(result.warnings == [1])
        #expect(result.other == RelationOtherSum(count: 2, bytes: 4, deltas: [4]))
        var nothing = RelationSelector<Int>(limit: 0, warningLimit: 0, counterCount: 1)
        nothing.offer(0, score: 1, warning: true, deltas: nil, bytes: 7)
        #expect(nothing.finish().top.isEmpty)
        #expect(nothing.finish().warnings.isEmpty)
        #expect(nothing.finish().other == RelationOtherSum(count: 1, bytes: 7, deltas: nil))
    }

    /// Random rows (many equal scores, some warnings, some without deltas, some NaN): the top is exactly the
    /// `limit` best by score then order, the warnings are warning rows outside it, and kept + other = offered
    /// with bytes and deltas adding up exactly (integer-valued, so sums are exact).
    @Test func totalsAddUpOverRandomInputs() {
        var random = SeededGenerator(seed: 20_250_601)
        for _ in 0..<200 {
            let limit = Int.random(in: 0...20, using: &random)
            let warningLimit = Int.random(in: 0...10, using: &random)
            let count = Int.random(in: 0...300, using: &random)
            var selector = RelationSelector<Int>(limit: limit, warningLimit: warningLimit, counterCount: 2)
            var rows: [(score: Double, warning: Bool, deltas: [Double]?, bytes: Int64)] = []
            for row in 0..<count {
                let score = Double(Int.random(in: 0..<40, using: &random))
                let warning = Int.random(in: 0..<5, using: &random) == 0
                let deltas: [Double]? = Int.random(in: 0..<4, using: &random) == 0 ? nil : [
                    Double(Int.random(in: 0..<1_000, using: &random)),
                    Int.random(in: 0..<3, using: &random) == 0 ? .nan : Double(Int.random(in: 0..<1_000, using: &random)),
                ]
                let bytes = Int64.random(in: 0..<1 << 40, using: &random)
                rows.append((score, warning, deltas, bytes))
                selector.offer(row, score: score, warning: warning, deltas: deltas, bytes: bytes)
            }
            let result = selector.finish()
            #expect(result.top.count + result.warnings.count + result.other.count == count)

            let ranked = rows.indices.sorted { (first: Int, second: Int) -> Bool in
                let (a, b) = (rows[first].score, rows[second].score)
                return a > b || (a == b && first < second)
            }
            let expectedTop = ranked.prefix(limit)
            #expect(result.top == Array(expectedTop))
            let top = Set(result.top)
            let warningsOutside = rows.indices.filter { rows[$0].warning && !top.contains($0) }
            #expect(result.warnings.count == min(warningLimit, warningsOutside.count))
            #expect(result.warnings.allSatisfy { rows[$0].warning && !top.contains($0) })
            #expect(result.warnings == result.warnings.sorted())

            let kept = top.union(result.warnings)
            let others = rows.indices.filter { !kept.contains($0) }
            #expect(result.other.count == others.count)
            #expect(result.other.bytes == others.reduce(Int64(0)) { $0 + rows[$1].bytes })
            let withDeltas = others.compactMap { rows[$0].deltas }
            if withDeltas.isEmpty {
                #expect(result.other.deltas == nil)
            } else {
                let sums = (0..<2).map { column in withDeltas.reduce(0.0) { $0 + ($1[column].isNaN ? 0 : $1[column]) } }
                #expect(result.other.deltas == sums)
            }
        }
    }
}
