@testable import Collectors
import Testing

@Suite struct LockChainBuilderTests {
    /// 30 waits for 20, which waits for 10: both have root 10.
    @Test func followsTheChainToItsHead() {
        let roots = LockChainBuilder.roots(blockers: [20: [10], 30: [20, 10]])
        #expect(roots[20]?.root == 10)
        #expect(roots[20]?.depth == 2)
        #expect(roots[30]?.root == 10)
        #expect(roots[30]?.depth == 3)
    }

    /// A deadlock not yet broken has no head; we say so instead of guessing.
    @Test func cycleHasNoRoot() {
        let roots = LockChainBuilder.roots(blockers: [1: [2], 2: [1], 3: [1]])
        #expect(roots[1]?.root == nil)
        #expect(roots[3]?.root == nil)
    }

    @Test func independentChains() {
        let roots = LockChainBuilder.roots(blockers: [5: [4], 8: [7]])
        #expect(roots[5]?.root == 4)
        #expect(roots[8]?.root == 7)
    }
}
