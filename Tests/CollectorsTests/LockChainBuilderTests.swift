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

/// Keeping the chains that waited longest, and counting what is left out.
@Suite struct LockChainSelectionTests {
    /// Three chains: 100 ← 1…5 (longest wait 50 s), 200 ← 6, 7 (90 s), 300 ← 8 (10 s).
    static let blockers: [Int: [Int]] = [
        1: [100], 2: [1, 100], 3: [1, 2], 4: [1, 2, 3], 5: [1, 2, 3, 4],
        6: [200], 7: [6, 200],
        8: [300],
    ]
    static let waits: [Int: Double] = [1: 50, 2: 40, 3: 30, 4: 20, 5: 10, 6: 90, 7: 5, 8: 10]

    @Test func keepsTheChainsWithTheLongestWaitAndCountsTheRest() {
        let selection = LockChainBuilder.select(blockers: Self.blockers, waitSeconds: Self.waits,
                                                maximumChains: 2, maximumWaitersPerChain: 3)
        #expect(selection.chains.map(\.root) == [200, 100])
        #expect(selection.chains.map(\.waiters) == [[6, 7], [1, 2, 3]], "longest wait first within a chain")
        #expect(selection.chains.map(\.waiterCount) == [2, 5])
        #expect(selection.chains.map(\.longestWait) == [90, 50])
        #expect(selection.totalWaiters == 8)
        #expect(selection.totalChains == 3)
        #expect(selection.keptWaiters == 5)
        #expect(selection.omittedChains == 1)
        #expect(selection.omittedWaiters == 3, "4 and 5 past the per-chain cap, 8 in the chain left out")
        #expect(selection.keptWaiters + selection.omittedWaiters == selection.totalWaiters)
        #expect(selection.chains.count + selection.omittedChains == selection.totalChains)
        #expect(selection.links[5] == LockChainBuilder.Link(root: 100, depth: 3, chain: 100))
        #expect(selection.links[8] == LockChainBuilder.Link(root: 300, depth: 2, chain: 300), "left out, still placed")
    }

    @Test func everythingFitsWhenTheLimitsAreLarge() {
        let selection = LockChainBuilder.select(blockers: Self.blockers, waitSeconds: Self.waits,
                                                maximumChains: 50, maximumWaitersPerChain: 10)
        #expect(selection.chains.map(\.root) == [200, 100, 300])
        #expect(selection.omittedChains == 0)
        #expect(selection.omittedWaiters == 0)
        #expect(Set(selection.chains.flatMap(\.waiters)) == Set(Self.blockers.keys))
    }

    @Test func zeroChainsLeavesEverythingOut() {
        let selection = LockChainBuilder.select(blockers: Self.blockers, waitSeconds: Self.waits,
                                                maximumChains: 0, maximumWaitersPerChain: 10)
        #expect(selection.chains.isEmpty)
        #expect(selection.omittedChains == 3)
        #expect(selection.omittedWaiters == 8)
    }

    /// Equal longest waits: the chain with more waiters first, then the lower key; unknown waits count as 0.
    @Test func tiesAndUnknownWaits() {
        let selection = LockChainBuilder.select(
            blockers: [1: [10], 2: [20], 3: [2], 4: [30]], waitSeconds: [1: 5, 2: 5, 3: 1],
            maximumChains: 10, maximumWaitersPerChain: 10)
        #expect(selection.chains.map(\.key) == [20, 10, 30])
        #expect(selection.chains.last?.longestWait == 0)
    }

    /// A deadlock not yet broken is one chain without a root, keyed by its smallest pid; a backend queued
    /// behind it belongs to it.
    @Test func aCycleIsOneChainWithoutRoot() {
        let selection = LockChainBuilder.select(
            blockers: [7: [5], 5: [7], 9: [7], 1: [100]], waitSeconds: [7: 3, 5: 2, 9: 8, 1: 1],
            maximumChains: 10, maximumWaitersPerChain: 10)
        #expect(selection.totalChains == 2)
        let cycle = selection.chains[0]
        #expect(cycle.root == nil)
        #expect(cycle.key == 5)
        #expect(cycle.waiters == [9, 7, 5])
        #expect(selection.links[9]?.depth == 3)
        #expect(selection.links[7]?.depth == 2)
        #expect(selection.chains[1].root == 100)
    }

    /// A backend with an empty list is not blocked: no waiter, no chain.
    @Test func emptyListsAreNotWaiters() {
        let selection = LockChainBuilder.select(blockers: [1: [], 2: [3]], waitSeconds: [:],
                                                maximumChains: 10, maximumWaitersPerChain: 10)
        #expect(selection.totalWaiters == 1)
        #expect(selection.chains.map(\.waiters) == [[2]])
        #expect(LockChainBuilder.roots(blockers: [1: []])[1]?.root == 1)
    }

    /// 10,000 waiters, each naming the one ahead of it first (lists cut to a few pids, as the collector
    /// cuts them): the deepest chain there can be, one chain, every waiter placed, each walked once.
    @Test func tenThousandWaitersInOneQueue() {
        let holder = 1
        var blockers: [Int: [Int]] = [:]
        var waits: [Int: Double] = [:]
        for pid in 2...10_001 {
            blockers[pid] = Array((max(holder, pid - 3)..<pid).reversed())
            waits[pid] = Double(20_000 - pid)
        }
        let selection = LockChainBuilder.select(blockers: blockers, waitSeconds: waits,
                                                maximumChains: 50, maximumWaitersPerChain: 10)
        #expect(selection.totalWaiters == 10_000)
        #expect(selection.totalChains == 1)
        #expect(selection.chains.first?.root == holder)
        #expect(selection.chains.first?.waiters == Array(2...11))
        #expect(selection.omittedWaiters == 9_990)
        #expect(selection.links[10_001]?.depth == 10_001)
        let roots = LockChainBuilder.roots(blockers: blockers)
        #expect(roots[10_001]?.root == holder)
        #expect(roots[10_001]?.depth == 10_001)
    }
}
