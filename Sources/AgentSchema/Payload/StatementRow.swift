/// Per-interval deltas of one `pg_stat_statements` entry (`pg_statements` in the payload).
///
/// Times are milliseconds spent during the interval; counters are what happened during the interval.
/// The `other` row (`is_other = true`, no `queryid`) sums every entry outside the top N, so the column
/// totals of all rows equal the server's totals for the interval.
package struct StatementRow: Codable, Sendable, Equatable {
    package var userid: Int64?
    package var dbid: Int64?
    package var queryid: Int64?
    package var toplevel: Bool?
    /// Role and database names, resolved at collection.
    package var usename: String?
    package var datname: String?
    /// Normalised statement text (capped and redacted); `<other>` for the other row.
    package var query: String?
    package var isOther: Bool?
    /// Entries folded into the `other` row.
    package var otherEntries: Int?
    package var calls: Int64
    package var totalExecTime: Double
    /// `total_exec_time / calls` over the interval.
    package var meanExecTime: Double?
    package var plans: Int64
    package var totalPlanTime: Double
    package var rows: Int64
    package var sharedBlksHit: Int64
    package var sharedBlksRead: Int64
    package var sharedBlksDirtied: Int64
    package var sharedBlksWritten: Int64
    package var localBlksHit: Int64
    package var localBlksRead: Int64
    package var localBlksDirtied: Int64
    package var localBlksWritten: Int64
    package var tempBlksRead: Int64
    package var tempBlksWritten: Int64
    /// Shared-block read/write time (named `blk_*_time` before PG 17).
    package var blkReadTime: Double
    package var blkWriteTime: Double
    package var walRecords: Int64
    package var walFpi: Int64
    package var walBytes: Double
    /// Length of the interval these deltas cover, in seconds.
    package var intervalSeconds: Double

    package init(intervalSeconds: Double) {
        self.intervalSeconds = intervalSeconds
        calls = 0; totalExecTime = 0; plans = 0; totalPlanTime = 0; rows = 0
        sharedBlksHit = 0; sharedBlksRead = 0; sharedBlksDirtied = 0; sharedBlksWritten = 0
        localBlksHit = 0; localBlksRead = 0; localBlksDirtied = 0; localBlksWritten = 0
        tempBlksRead = 0; tempBlksWritten = 0; blkReadTime = 0; blkWriteTime = 0
        walRecords = 0; walFpi = 0; walBytes = 0
    }

    enum CodingKeys: String, CodingKey {
        case userid, dbid, queryid, toplevel, usename, datname, query
        case isOther = "is_other"
        case otherEntries = "other_entries"
        case calls
        case totalExecTime = "total_exec_time"
        case meanExecTime = "mean_exec_time"
        case plans
        case totalPlanTime = "total_plan_time"
        case rows
        case sharedBlksHit = "shared_blks_hit"
        case sharedBlksRead = "shared_blks_read"
        case sharedBlksDirtied = "shared_blks_dirtied"
        case sharedBlksWritten = "shared_blks_written"
        case localBlksHit = "local_blks_hit"
        case localBlksRead = "local_blks_read"
        case localBlksDirtied = "local_blks_dirtied"
        case localBlksWritten = "local_blks_written"
        case tempBlksRead = "temp_blks_read"
        case tempBlksWritten = "temp_blks_written"
        case blkReadTime = "blk_read_time"
        case blkWriteTime = "blk_write_time"
        case walRecords = "wal_records"
        case walFpi = "wal_fpi"
        case walBytes = "wal_bytes"
        case intervalSeconds = "interval_seconds"
    }
}

/// What the `pg_statements` rows of a snapshot cover (`statements_info` in the payload).
package struct StatementsInfo: Codable, Sendable, Equatable {
    /// Seconds between the two samples the deltas come from (server clock).
    package var intervalSeconds: Double?
    /// `pg_stat_statements` extension version in the connected database.
    package var extensionVersion: String?
    /// Entries whose counters moved during the interval.
    package var changedEntries: Int
    /// Entries `pg_stat_statements` holds now.
    package var trackedEntries: Int?
    /// True when this cycle only took a baseline (first run, new server): no deltas yet.
    package var baseline: Bool
    /// Why deltas were re-based this cycle, if they were: `stats_reset`, `server_restart`, `dealloc`,
    /// `counter_decrease`, `new_server`.
    package var resets: [String]
    /// Entries evicted by `pg_stat_statements.max` since the previous sample (`dealloc` delta).
    package var deallocDelta: Int64?
    /// Query texts fetched this cycle (only ids the agent had not seen).
    package var textsFetched: Int
    /// Sum of `total_exec_time` over all changed entries, ms.
    package var totalExecTime: Double
    /// Sum of `calls` over all changed entries.
    package var totalCalls: Int64

    package init() {
        changedEntries = 0; baseline = false; resets = []; textsFetched = 0; totalExecTime = 0; totalCalls = 0
    }

    enum CodingKeys: String, CodingKey {
        case intervalSeconds = "interval_seconds"
        case extensionVersion = "extension_version"
        case changedEntries = "changed_entries"
        case trackedEntries = "tracked_entries"
        case baseline, resets
        case deallocDelta = "dealloc_delta"
        case textsFetched = "texts_fetched"
        case totalExecTime = "total_exec_time"
        case totalCalls = "total_calls"
    }
}
