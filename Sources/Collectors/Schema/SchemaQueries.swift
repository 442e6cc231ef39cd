import Foundation

/// The SQL of a database visit, by major version.
///
/// Relations are read in pages of consecutive oids, so a database of 50,000 tables costs many short
/// statements (each under `statement_timeout`) rather than one long one, and a visit that runs out of
/// time still has what it read. The range condition on `relid` is pushed into the statistics views'
/// scans of `pg_class`, so each page reads only its own rows.
///
/// Pages read no sizes: `pg_relation_size()` costs a file `stat()` per fork and opens the relation, and
/// was four fifths of a page's server time (186 ms of 2,000 tables against 36 ms without, PG 15). They
/// carry the planner's estimate from `pg_class.relpages` (what the last VACUUM, ANALYZE or CREATE INDEX
/// saw) for the `other` sums, and the rows that are sent get their sizes measured afterwards
/// (``tableSizes``, ``indexSizes``). Measuring takes a lock: `pg_relation_size()` opens the relation
/// with `AccessShareLock`, which queues behind an `AccessExclusiveLock` (a migration). A relation on
/// which a session holds or awaits one gets no size (`blocked`); a lock taken between that check and
/// the size call fails the statement with `lock_timeout`, and it runs again without sizes.
enum SchemaQueries {
    /// `pg_stat_user_tables` and `pg_statio_user_tables` counters, in payload order.
    static func tableCounters(major: Int) -> [String] {
        var columns = ["seq_scan", "seq_tup_read", "idx_scan", "idx_tup_fetch", "n_tup_ins", "n_tup_upd",
                       "n_tup_del", "n_tup_hot_upd"]
        if major >= 16 { columns.append("n_tup_newpage_upd") }
        columns += ["vacuum_count", "autovacuum_count", "analyze_count", "autoanalyze_count"]
        if major >= 18 {
            columns += ["total_vacuum_time", "total_autovacuum_time", "total_analyze_time", "total_autoanalyze_time"]
        }
        return columns + ioCounters
    }

    /// The `pg_statio_user_tables` part of ``tableCounters(major:)``.
    static let ioCounters = ["heap_blks_read", "heap_blks_hit", "idx_blks_read", "idx_blks_hit", "toast_blks_read",
                             "toast_blks_hit", "tidx_blks_read", "tidx_blks_hit"]

    /// The counters whose sum ranks tables by activity: tuples read, fetched and written.
    static let tableActivity = ["seq_tup_read", "idx_tup_fetch", "n_tup_ins", "n_tup_upd", "n_tup_del"]

    /// `pg_stat_user_indexes` and `pg_statio_user_indexes` counters, in payload order.
    static let indexCounters = ["idx_scan", "idx_tup_read", "idx_tup_fetch", "idx_blks_read", "idx_blks_hit"]

    /// Relations that a session holds or awaits an `AccessExclusiveLock` on, in this database.
    private static let locked = """
        locked AS (
          SELECT DISTINCT l.relation FROM pg_locks l
          WHERE l.locktype = 'relation' AND l.mode = 'AccessExclusiveLock'
            AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()))
        """

    /// The database's identity, the freeze limits warnings compare with, and whether pgstattuple can be
    /// used (its schema when the extension is there and the role may run `pgstattuple_approx`). The
    /// privilege checks sit in nested `CASE`s: in a `WHERE` the planner may run them on other schemas'
    /// rows first, and a function lookup in a schema the role may not use is an error, not false.
    static let header = """
        SELECT d.oid::int8 AS datid,
               extract(epoch FROM clock_timestamp())::float8 AS now,
               current_setting('autovacuum_freeze_max_age')::int8 AS freeze_max_age,
               current_setting('autovacuum_multixact_freeze_max_age')::int8 AS multixact_freeze_max_age,
               (SELECT CASE WHEN has_schema_privilege(n.oid, 'USAGE') THEN
                         CASE WHEN to_regprocedure(format('%I.pgstattuple_approx(regclass)', n.nspname)) IS NOT NULL THEN
                              CASE WHEN has_function_privilege(
                                          to_regprocedure(format('%I.pgstattuple_approx(regclass)', n.nspname)), 'EXECUTE')
                                   THEN n.nspname::text END END END
                  FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
                  WHERE e.extname = 'pgstattuple') AS pgstattuple_schema
        FROM pg_database d WHERE d.datname = current_database()
        """

