/// Which `pg_stat_statements` columns exist, by extension version (not server version: an extension
/// left at an older version after `pg_upgrade` keeps the older function signature).
///
/// | ext | server | what changed |
/// |---|---|---|
/// | 1.8 | 13 | `total_time` → `total_exec_time`, `plans`, `wal_*` |
/// | 1.9 | 14 | `toplevel`, `pg_stat_statements_info` |
/// | 1.10 | 15, 16 | `temp_blk_*_time`, `jit_*` |
/// | 1.11 | 17 | `blk_read_time` → `shared_blk_read_time` (and `local_blk_*_time`) |
/// | 1.12 | 18 | `parallel_workers_*`, `wal_buffers_full`, `generic_plan_calls` |
package struct StatementColumns: Sendable, Equatable {
    package var major: Int
    package var minor: Int

    /// Parses `extversion` (`1.10`); nil when it is not `major.minor`.
    package init?(extensionVersion: String) {
        let parts = extensionVersion.split(separator: ".").compactMap { Int($0) }
        guard parts.count == 2 else { return nil }
        major = parts[0]
        minor = parts[1]
    }

    /// We need `total_exec_time` and the WAL counters: 1.8 or later.
    package var isSupported: Bool { (major, minor) >= (1, 8) }
    /// `toplevel` and `pg_stat_statements_info` exist.
    package var hasInfoView: Bool { (major, minor) >= (1, 9) }

    /// The select list, in our column names.
    package var selectList: String {
        let toplevel = hasInfoView ? "s.toplevel" : "true"
        let (read, write) = (major, minor) >= (1, 11)
            ? ("s.shared_blk_read_time", "s.shared_blk_write_time") : ("s.blk_read_time", "s.blk_write_time")
        return """
            s.userid::int8 AS userid, s.dbid::int8 AS dbid, s.queryid AS queryid, \(toplevel) AS toplevel,
            s.calls, s.total_exec_time, s.plans, s.total_plan_time, s.rows,
            s.shared_blks_hit, s.shared_blks_read, s.shared_blks_dirtied, s.shared_blks_written,
            s.local_blks_hit, s.local_blks_read, s.local_blks_dirtied, s.local_blks_written,
            s.temp_blks_read, s.temp_blks_written,
            \(read)::float8 AS blk_read_time, \(write)::float8 AS blk_write_time,
            s.wal_records, s.wal_fpi, s.wal_bytes::float8 AS wal_bytes
            """
    }

    /// A 64-bit fingerprint of an entry's key and its `calls`/`plans` counts, computed by the server
    /// (`hash_record_extended`, PG 14+). An entry whose fingerprint we already hold has not moved.
    package var fingerprint: String {
        let toplevel = hasInfoView ? "s.toplevel" : "true"
        return "hash_record_extended(ROW(s.userid, s.dbid, s.queryid, \(toplevel), s.calls, s.plans), 0)"
    }
}
