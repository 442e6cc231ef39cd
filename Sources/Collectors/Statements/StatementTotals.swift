package import AgentSchema

/// The statements `/metrics` shows (``StatementTotal``): the top N by the server's cumulative execution
/// time, as postgres_exporter picks them, so the set of series stays stable from one scrape to the next.
/// Pure.
package enum StatementTotals {
    /// One (role, database, query id): the unit `/metrics` labels, which `pg_stat_statements` may split
    /// into a top-level and a nested entry.
    package struct Identity: Hashable, Sendable {
        package var userid: Int64
        package var dbid: Int64
        package var queryid: Int64
    }

    /// The counters `/metrics` shows, summed over an identity's entries.
    package struct Sum: Sendable, Equatable {
        package var calls: Double = 0
        package var totalExecTime: Double = 0
        package var rows: Double = 0
        package var blkReadTime: Double = 0
        package var blkWriteTime: Double = 0

        mutating func add(_ counters: StatementCounters) {
            calls += Double(counters.calls)
            totalExecTime += counters.totalExecTime
            rows += Double(counters.rows)
            blkReadTime += counters.blkReadTime
            blkWriteTime += counters.blkWriteTime
        }
    }

    /// The `limit` identities with the most cumulative execution time in `entries`, each with the sum of
    /// its entries (top-level and nested), most time first. Sums over every entry of an identity, so a
    /// figure does not drop when one of its two entries would rank lower than the other.
    package static func top(_ entries: [StatementKey: StatementCounters], limit: Int) -> [(identity: Identity, sum: Sum)] {
        guard limit > 0 else { return [] }
        var sums: [Identity: Sum] = [:]
        sums.reserveCapacity(entries.count)
        for (key, counters) in entries {
            sums[Identity(userid: key.userid, dbid: key.dbid, queryid: key.queryid), default: Sum()].add(counters)
        }
        let sorted = sums.sorted { a, b in
            if a.value.totalExecTime != b.value.totalExecTime { return a.value.totalExecTime > b.value.totalExecTime }
            return (a.key.queryid, a.key.userid, a.key.dbid) < (b.key.queryid, b.key.userid, b.key.dbid)
        }
        return sorted.prefix(limit).map { (identity: $0.key, sum: $0.value) }
    }

    /// `top` (from ``top(_:limit:)``) as ``StatementTotal`` values, with the names and texts known (an oid
    /// as text for a role or database whose name is not known).
    package static func make(_ top: [(identity: Identity, sum: Sum)], roleNames: [Int64: String],
                             databaseNames: [Int64: String], texts: [Int64: String]) -> [StatementTotal] {
        top.map { identity, sum in
            StatementTotal(queryid: identity.queryid, user: roleNames[identity.userid] ?? String(identity.userid),
                           datname: databaseNames[identity.dbid] ?? String(identity.dbid),
                           query: texts[identity.queryid], calls: sum.calls, totalExecTimeMs: sum.totalExecTime,
                           rows: sum.rows, blkReadTimeMs: sum.blkReadTime, blkWriteTimeMs: sum.blkWriteTime)
        }
    }
}
