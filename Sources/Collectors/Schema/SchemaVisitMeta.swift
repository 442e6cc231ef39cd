/// What a committed visit of one database measured its counters against: the server, its start, the
/// server's clock at the visit, and the counter columns in the order the stored counters follow.
package struct SchemaVisitMeta: Sendable, Equatable {
    /// The server's `system_identifier` (or what stands for it): counters of another server are no baseline.
    package var serverIdentity: String
    /// `pg_postmaster_start_time()`, epoch seconds: a restart starts a new baseline.
    package var startTime: Double
    /// The server's clock at the visit, epoch seconds: the next visit's interval is measured from it.
    package var sampleTime: Double
    /// The table counters' column names, in the order of each stored table's counters.
    package var tableColumns: [String]
    /// The index counters' column names, in the order of each stored index's counters.
    package var indexColumns: [String]

    /// A visit's meta from its parts.
    package init(serverIdentity: String, startTime: Double, sampleTime: Double, tableColumns: [String],
                 indexColumns: [String]) {
        self.serverIdentity = serverIdentity
        self.startTime = startTime
        self.sampleTime = sampleTime
        self.tableColumns = tableColumns
        self.indexColumns = indexColumns
    }
}
