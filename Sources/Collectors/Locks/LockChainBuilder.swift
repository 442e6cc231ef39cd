/// Finds the head of each blocking chain from the `pg_blocking_pids()` graph, groups the blocked backends
/// into chains and keeps the chains that waited longest. Pure.
///
/// A chain's root blocks others and waits for no lock itself. We follow each blocked backend's first
/// blocker until we reach a backend that is not blocked. A cycle (a deadlock the server has not yet
/// broken, it checks after `deadlock_timeout`) has no root: we report none rather than guess.
///
/// Every backend is resolved once (what a walk finds is remembered for the walks that reach it later), so
/// 10,000 waiters queued one behind the other cost 10,000 steps, not 50 million.
package enum LockChainBuilder {
    /// Where one blocked backend sits.
    package struct Link: Sendable, Equatable {
        /// The head of its chain; nil when the chain ends in a cycle.
        package var root: Int?
        /// Backends from this one to the root, both included; on or behind a cycle, the distinct backends
        /// its walk meets (a cycle of two alone is 2).
        package var depth: Int
        /// Identifies the chain: the root, or for a cycle its smallest pid. (A root is never blocked and
        /// every pid on a cycle is, so the two kinds never share a key.)
        package var chain: Int
    }

    /// One chain: the blocked backends that share a root (or a cycle).
    package struct Chain: Sendable, Equatable {
        /// ``Link/chain`` of its members.
        package var key: Int
        /// The head; nil for a cycle.
        package var root: Int?
        /// Its blocked backends, longest wait first (then lower pid first). In a ``Selection``, only the
        /// ones kept.
        package var waiters: [Int]
        /// All its blocked backends, kept or not.
        package var waiterCount: Int
        /// The longest wait among them, seconds (an unknown wait counts as 0).
        package var longestWait: Double
    }

    /// What ``select(blockers:waitSeconds:maximumChains:maximumWaitersPerChain:)`` keeps, and what it
    /// leaves out: `totalWaiters == kept waiters + omittedWaiters`, `totalChains == chains.count + omittedChains`.
    package struct Selection: Sendable, Equatable {
        /// The chains kept, longest wait first, each with at most the maximum of waiters.
        package var chains: [Chain]
        /// Every blocked backend's place, kept or not.
        package var links: [Int: Link]
        /// Blocked backends in all chains.
        package var totalWaiters: Int
        /// All chains.
        package var totalChains: Int

        /// Blocked backends kept (over all kept chains).
        package var keptWaiters: Int { chains.reduce(0) { $0 + $1.waiters.count } }
        /// Chains left out.
        package var omittedChains: Int { totalChains - chains.count }
        /// Blocked backends left out: those of the chains left out, and those past the maximum per chain.
        package var omittedWaiters: Int { totalWaiters - keptWaiters }
    }

    /// For every blocked pid: its root blocker and the chain length (blocked → … → root, counting both), or
    /// nil root when it sits on a cycle.
    package static func roots(blockers: [Int: [Int]]) -> [Int: (root: Int?, depth: Int)] {
        let links = resolve(firstBlockers: blockers.compactMapValues(\.first))
        var result: [Int: (root: Int?, depth: Int)] = [:]
        for start in blockers.keys {
            if let link = links[start] {
                result[start] = (link.root, link.depth)
            } else {
                result[start] = (start, 1)  // an empty list: not blocked at all, its own root
            }
        }
        return result
    }

    /// Groups the blocked backends into chains and keeps the `maximumChains` chains with the longest
    /// wait (ties: more waiters first, then lower key), each with its `maximumWaitersPerChain` longest
    /// waiters.
    /// - Parameters:
    ///   - blockers: `pg_blocking_pids()` of each waiting backend; an empty list is not a waiter.
    ///   - waitSeconds: how long each has waited; a missing one counts as 0.
    package static func select(blockers: [Int: [Int]], waitSeconds: [Int: Double],
                               maximumChains: Int, maximumWaitersPerChain: Int) -> Selection {
        let links = resolve(firstBlockers: blockers.compactMapValues(\.first))
        var members: [Int: [Int]] = [:]
        for (pid, link) in links { members[link.chain, default: []].append(pid) }

        func wait(_ pid: Int) -> Double { waitSeconds[pid] ?? 0 }
        var chains: [Chain] = members.map { key, pids in
            let ordered = pids.sorted { (wait($0), $1) > (wait($1), $0) }
            return Chain(key: key, root: links[ordered[0]]?.root, waiters: ordered, waiterCount: ordered.count,
                         longestWait: wait(ordered[0]))
        }
        chains.sort {
            ($0.longestWait, $0.waiterCount, $1.key) > ($1.longestWait, $1.waiterCount, $0.key)
        }
        let kept = chains.prefix(max(0, maximumChains)).map { chain -> Chain in
            var chain = chain
            chain.waiters = Array(chain.waiters.prefix(max(0, maximumWaitersPerChain)))
            return chain
        }
        return Selection(chains: kept, links: links, totalWaiters: links.count, totalChains: chains.count)
    }

    /// Resolves every key of `firstBlockers` (blocked pid → its first blocker) to its ``Link``, each
    /// backend once.
    static func resolve(firstBlockers: [Int: Int]) -> [Int: Link] {
        var done: [Int: Link] = [:]
        done.reserveCapacity(firstBlockers.count)
        for start in firstBlockers.keys where done[start] == nil {
            // Walk until a backend that is not blocked, one already resolved, or one on this walk (a cycle).
            var path: [Int] = []
            var position: [Int: Int] = [:]
            var current = start
            var resolvedFrom = 0  // the lowest index of `path` that is resolved (set before every break)
            while true {
                position[current] = path.count
                path.append(current)
                guard let next = firstBlockers[current] else {
                    // Cannot happen: we only step onto blocked backends. Treat it as a root of its own.
                    done[current] = Link(root: current, depth: 1, chain: current)
                    resolvedFrom = path.count - 1
                    break
                }
                if let known = done[next] {
                    done[current] = Link(root: known.root, depth: known.depth + 1, chain: known.chain)
                    resolvedFrom = path.count - 1
                    break
                }
                if let at = position[next] {
                    let cycle = path[at...]
                    let key = cycle.min() ?? next
                    for pid in cycle { done[pid] = Link(root: nil, depth: cycle.count, chain: key) }
                    resolvedFrom = at
                    break
                }
                if firstBlockers[next] == nil {
                    done[current] = Link(root: next, depth: 2, chain: next)
                    resolvedFrom = path.count - 1
                    break
                }
                current = next
            }
            // Everything before it on the path leads into it: one step further from the root each.
            guard var after = done[path[resolvedFrom]] else { continue }
            for pid in path[..<resolvedFrom].reversed() {
                after = Link(root: after.root, depth: after.depth + 1, chain: after.chain)
                done[pid] = after
            }
        }
        return done
    }
}