    /// Page boundaries of the user tables (`kind` table) or indexes: `lo`, `hi` and `n` per page of at most
    /// `$1` relations, by oid.
    static func pages(_ kind: RelationKind) -> String {
        let relations: String
        switch kind {
        case .table:
            relations = """
                SELECT c.oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE c.relkind IN ('r', 't', 'm', 'p')
                  AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_toast'
                """
        case .index:
            relations = """
                SELECT x.indexrelid AS oid FROM pg_index x JOIN pg_class c ON c.oid = x.indrelid
                  JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE c.relkind IN ('r', 't', 'm')
                  AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_toast'
                """
        }
        return """
            SELECT min(oid)::int8 AS lo, max(oid)::int8 AS hi, count(*)::int8 AS n
            FROM (SELECT oid, (row_number() OVER (ORDER BY oid) - 1) / $1 AS page FROM (\(relations)) r) p
            GROUP BY page ORDER BY page
            """
    }

    private static func array(_ columns: [String], of alias: (String) -> String) -> String {
        "ARRAY[" + columns.map { "coalesce(\(alias($0)).\($0)::float8, 'NaN')" }.joined(separator: ", ") + "]::float8[]"
    }

    /// One page of tables, `$1 <= relid <= $2`, with their sizes estimated from `relpages`.
    static func tablePage(major: Int) -> String {
        let counters = array(tableCounters(major: major)) { ioCounters.contains($0) ? "io" : "s" }
        return """
            SELECT s.relid::int8 AS relid, s.schemaname::text AS schemaname, s.relname::text AS relname,
                   \(counters) AS counters,
                   s.n_live_tup::int8 AS n_live_tup, s.n_dead_tup::int8 AS n_dead_tup,
                   s.n_mod_since_analyze::int8 AS n_mod_since_analyze, s.n_ins_since_vacuum::int8 AS n_ins_since_vacuum,
                   extract(epoch FROM s.last_vacuum)::float8 AS last_vacuum,
                   extract(epoch FROM s.last_autovacuum)::float8 AS last_autovacuum,
                   extract(epoch FROM s.last_analyze)::float8 AS last_analyze,
                   extract(epoch FROM s.last_autoanalyze)::float8 AS last_autoanalyze,
                   CASE WHEN c.relfrozenxid::text <> '0' THEN age(c.relfrozenxid)::int8 END AS frozen_xid_age,
                   CASE WHEN c.relminmxid::text <> '0' THEN mxid_age(c.relminmxid)::int8 END AS min_mxid_age,
                   ((c.relpages::int8
                     + coalesce((SELECT sum(i.relpages) FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
                                 WHERE x.indrelid = c.oid), 0)
                     + coalesce((SELECT t.relpages FROM pg_class t WHERE t.oid = c.reltoastrelid), 0))
                    * current_setting('block_size')::int8)::int8 AS estimated_bytes
            FROM pg_stat_user_tables s
            JOIN pg_statio_user_tables io ON io.relid = s.relid
            JOIN pg_class c ON c.oid = s.relid
            WHERE s.relid BETWEEN $1::int8::oid AND $2::int8::oid
            """
    }

