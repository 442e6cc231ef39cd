/// Finds the head of each blocking chain from the `pg_blocking_pids()` graph. Pure.
///
/// A chain's root blocks others and waits for no lock itself. We follow each blocked backend's first
/// blocker until we reach a backend that is not blocked. A cycle (a deadlock the server has not yet
/// broken, it checks after `deadlock_timeout`) has no root: we report none rather than guess.
package enum LockChainBuilder {
    /// For every blocked pid: its root blocker and the chain length (blocked → … → root, counting both), or
    /// nil root when it sits on a cycle.
    package static func roots(blockers: [Int: [Int]]) -> [Int: (root: Int?, depth: Int)] {
        var result: [Int: (root: Int?, depth: Int)] = [:]
        for start in blockers.keys {
            var seen: Set<Int> = [start]
            var current = start
            var depth = 1
            var root: Int?
            while true {
                guard let next = blockers[current]?.first else { root = current; break }
                if seen.contains(next) { root = nil; break }
                seen.insert(next)
                current = next
                depth += 1
            }
            result[start] = (root, depth)
        }
        return result
    }
}
