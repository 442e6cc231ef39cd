import AgentSchema

/// One table as a page read it, before the selection decides whether it is sent: counters as an array
/// in ``SchemaQueries/tableCounters(major:)`` order, so 50,000 of them cost no dictionaries.
struct TableCandidate: Sendable {
    var relid: Int64
    var schemaname: String
    var relname: String
    var counters: [Double]
    var deltas: [Double]?
    var nLiveTup: Int64?
    var nDeadTup: Int64?
    var nModSinceAnalyze: Int64?
    var nInsSinceVacuum: Int64?
    var lastVacuum: Double?
    var lastAutovacuum: Double?
    var lastAnalyze: Double?
    var lastAutoanalyze: Double?
    var frozenXidAge: Int64?
    var minMxidAge: Int64?
    /// Table, indexes and TOAST from `pg_class.relpages`, bytes: what the `other` sum counts.
    var estimatedBytes: Int64
    /// True when a session held or awaited an `AccessExclusiveLock` on it, so no size was read.
    var blocked = false
    /// Measured for the rows sent only.
    var tableBytes: Int64?
    var indexesBytes: Int64?
    var toastBytes: Int64?
    var reasons: [String] = []
    /// `pgstattuple_approx`, for the largest tables sent.
    var bloatEstimate: BloatEstimate?

    /// `n_dead_tup / (n_live_tup + n_dead_tup)`, percent; nil without tuples.
    var deadTuplePercent: Double? {
        guard let live = nLiveTup, let dead = nDeadTup, live + dead > 0 else { return nil }
        return Double(dead) / Double(live + dead) * 100
    }

    /// The payload row, counters keyed by `columns`.
    func row(columns: [String]) -> TableRow {
        var row = TableRow(relid: relid, schemaname: schemaname, relname: relname,
                           counters: CounterSet(totals: SchemaColumns.dictionary(columns, counters),
                                                deltas: deltas.map { SchemaColumns.dictionary(columns, $0) }))
        row.reasons = reasons
        row.nLiveTup = nLiveTup
        row.nDeadTup = nDeadTup
        row.nModSinceAnalyze = nModSinceAnalyze
        row.nInsSinceVacuum = nInsSinceVacuum
        row.lastVacuum = lastVacuum
        row.lastAutovacuum = lastAutovacuum
        row.lastAnalyze = lastAnalyze
        row.lastAutoanalyze = lastAutoanalyze
        row.tableBytes = tableBytes
        row.indexesBytes = indexesBytes
        row.toastBytes = toastBytes
        row.frozenXidAge = frozenXidAge
        row.minMxidAge = minMxidAge
        row.deadTuplePercent = deadTuplePercent
        return row
    }
}
