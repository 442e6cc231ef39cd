package import AgentSchema
import Foundation
package import Logging
package import PostgresNIO
import Synchronization

/// `database`: `pg_stat_database` deltas, sizes now and then, checkpointer/bgwriter/WAL counters,
/// `pg_stat_io` (PG 16+), the archiver, the WAL receiver of a standby, replication, slots and their
/// statistics, subscriptions, transaction and xmin ages, wraparound age and running vacuums.
///
/// All of it in one round trip: the server builds a single JSON document. Views whose columns differ
/// between majors (PG 17 split `pg_stat_checkpointer` out of `pg_stat_bgwriter`; PG 18 trimmed
/// `pg_stat_wal`, put bytes in `pg_stat_io` and conflict counts in `pg_stat_subscription_stats`) come
/// back as `row_to_json`, so no column list needs to follow every release.
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
        // pg_stat_io came with PG 16 (PG 18 replaced op_bytes with read_bytes, write_bytes, extend_bytes).
        let ioPart = server.info.major >= 16
            ? "'io', (SELECT coalesce(json_agg(row_to_json(i)), '[]') FROM pg_stat_io i),"
            : ""
        // pg_stat_subscription_stats came with PG 15 (PG 18 added the confl_* columns).
        let subscriptionStatsPart = server.info.major >= 15
            ? "(SELECT row_to_json(ss) FROM pg_stat_subscription_stats ss WHERE ss.subid = st.subid)"
            : "NULL::json"
        let sql = """
            SELECT json_build_object(
              'now', extract(epoch FROM clock_timestamp()),
              'databases', (SELECT json_agg(json_build_object(
                  'datname', d.datname, 'datid', d.datid::int8, 'numbackends', d.numbackends,
                  'xact_commit', d.xact_commit, 'xact_rollback', d.xact_rollback,
                  'blks_read', d.blks_read, 'blks_hit', d.blks_hit,
                  'tup_returned', d.tup_returned, 'tup_fetched', d.tup_fetched,
                  'tup_inserted', d.tup_inserted, 'tup_updated', d.tup_updated, 'tup_deleted', d.tup_deleted,
                  'conflicts', d.conflicts, 'temp_files', d.temp_files, 'temp_bytes', d.temp_bytes,
                  'deadlocks', d.deadlocks, 'blk_read_time', d.blk_read_time, 'blk_write_time', d.blk_write_time,
                  'session_time', d.session_time, 'active_time', d.active_time,
                  'idle_in_transaction_time', d.idle_in_transaction_time, 'sessions', d.sessions,
                  'sessions_abandoned', d.sessions_abandoned, 'sessions_fatal', d.sessions_fatal,
                  'sessions_killed', d.sessions_killed, 'checksum_failures', d.checksum_failures,
                  'confl_tablespace', c.confl_tablespace, 'confl_lock', c.confl_lock, 'confl_snapshot', c.confl_snapshot,
                  'confl_bufferpin', c.confl_bufferpin, 'confl_deadlock', c.confl_deadlock,
                  'stats_reset', d.stats_reset,
                  'frozen_xid_age', age(db.datfrozenxid), 'mxid_age', mxid_age(db.datminmxid),
                  'size', CASE WHEN $1 AND has_database_privilege(db.oid, 'CONNECT')
                               THEN pg_database_size(db.oid) END))
                FROM pg_stat_database d JOIN pg_database db ON db.oid = d.datid
                LEFT JOIN pg_stat_database_conflicts c ON c.datid = d.datid
                WHERE db.datallowconn),
              'bgwriter', (SELECT row_to_json(b) FROM pg_stat_bgwriter b),
              \(checkpointerPart)
              'wal', (SELECT row_to_json(w) FROM pg_stat_wal w),
              \(ioPart)
              'archiver', (SELECT json_build_object(
                  'archived_count', a.archived_count, 'failed_count', a.failed_count,
                  'last_archived_wal', a.last_archived_wal,
                  'last_archived_time', extract(epoch FROM a.last_archived_time),
                  'last_failed_wal', a.last_failed_wal, 'last_failed_time', extract(epoch FROM a.last_failed_time),
                  'stats_reset', a.stats_reset)
                FROM pg_stat_archiver a),
              'wal_receiver', (SELECT json_build_object(
                  'status', r.status, 'sender_host', r.sender_host, 'sender_port', r.sender_port,
                  'slot_name', r.slot_name,
                  'replay_lag_bytes', greatest(pg_wal_lsn_diff(r.flushed_lsn, pg_last_wal_replay_lsn()), 0),
                  'last_msg_receipt_age', extract(epoch FROM clock_timestamp() - r.last_msg_receipt_time),
                  'latest_end_age', extract(epoch FROM clock_timestamp() - r.latest_end_time))
                FROM pg_stat_wal_receiver r LIMIT 1),
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
                  'wal_status', s.wal_status, 'xmin_age', age(s.xmin), 'catalog_xmin_age', age(s.catalog_xmin),
                  'stats', CASE WHEN rs.slot_name IS NOT NULL THEN row_to_json(rs) END))
                FROM pg_replication_slots s LEFT JOIN pg_stat_replication_slots rs ON rs.slot_name = s.slot_name),
              'subscriptions', (SELECT json_agg(json_build_object(
                  'subid', st.subid, 'subname', st.subname, 'workers', st.workers,
                  'datname', (SELECT d.datname FROM pg_subscription su JOIN pg_database d ON d.oid = su.subdbid
                              WHERE su.oid = st.subid),
                  'received_lsn', st.received_lsn::text,
                  'last_msg_receipt_age', extract(epoch FROM clock_timestamp() - st.last_msg_receipt_time),
                  'stats', \(subscriptionStatsPart)))
                FROM (SELECT subid, subname, count(pid) AS workers,
                             max(received_lsn) FILTER (WHERE relid IS NULL) AS received_lsn,
                             max(last_msg_receipt_time) AS last_msg_receipt_time
                      FROM pg_stat_subscription GROUP BY subid, subname) st),
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
        // Our own reader, not JSONSerialization: its NSNumber values and the casts out of `Any` cost
        // 8 M instructions a cycle, a fifth of the whole cycle (callgrind; BENCHMARKS.md, footprint).
        guard let text = try rows.first?.value("doc", as: String.self),
              let doc = JSONBytesReader.value(of: text)?.objectValue else {
            throw CollectorError(code: .decoding, message: "database statistics did not decode")
        }
        return build(doc, measuredSizes: measureSizes)
    }

    private func build(_ doc: JSONObject, measuredSizes: Bool) -> DatabaseStats {
        var stats = DatabaseStats()
        let sampleTime = Self.number(doc["now"])
        var totals: [String: [String: Double]] = [:]
        var resets: [String: String] = [:]

        var databaseRows: [(String, Int, Int64?, Int64?, Int64?)] = []
        for db in Self.objects(doc["databases"]) {
            guard let name = db["datname"]?.stringValue else { continue }
            var counters: [String: Double] = [:]
            for key in ["xact_commit", "xact_rollback", "blks_read", "blks_hit", "tup_returned", "tup_fetched",
                        "tup_inserted", "tup_updated", "tup_deleted", "conflicts", "temp_files", "temp_bytes",
                        "deadlocks", "blk_read_time", "blk_write_time",
                        // PG 14's session statistics, checksum failures, and pg_stat_database_conflicts.
                        "session_time", "active_time", "idle_in_transaction_time", "sessions", "sessions_abandoned",
                        "sessions_fatal", "sessions_killed", "checksum_failures",
                        "confl_tablespace", "confl_lock", "confl_snapshot", "confl_bufferpin", "confl_deadlock"] {
                if let value = Self.number(db[key]) { counters[key] = value }
            }
            totals["db:" + name] = counters
            resets["db:" + name] = db["stats_reset"]?.stringValue ?? ""
            databaseRows.append((name, Int(Self.number(db["numbackends"]) ?? 0),
                                 Self.number(db["size"]).map { Int64($0) },
                                 Self.number(db["frozen_xid_age"]).map { Int64($0) },
                                 Self.number(db["datid"]).map { Int64($0) }))
            if let age = Self.number(db["frozen_xid_age"]).map({ Int64($0) }) {
                stats.maxFrozenXidAge = max(stats.maxFrozenXidAge ?? 0, age)
            }
            if let age = Self.number(db["mxid_age"]).map({ Int64($0) }) {
                stats.maxMultiXactAge = max(stats.maxMultiXactAge ?? 0, age)
            }
        }

        // PG ≤ 16 keeps checkpoint counters in pg_stat_bgwriter; we split them so both majors look alike.
        var bgwriter = Self.numbers(doc["bgwriter"]?.objectValue)
        var checkpointer = Self.numbers(doc["checkpointer"]?.objectValue)
        if doc["checkpointer"]?.objectValue == nil {
            let keys = bgwriter.keys.filter { $0.hasPrefix("checkpoint") || $0 == "buffers_checkpoint" }
            checkpointer = Dictionary(uniqueKeysWithValues: keys.map { ($0, bgwriter[$0]!) })
            for key in keys { bgwriter.removeValue(forKey: key) }
            resets["checkpointer"] = doc["bgwriter"]?.objectValue?["stats_reset"]?.stringValue ?? ""
        } else {
            resets["checkpointer"] = doc["checkpointer"]?.objectValue?["stats_reset"]?.stringValue ?? ""
        }
        resets["bgwriter"] = doc["bgwriter"]?.objectValue?["stats_reset"]?.stringValue ?? ""
        resets["wal"] = doc["wal"]?.objectValue?["stats_reset"]?.stringValue ?? ""
        totals["bgwriter"] = bgwriter
        totals["checkpointer"] = checkpointer
        if doc["wal"]?.objectValue != nil { totals["wal"] = Self.numbers(doc["wal"]?.objectValue) }

        // pg_stat_io (PG 16+): one counter set per (backend_type, object, context), each row with its own
        // stats_reset. op_bytes (PG 16, 17) is the block size, not a counter.
        var ioRows: [(key: String, backendType: String, object: String, context: String)] = []
        let ioDocument = doc["io"]?.arrayValue.map(Self.objectsOf)
        for row in ioDocument ?? [] {
            guard let backendType = row["backend_type"]?.stringValue, let object = row["object"]?.stringValue,
                  let context = row["context"]?.stringValue else { continue }
            let key = "io:" + backendType + "|" + object + "|" + context
            var counters = Self.numbers(row)
            counters.removeValue(forKey: "op_bytes")
            totals[key] = counters
            resets[key] = row["stats_reset"]?.stringValue ?? ""
            ioRows.append((key: key, backendType: backendType, object: object, context: context))
        }
        let archiverDocument = doc["archiver"]?.objectValue
        if let archiverDocument {
            var counters: [String: Double] = [:]
            for key in ["archived_count", "failed_count"] {
                if let value = Self.number(archiverDocument[key]) { counters[key] = value }
            }
            totals["archiver"] = counters
            resets["archiver"] = archiverDocument["stats_reset"]?.stringValue ?? ""
        }
        // pg_stat_replication_slots (logical slots only): slot_name and stats_reset are text, not counters.
        let slotDocuments = Self.objects(doc["slots"])
        for s in slotDocuments {
            guard let name = s["slot_name"]?.stringValue, let slotStats = s["stats"]?.objectValue else { continue }
            totals["slot:" + name] = Self.numbers(slotStats)
            resets["slot:" + name] = slotStats["stats_reset"]?.stringValue ?? ""
        }
        // pg_stat_subscription_stats (PG 15+), keyed by subid: a name is unique within its database only.
        let subscriptionDocuments = Self.objects(doc["subscriptions"])
        for sub in subscriptionDocuments {
            guard let subStats = sub["stats"]?.objectValue else { continue }
            var counters = Self.numbers(subStats)
            counters.removeValue(forKey: "subid")
            let key = "sub:" + Self.subscriptionKey(sub)
            totals[key] = counters
            resets[key] = subStats["stats_reset"]?.stringValue ?? ""
        }

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
        stats.databases = databaseRows.map { name, backends, size, frozen, datid in
            var row = DatabaseRow(datname: name, numbackends: backends, counters: set("db:" + name)!)
            row.datid = datid
            row.sizeBytes = size
            row.frozenXidAge = frozen
            return row
        }.sorted { $0.datname < $1.datname }
        stats.bgwriter = set("bgwriter")
        stats.checkpointer = set("checkpointer")
        stats.wal = set("wal")
        if ioDocument != nil {
            stats.io = ioRows.compactMap { row -> IOStatsRow? in
                // Rows that never counted anything are most of the view: their state is kept, their bytes not sent.
                guard let counters = set(row.key), counters.totals.values.contains(where: { $0 != 0 }) else {
                    return nil
                }
                return IOStatsRow(backendType: row.backendType, object: row.object, context: row.context,
                                  counters: counters)
            }.sorted { ($0.backendType, $0.object, $0.context) < ($1.backendType, $1.object, $1.context) }
        }
        if let archiverDocument, let counters = set("archiver") {
            var archiver = ArchiverStats(counters: counters)
            archiver.lastArchivedWal = archiverDocument["last_archived_wal"]?.stringValue
            archiver.lastArchivedTime = Self.number(archiverDocument["last_archived_time"])
            archiver.lastFailedWal = archiverDocument["last_failed_wal"]?.stringValue
            archiver.lastFailedTime = Self.number(archiverDocument["last_failed_time"])
            stats.archiver = archiver
        }
        if let r = doc["wal_receiver"]?.objectValue {
            var receiver = WALReceiverStats()
            receiver.status = r["status"]?.stringValue
            receiver.senderHost = r["sender_host"]?.stringValue
            receiver.senderPort = Self.number(r["sender_port"]).map { Int($0) }
            receiver.slotName = r["slot_name"]?.stringValue
            receiver.replayLagBytes = Self.number(r["replay_lag_bytes"])
            receiver.lastMsgReceiptAgeSeconds = Self.number(r["last_msg_receipt_age"])
            receiver.latestEndAgeSeconds = Self.number(r["latest_end_age"])
            stats.walReceiver = receiver
        }
        for sub in subscriptionDocuments {
            guard let name = sub["subname"]?.stringValue else { continue }
            var row = SubscriptionRow(subname: name, workers: Int(Self.number(sub["workers"]) ?? 0))
            row.datname = sub["datname"]?.stringValue
            row.receivedLsn = sub["received_lsn"]?.stringValue
            row.lastMsgReceiptAgeSeconds = Self.number(sub["last_msg_receipt_age"])
            row.counters = set("sub:" + Self.subscriptionKey(sub))
            stats.subscriptions.append(row)
        }
        stats.subscriptions.sort { ($0.datname ?? "", $0.subname) < ($1.datname ?? "", $1.subname) }

        for r in Self.objects(doc["replication"]) {
            var row = ReplicationRow(pid: Int(Self.number(r["pid"]) ?? 0))
            row.applicationName = r["application_name"]?.stringValue
            row.clientAddr = r["client_addr"]?.stringValue
            row.state = r["state"]?.stringValue
            row.syncState = r["sync_state"]?.stringValue
            row.replayLagBytes = Self.number(r["replay_lag_bytes"])
            row.writeLagSeconds = Self.number(r["write_lag"])
            row.flushLagSeconds = Self.number(r["flush_lag"])
            row.replayLagSeconds = Self.number(r["replay_lag"])
            stats.replication.append(row)
        }
        for s in slotDocuments {
            var row = ReplicationSlotRow(slotName: s["slot_name"]?.stringValue ?? "", active: s["active"]?.boolValue ?? false)
            row.slotType = s["slot_type"]?.stringValue
            row.retainedBytes = Self.number(s["retained"])
            row.walStatus = s["wal_status"]?.stringValue
            row.xminAge = Self.number(s["xmin_age"]).map { Int64($0) }
            row.catalogXminAge = Self.number(s["catalog_xmin_age"]).map { Int64($0) }
            if s["stats"]?.objectValue != nil { row.stats = set("slot:" + row.slotName) }
            stats.replicationSlots.append(row)
        }
        stats.oldestXactAgeSeconds = Self.number(doc["oldest_xact"])
        stats.oldestXminAge = Self.number(doc["oldest_xmin"]).map { Int64($0) }
        stats.preparedXacts = Self.number(doc["prepared"]).map { Int($0) }
        stats.oldestPreparedXactAgeSeconds = Self.number(doc["oldest_prepared"])
        for v in Self.objects(doc["vacuums"]) {
            var row = VacuumProgressRow(pid: Int(Self.number(v["pid"]) ?? 0))
            row.datname = v["datname"]?.stringValue
            row.relation = v["relation"]?.stringValue
            row.phase = v["phase"]?.stringValue
            row.heapBlksTotal = Self.number(v["heap_blks_total"]).map { Int64($0) }
            row.heapBlksScanned = Self.number(v["heap_blks_scanned"]).map { Int64($0) }
            row.heapBlksVacuumed = Self.number(v["heap_blks_vacuumed"]).map { Int64($0) }
            if let total = row.heapBlksTotal, total > 0, let scanned = row.heapBlksScanned {
                row.progressPercent = Double(scanned) / Double(total) * 100
            }
            row.autovacuum = v["autovacuum"]?.boolValue
            row.runningSeconds = Self.number(v["running"])
            stats.vacuums.append(row)
        }
        return stats
    }

    /// A JSON number as a double; nil for anything else.
    private static func number(_ value: JSONValue?) -> Double? {
        value?.doubleValue
    }

    /// The objects of an array value (other elements left out).
    private static func objects(_ value: JSONValue?) -> [JSONObject] {
        value?.arrayValue.map(objectsOf) ?? []
    }

    private static func objectsOf(_ values: [JSONValue]) -> [JSONObject] {
        values.compactMap(\.objectValue)
    }

    /// The state key of a subscription: its oid (text in JSON), or its name when the oid is missing.
    private static func subscriptionKey(_ sub: JSONObject) -> String {
        if let oid = sub["subid"]?.stringValue { return oid }
        if let oid = number(sub["subid"]) { return String(Int64(oid)) }
        return "name:" + (sub["subname"]?.stringValue ?? "")
    }

    private static func numbers(_ object: JSONObject?) -> [String: Double] {
        var result: [String: Double] = [:]
        for (key, value) in object ?? JSONObject() {
            if let n = value.doubleValue { result[key] = n }
        }
        return result
    }
}
