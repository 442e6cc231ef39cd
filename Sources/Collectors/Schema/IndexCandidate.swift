import AgentSchema

/// One index as a page read it, before the selection (see ``TableCandidate``).
struct IndexCandidate: Sendable {
    var indexrelid: Int64
    var schemaname: String
    var relname: String
    var indexrelname: String
    var counters: [Double]
    var deltas: [Double]?
    /// From `pg_class.relpages`: what the `other` sum counts.
    var estimatedBytes: Int64
    /// Measured for the rows sent only.
    var sizeBytes: Int64? = nil
    var invalid: Bool
    /// Backs a primary key, unique or exclusion constraint, so never "unused".
    var enforces: Bool
    var duplicateOf: String?
    var reasons: [String] = []

    /// No scan since the statistics were reset (`idx_scan` is the first counter) and no constraint.
    var unused: Bool { !enforces && counters.first == 0 }

    /// The payload row, counters keyed by `columns`.
    func row(columns: [String]) -> IndexRow {
        var row = IndexRow(indexrelid: indexrelid, schemaname: schemaname, relname: relname, indexrelname: indexrelname,
                           counters: CounterSet(totals: SchemaColumns.dictionary(columns, counters),
                                                deltas: deltas.map { SchemaColumns.dictionary(columns, $0) }))
        row.reasons = reasons
        row.sizeBytes = sizeBytes
        row.unused = unused
        row.invalid = invalid
        row.duplicateOf = duplicateOf
        return row
    }
}