    /// The sizes of the tables `$1` (an `int8[]` of oids), unless `$2` is false (the retry after a lock
    /// timeout) or a session holds or awaits an `AccessExclusiveLock` on the table, its TOAST table or one
    /// of its indexes.
    static let tableSizes = """
        WITH \(locked)
        SELECT c.oid::int8 AS relid, b.blocked,
               CASE WHEN NOT b.blocked THEN pg_relation_size(c.oid) + pg_relation_size(c.oid, 'fsm')
                    + pg_relation_size(c.oid, 'vm') END::int8 AS table_bytes,
               CASE WHEN NOT b.blocked THEN pg_indexes_size(c.oid) END::int8 AS indexes_bytes,
               CASE WHEN NOT b.blocked AND c.reltoastrelid <> 0 THEN pg_total_relation_size(c.reltoastrelid) END::int8
                 AS toast_bytes
        FROM pg_class c
        CROSS JOIN LATERAL (SELECT NOT $2::bool
              OR EXISTS (SELECT 1 FROM locked k WHERE k.relation IN (c.oid, c.reltoastrelid))
              OR EXISTS (SELECT 1 FROM pg_index i JOIN locked k ON k.relation = i.indexrelid WHERE i.indrelid = c.oid)
              AS blocked) b
        WHERE c.oid = ANY ($1::int8[]::oid[])
        """

    /// One page of indexes, `$1 <= indexrelid <= $2`, their sizes estimated from `relpages`.
    static let indexPage = """
        WITH \(locked)
        SELECT s.indexrelid::int8 AS indexrelid, s.schemaname::text AS schemaname, s.relname::text AS relname,
               s.indexrelname::text AS indexrelname,
               \(array(indexCounters) { ["idx_blks_read", "idx_blks_hit"].contains($0) ? "io" : "s" }) AS counters,
               ((SELECT i.relpages FROM pg_class i WHERE i.oid = x.indexrelid)::int8
                * current_setting('block_size')::int8)::int8 AS estimated_bytes,
               NOT x.indisvalid AS invalid,
               (x.indisunique OR x.indisprimary OR EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = x.indexrelid))
                 AS enforces,
               -- The other index this one duplicates: the same columns, operator classes, collations, options,
               -- expressions and predicate. An index that backs a constraint is never the duplicate; of two
               -- plain ones, the younger is. pg_get_expr() opens the table, so a locked one is not compared.
               CASE WHEN NOT (x.indisunique OR x.indisprimary
                              OR EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = x.indexrelid))
                         AND NOT EXISTS (SELECT 1 FROM locked k WHERE k.relation IN (x.indexrelid, x.indrelid))
               THEN (SELECT d.indexrelid::regclass::text FROM pg_index d
                     WHERE d.indrelid = x.indrelid AND d.indexrelid <> x.indexrelid
                       AND d.indkey::text = x.indkey::text AND d.indclass::text = x.indclass::text
                       AND d.indcollation::text = x.indcollation::text AND d.indoption::text = x.indoption::text
                       AND (d.indisunique OR d.indisprimary OR d.indexrelid < x.indexrelid)
                       AND NOT EXISTS (SELECT 1 FROM locked k WHERE k.relation = d.indexrelid)
                       AND pg_get_expr(d.indexprs, d.indrelid) IS NOT DISTINCT FROM pg_get_expr(x.indexprs, x.indrelid)
                       AND pg_get_expr(d.indpred, d.indrelid) IS NOT DISTINCT FROM pg_get_expr(x.indpred, x.indrelid)
                     ORDER BY d.indisprimary DESC, d.indisunique DESC, d.indexrelid LIMIT 1) END AS duplicate_of
        FROM pg_stat_user_indexes s
        JOIN pg_statio_user_indexes io ON io.indexrelid = s.indexrelid
        JOIN pg_index x ON x.indexrelid = s.indexrelid
        WHERE s.indexrelid BETWEEN $1::int8::oid AND $2::int8::oid
        """

    /// The sizes of the indexes `$1` (an `int8[]` of oids), unless `$2` is false or the index or its table
    /// is under an `AccessExclusiveLock`.
    static let indexSizes = """
        WITH \(locked)
        SELECT x.indexrelid::int8 AS relid,
               CASE WHEN $2::bool AND NOT EXISTS (SELECT 1 FROM locked k WHERE k.relation IN (x.indexrelid, x.indrelid))
                    THEN pg_relation_size(x.indexrelid) END::int8 AS size_bytes
        FROM pg_index x WHERE x.indexrelid = ANY ($1::int8[]::oid[])
        """

