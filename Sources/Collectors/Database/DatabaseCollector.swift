package import AgentSchema
import Foundation
package import Logging
package import PostgresNIO
import Synchronization

/// `database`: `pg_stat_database` deltas, sizes now and then, checkpointer/bgwriter/WAL counters,
/// replication and slots, transaction and xmin ages, wraparound age and running vacuums.
///
/// All of it in one round trip: the server builds a single JSON document. Views whose columns differ
/// between majors (PG 17 split `pg_stat_checkpointer` out of `pg_stat_bgwriter`; PG 18 trimmed
/// `pg_stat_wal`) come back as `row_to_json`, so no column list needs to follow every release.
package final class DatabaseCollector: Sendable {
    private struct Previous: Sendable {
        var totals: [String: [String: Double]] = [:]
        var resets: [String: String] = [:]
        var sampleTime: Double?
        var lastSizeTime: Double?
    }

    private let settings: CollectorSettings
    private let previous = Mutex(Previous())

    package init(settings: CollectorSettings) { self.settings = settings }

    package func collect(client: PostgresClient, server: ServerInfoCollector.Result,
                         logger: Logger) async throws -> DatabaseStats {
        let now = server.info.now
        let measureSizes = previous.withLock { p in
            p.lastSizeTime.map { now - $0 >= settings.databaseSizeIntervalSeconds } ?? true
        }
        let checkpointerPart = server.info.major >= 17
            ? "'checkpointer', (SELECT row_to_json(c) FROM pg_stat_checkpointer c),"
            : ""
        let sql = """
            SELECT json_build_object(
              'now', extract(epoch FROM clock_timestamp()),
              'databases', (SELECT json_agg(json_build_object(
                  'datname', d.datname, 'numbackends', d.numbackends,
                  'xact_commit', d.xact_commit, 'xact_rollback', d.xact_rollback,
                  'blks_read', d.blks_read, 'blks_hit', d.blks_hit,
                  'tup_returned', d.tup_returned, 'tup_fetched', d.tup_fetched,
                  'tup_inserted', d.tup_inserted, 'tup_updated', d.tup_updated, 'tup_deleted', d.tup_deleted,
                  'conflicts', d.conflicts, 'temp_files', d.temp_files, 'temp_bytes', d.temp_bytes,
                  'deadlocks', d.deadlocks, 'blk_read_time', d.blk_read_time, 'blk_write_time', d.blk_write_time,
                  'stats_reset', d.stats_reset,
                  'frozen_xid_age', age(db.datfrozenxid), 'mxid_age', mxid_age(db.datminmxid),
                  'size', CASE WHEN $1 AND has_database_privilege(db.oid, 'CONNECT')
                               THEN pg_database_size(db.oid) END))
                FROM pg_stat_database d JOIN pg_database db ON db.oid = d.datid
                WHERE db.datallowconn),
              'bgwriter', (SELECT row_to_json(b) FROM pg_stat_bgwriter b),
              \(checkpointerPart)
              'wal', (SELECT row_to_json(w) FROM pg_stat_wal w),
              'replication', (SELECT json_agg(json_build_object(
                  'pid', r.pid, 'application_name', r.application_name, 'client_addr', r.client_addr::text,
                  'state', r.state, 'sync_state', r.sync_state,
                  'replay_lag_bytes', CASE WHEN pg_is_in_recovery() THEN NULL
                                           ELSE pg_wal_lsn_diff(pg_current_wal_lsn(), r.replay_lsn) END,
                  'write_lag', extract(epoch FROM r.write_lag), 'flush_lag', extract(epoch FROM r.flush_lag),
                  'replay_lag', extract(epoch FROM r.replay_lag)))
                FROM pg_stat_replication r),
              'slots', (SELECT json_agg(json_build_object(
                  'slot_name', s.slot_name, 'slot_type', s.slot_type, 'active', s.active,
                  'retained', pg_wal_lsn_diff(CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn()
                                                   ELSE pg_current_wal_lsn() END, s.restart_lsn),
                  'wal_status', s.wal_status, 'xmin_age', age(s.xmin), 'catalog_xmin_age', age(s.catalog_xmin)))
                FROM pg_replication_slots s),
              'oldest_xact', (SELECT extract(epoch FROM max(clock_timestamp() - xact_start))
                              FROM pg_stat_activity
                              WHERE backend_type = 'client backend' AND xact_start IS NOT NULL),
              'oldest_xmin', (SELECT max(age(backend_xmin)) FROM pg_stat_activity),
              'prepared', (SELECT count(*) FROM pg_prepared_xacts),
              'oldest_prepared', (SELECT extract(epoch FROM clock_timestamp() - min(prepared)) FROM pg_prepared_xacts),
              'vacuums', (SELECT json_agg(json_build_object(
                  'pid', p.pid, 'datname', p.datname, 'phase', p.phase,
                  'relation', CASE WHEN p.datname = current_database() THEN p.relid::regclass::text
                                   ELSE p.relid::text END,
                  'heap_blks_total', p.heap_blks_total, 'heap_blks_scanned', p.heap_blks_scanned,
                  'heap_blks_vacuumed', p.heap_blks_vacuumed,
                  'autovacuum', a.backend_type = 'autovacuum worker',
                  'running', extract(epoch FROM clock_timestamp() - a.xact_start)))
                FROM pg_stat_progress_vacuum p LEFT JOIN pg_stat_activity a USING (pid))
            )::text AS doc
            """
        var binds = PostgresBindings(capacity: 1)
        binds.append(measureSizes)
        let rows = try await client.rows(PostgresQuery(unsafeSQL: sql, binds: binds), logger: logger)
        guard let text = try rows.first?.value("doc", as: String.self),
              let doc = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else {
            throw CollectorError(code: .decoding, message: "database statistics did not decode")
        }
        return build(doc, measuredSizes: measureSizes)
    }

    private func build(_ doc: [String: Any], measuredSizes: Bool) -> DatabaseStats {
        var stats = DatabaseStats()
        let sampleTime = Self.number(doc["now"])
        var totals: [String: [String: Double]] = [:]
        var resets: [String: String] = [:]

        var databaseRows: [(String, Int, Int64?, Int64?, [String: Double])] = []
        for db in doc["databases"] as? [[String: Any]] ?? [] {
            guard let name = db["datname"] as? String else { continue }
            var counters: [String: Double] = [:]
            for key in ["xact_commit", "xact_rollback", "blks_read", "blks_hit", "tup_returned", "tup_fetched",
                        "tup_inserted", "tup_updated", "tup_deleted", "conflicts", "temp_files", "temp_bytes",
                        "deadlocks", "blk_read_time", "blk_write_time"] {
                if let value = Self.number(db[key]) { counters[key] = value }
            }
            totals["db:" + name] = counters
            resets["db:" + name] = db["stats_reset"] as? String ?? ""
            databaseRows.append((name, Int(Self.number(db["numbackends"]) ?? 0),
                                 Self.number(db["size"]).map { Int64($0) },
                                 Self.number(db["frozen_xid_age"]).map { Int64($0) }, counters))
            if let age = Self.number(db["frozen_xid_age"]).map({ Int64($0) }) {
                stats.maxFrozenXidAge = max(stats.maxFrozenXidAge ?? 0, age)
            }
            if let age = Self.number(db["mxid_age"]).map({ Int64($0) }) {
                stats.maxMultiXactAge = max(stats.maxMultiXactAge ?? 0, age)
            }
        }

        // PG ≤ 16 keeps checkpoint counters in pg_stat_bgwriter; we split them so both majors look alike.
        var bgwriter = Self.numbers(doc["bgwriter"] as? [String: Any])
        var checkpointer = Self.numbers(doc["checkpointer"] as? [String: Any])
        if doc["checkpointer"] == nil || doc["checkpointer"] is NSNull {
            let keys = bgwriter.keys.filter { $0.hasPrefix("checkpoint") || $0 == "buffers_checkpoint" }
            checkpointer = Dictionary(uniqueKeysWithValues: keys.map { ($0, bgwriter[$0]!) })
            for key in keys { bgwriter.removeValue(forKey: key) }
            resets["checkpointer"] = (doc["bgwriter"] as? [String: Any])?["stats_reset"] as? String ?? ""
        } else {
            resets["checkpointer"] = (doc["checkpointer"] as? [String: Any])?["stats_reset"] as? String ?? ""
        }
        resets["bgwriter"] = (doc["bgwriter"] as? [String: Any])?["stats_reset"] as? String ?? ""
        resets["wal"] = (doc["wal"] as? [String: Any])?["stats_reset"] as? String ?? ""
        totals["bgwriter"] = bgwriter
        totals["checkpointer"] = checkpointer
        if doc["wal"] is [String: Any] { totals["wal"] = Self.numbers(doc["wal"] as? [String: Any]) }

        let earlier = previous.withLock { p -> Previous in
            let old = p
            p.totals = totals
            p.resets = resets
            p.sampleTime = sampleTime
            if measuredSizes { p.lastSizeTime = sampleTime }
            return old
        }
        func set(_ name: String) -> CounterSet? {
            guard let current = totals[name] else { return nil }
            return CounterSet(totals: current, deltas: CounterDeltas.compute(
                previous: earlier.totals[name], current: current,
                previousReset: earlier.resets[name], currentReset: resets[name]))
        }
        if let then = earlier.sampleTime, let now = sampleTime { stats.intervalSeconds = now - then }
        stats.databases = databaseRows.map { name, backends, size, frozen, _ in
            var row = DatabaseRow(datname: name, numbackends: backends, counters: set("db:" + name)!)
            row.sizeBytes = size
            row.frozenXidAge = frozen
            return row
        }.sorted { $0.datname < $1.datname }
        stats.bgwriter = set("bgwriter")
        stats.checkpointer = set("checkpointer")
        stats.wal = set("wal")

        for r in doc["replication"] as? [[String: Any]] ?? [] {
            var row = ReplicationRow(pid: Int(Self.number(r["pid"]) ?? 0))
            row.applicationName = r["application_name"] as? String
            row.clientAddr = r["client_addr"] as? String
            row.state = r["state"] as? String
            row.syncState = r["sync_state"] as? String
            row.replayLagBytes = Self.number(r["replay_lag_bytes"])
            row.writeLagSeconds = Self.number(r["write_lag"])
            row.flushLagSeconds = Self.number(r["flush_lag"])
            row.replayLagSeconds = Self.number(r["replay_lag"])
            stats.replication.append(row)
        }
        for s in doc["slots"] as? [[String: Any]] ?? [] {
            var row = ReplicationSlotRow(slotName: s["slot_name"] as? String ?? "", active: s["active"] as? Bool ?? false)
            row.slotType = s["slot_type"] as? String
            row.retainedBytes = Self.number(s["retained"])
            row.walStatus = s["wal_status"] as? String
            row.xminAge = Self.number(s["xmin_age"]).map { Int64($0) }
            row.catalogXminAge = Self.number(s["catalog_xmin_age"]).map { Int64($0) }
            stats.replicationSlots.append(row)
        }
        stats.oldestXactAgeSeconds = Self.number(doc["oldest_xact"])
        stats.oldestXminAge = Self.number(doc["oldest_xmin"]).map { Int64($0) }
        stats.preparedXacts = Self.number(doc["prepared"]).map { Int($0) }
        stats.oldestPreparedXactAgeSeconds = Self.number(doc["oldest_prepared"])
        for v in doc["vacuums"] as? [[String: Any]] ?? [] {
            var row = VacuumProgressRow(pid: Int(Self.number(v["pid"]) ?? 0))
            row.datname = v["datname"] as? String
            row.relation = v["relation"] as? String
            row.phase = v["phase"] as? String
            row.heapBlksTotal = Self.number(v["heap_blks_total"]).map { Int64($0) }
            row.heapBlksScanned = Self.number(v["heap_blks_scanned"]).map { Int64($0) }
            row.heapBlksVacuumed = Self.number(v["heap_blks_vacuumed"]).map { Int64($0) }
            if let total = row.heapBlksTotal, total > 0, let scanned = row.heapBlksScanned {
                row.progressPercent = Double(scanned) / Double(total) * 100
            }
            row.autovacuum = v["autovacuum"] as? Bool
            row.runningSeconds = Self.number(v["running"])
            stats.vacuums.append(row)
        }
        return stats
    }

    private static func number(_ value: Any?) -> Double? {
        guard let value, !(value is NSNull), !(value is String) else { return nil }
        if let number = value as? NSNumber { return number.doubleValue }
        if let number = value as? Double { return number }
        if let number = value as? Int { return Double(number) }
        return nil
    }

    private static func numbers(_ object: [String: Any]?) -> [String: Double] {
        var result: [String: Double] = [:]
        for (key, value) in object ?? [:] {
            if let n = number(value) { result[key] = n }
        }
        return result
    }
}
