/// Per-visit deltas of one relation's cumulative counters (a table's or an index's). Pure.
package enum RelationDeltas {
    /// `current − previous`, column by column; NaN (SQL NULL) in either gives NaN in that column.
    ///
    /// - Returns: nil when there is no previous visit's counters, when the column counts differ, or when a
    ///   counter that is a number in both went backwards: a per-relation reset (`pg_stat_reset_single_table_counters`)
    ///   or a relation dropped and recreated with its oid reused. We cannot tell how much of the current value
    ///   falls inside the interval, so we report none rather than a wrong one.
    package static func compute(current: [Double], previous: [Double]?) -> [Double]? {
        guard let previous, previous.count == current.count else { return nil }
        var deltas: [Double] = []
        deltas.reserveCapacity(current.count)
        for (now, before) in zip(current, previous) {
            if now.isNaN || before.isNaN {
                deltas.append(.nan)
                continue
            }
            if now < before { return nil }
            deltas.append(now - before)
        }
        return deltas
    }
}