    /// Sequences past 75 % of their range (at most 100, fullest first) and how many the role cannot read.
    /// `pg_sequence_last_value()` takes `RowExclusiveLock` on each sequence until the statement's
    /// transaction ends, so a sequence whose lock is held or awaited in a conflicting mode (an `ALTER
    /// SEQUENCE`, a `DROP`) is skipped, and at most 1,000 readable sequences (by oid) are read per visit, to
    /// stay far below the shared lock table (`max_locks_per_transaction` × connections).
    static let sequences = """
        WITH sequence_locks AS (
          SELECT DISTINCT l.relation FROM pg_locks l
          WHERE l.locktype = 'relation'
            AND l.mode IN ('ShareLock', 'ShareRowExclusiveLock', 'ExclusiveLock', 'AccessExclusiveLock')
            AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())),
        readable AS (
          SELECT c.oid FROM pg_sequence q JOIN pg_class c ON c.oid = q.seqrelid JOIN pg_namespace n ON n.oid = c.relnamespace
          -- has_sequence_privilege() raises an error on anything but a sequence, and the planner may test a
          -- WHERE clause on pg_class rows before the join leaves only sequences: hence the CASE.
          WHERE NOT pg_is_other_temp_schema(n.oid)
            AND CASE WHEN c.relkind = 'S' THEN has_sequence_privilege(c.oid, 'SELECT,USAGE') ELSE false END
            AND NOT EXISTS (SELECT 1 FROM sequence_locks k WHERE k.relation = c.oid)
          ORDER BY c.oid LIMIT 1000),
        seqs AS (
          SELECT n.nspname::text AS schemaname, c.relname::text AS sequencename, q.seqmin, q.seqmax, q.seqincrement,
                 has_sequence_privilege(c.oid, 'SELECT,USAGE') AS readable,
                 CASE WHEN c.oid IN (SELECT oid FROM readable)
                      THEN pg_sequence_last_value(c.oid::regclass) END AS last_value
          FROM pg_sequence q JOIN pg_class c ON c.oid = q.seqrelid JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE NOT pg_is_other_temp_schema(n.oid)),
        used AS (
          SELECT *, CASE WHEN seqmax = seqmin THEN 100
                         WHEN seqincrement > 0 THEN (last_value::numeric - seqmin) * 100 / (seqmax::numeric - seqmin)
                         ELSE (seqmax::numeric - last_value) * 100 / (seqmax::numeric - seqmin) END::float8 AS used_percent
          FROM seqs WHERE last_value IS NOT NULL)
        SELECT json_build_object(
          'hidden', (SELECT count(*) FROM seqs WHERE NOT readable),
          'rows', (SELECT json_agg(json_build_object('schemaname', schemaname, 'sequencename', sequencename,
                       'last_value', last_value, 'max_value', CASE WHEN seqincrement > 0 THEN seqmax ELSE seqmin END,
                       'used_percent', used_percent) ORDER BY used_percent DESC)
                   FROM (SELECT * FROM used WHERE used_percent >= 75 ORDER BY used_percent DESC LIMIT 100) u)
        )::text AS doc
        """

    /// `pgstattuple_approx` of one table (`$1`), in the extension's schema.
    static func bloat(schema: String) -> String {
        let quoted = "\"" + schema.replacingOccurrences(of: "\"", with: "\"\"") + "\""
        return """
            SELECT table_len::int8 AS table_len, approx_free_space::int8 AS free_space,
                   approx_free_percent::float8 AS free_percent, dead_tuple_percent::float8 AS dead_tuple_percent
            FROM \(quoted).pgstattuple_approx($1::int8::oid::regclass)
            """
    }
}
