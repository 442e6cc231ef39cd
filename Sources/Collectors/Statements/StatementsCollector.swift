package import AgentSchema
import Foundation
package import Logging
package import PostgresNIO
import Synchronization

/// `pg_statements`: per-interval deltas of `pg_stat_statements`, top N by execution time plus `other`.
///
/// What keeps it cheap on a server with thousands of entries:
/// - counters come from `pg_stat_statements(false)`, which skips reading the query text file;
/// - after the first sample only entries whose `calls`/`plans` moved cross the wire: we send our previous
///   counts and the server filters with a hash join, so an idle entry costs a few bytes upstream and
///   nothing downstream;
/// - query texts are fetched only for top-N ids not yet in our cache.
package final class StatementsCollector: Sendable {
    package struct Result: Sendable {
        package var rows: [StatementRow]
        package var info: StatementsInfo
        /// Problems that did not stop the collector (an `errors` entry each).
        package var warnings: [CollectorErrorEntry]
        /// The delta state after this sample. It is not in force until ``commit(_:)``: the caller commits
        /// it once the payload that carries these deltas is stored, so a payload that is lost does not
        /// take its interval with it (the next deltas then cover both intervals).
        package var state: StatementsState
        /// The statements `/metrics` shows, with the server's cumulative counters (``StatementTotals``);
        /// empty when `/metrics` shows none or this sample was a baseline.
        package var totals: [StatementTotal] = []
    }

    private struct Memory: Sendable {
        var state: StatementsState?
        var texts: [Int64: String] = [:]
        var roleNames: [Int64: String] = [:]
        var databaseNames: [Int64: String] = [:]
        var loadedFromDisk = false
        /// Said once, in the next snapshot: the state could not be read (moved aside, or unusable).
        var setAsideWarning: CollectorErrorEntry?
        /// The state on disk, once opened.
        var store: StatementStateStore?
        /// What the store holds (what the next save is a difference from); nil: unknown, rewrite all.
        var saved: StatementsState?
    }

    private let settings: CollectorSettings
    /// The state in the state directory (SQLite), and the JSON file of earlier versions it replaces.
    private let statePaths: (store: String, directory: String, legacyName: String)?
    private let memory = Mutex(Memory())

    package init(settings: CollectorSettings) {
        self.settings = settings
        self.statePaths = settings.stateDirectory.map {
            ((($0 as NSString).appendingPathComponent("statements-\(settings.instance).sqlite")), $0, "statements-\(settings.instance).json")
        }
    }

    /// True when a previous sample exists (in memory or in the state directory).
    package var hasBaseline: Bool {
        loadStateIfNeeded()
        return memory.withLock { $0.state != nil }
    }

    /// Opens and loads the delta state once (taking over the JSON file of an earlier version). A file
    /// that is damaged is moved aside and said once, in the next snapshot's errors (the interval starts
    /// afresh: no deltas, never wrong ones).
    private func loadStateIfNeeded() {
        let needsLoad = memory.withLock { m -> Bool in
            defer { m.loadedFromDisk = true }
            return !m.loadedFromDisk
        }
        guard needsLoad, let paths = statePaths else { return }
        let now = Date().timeIntervalSince1970
        var store: StatementStateStore?
        var loaded: StatementsState?
        var warning: CollectorErrorEntry?
        func setAside(_ path: String) -> CollectorErrorEntry {
            CollectorErrorEntry(collector: "statements", code: "state_file_corrupt",
                                message: "the delta state file was damaged; moved aside to \(path), deltas start afresh",
                                hint: "nothing to do; keep the moved file if you want to report it")
        }
        do {
            try FileManager.default.createDirectory(atPath: paths.directory, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o750])
            let opened = try StatementStateStore(path: paths.store, now: now)
            store = opened
            warning = opened.setAside.map(setAside)
            loaded = try opened.load()
            let legacy = StateFile<StatementsState>(directory: paths.directory, name: paths.legacyName)
            if loaded == nil, FileManager.default.fileExists(atPath: legacy.path) {
                let old = legacy.loadSettingAside(now: now)
                if let value = old.value {
                    try opened.save(value, previous: nil)
                    loaded = value
                    try? FileManager.default.removeItem(atPath: legacy.path)
                }
                warning = warning ?? old.setAside.map(setAside)
            }
        } catch {
            warning = CollectorErrorEntry(collector: "statements", code: "io", message: "cannot use the delta state: \(error)",
                                          hint: "make state_dir writable by the agent")
        }
        memory.withLock {
            if $0.state == nil { $0.state = loaded }
            $0.store = store
            $0.saved = loaded
            $0.setAsideWarning = warning
        }
    }

    package func collect(client: PostgresClient, server: ServerInfoCollector.Result,
                         logger: Logger) async throws -> Result {
        loadStateIfNeeded()
        var warnings: [CollectorErrorEntry] = []
        if let warning = memory.withLock({ m in defer { m.setAsideWarning = nil }; return m.setAsideWarning }) {
            warnings.append(warning)
        }

        let meta = try await client.rows("""
            SELECT (SELECT extversion FROM pg_extension WHERE extname = 'pg_stat_statements') AS extversion,
                   pg_has_role(current_user, 'pg_read_all_stats', 'USAGE') AS read_all
            """, logger: logger)
        guard let version = try meta.first?.value("extversion", as: String.self) else {
            throw CollectorError(code: .extensionMissing,
                                 message: "pg_stat_statements is not installed in this database",
                                 hint: "CREATE EXTENSION pg_stat_statements; (and add it to shared_preload_libraries)")
        }
        guard let columns = StatementColumns(extensionVersion: version), columns.isSupported else {
            throw CollectorError(code: .extensionMissing, message: "pg_stat_statements \(version) is too old (need 1.8)",
                                 hint: "ALTER EXTENSION pg_stat_statements UPDATE;")
        }
        if try meta.first?.value("read_all", as: Bool.self) != true {
            warnings.append(CollectorErrorEntry(
                collector: "statements", code: "insufficient_privilege",
                message: "other roles' statements are hidden from the monitoring role",
                hint: "GRANT pg_monitor TO <monitoring role>"))
        }

        var statsReset: Double?
        var dealloc: Int64?
        if columns.hasInfoView {
            let info = try await client.rows("""
                SELECT dealloc, extract(epoch FROM stats_reset)::float8 AS stats_reset
                FROM pg_stat_statements_info
                """, logger: logger)
            dealloc = try info.first?.value("dealloc", as: Int64.self)
            statsReset = try info.first?.value("stats_reset", as: Double.self)
        }

        let identity = server.info.systemIdentifier ?? "unknown"
        let previous = memory.withLock { $0.state }
        let full = StatementDeltaTracker.needsFullFetch(
            previous: previous, serverIdentity: identity, startTime: server.info.startTime,
            statsReset: statsReset, dealloc: dealloc)

        let fetched = try await fetchCounters(
            client: client, columns: columns, previous: full ? nil : previous, logger: logger)
        let sample = StatementDeltaTracker.Sample(
            serverIdentity: identity, startTime: server.info.startTime, statsReset: statsReset,
            dealloc: dealloc, time: fetched.time, entries: fetched.entries, fingerprints: fetched.fingerprints,
            isFull: fetched.full)
        let outcome = StatementDeltaTracker.advance(previous: previous, sample: sample)
        let ranked = StatementDeltaTracker.rank(outcome.deltas, limit: settings.topStatements)

        // /metrics's statements are ranked by cumulative time: they need names and texts too.
        let metricsTop = outcome.baseline ? [] : StatementTotals.top(outcome.state.entries, limit: settings.metricsTopStatements)
        let textsFetched = try await resolveTextsAndNames(
            client: client,
            top: ranked.top.map(\.key) + metricsTop.map {
                StatementKey(userid: $0.identity.userid, dbid: $0.identity.dbid, queryid: $0.identity.queryid, toplevel: true)
            },
            changed: Array(outcome.deltas.keys), logger: logger)

        var info = StatementsInfo()
        info.intervalSeconds = outcome.intervalSeconds
        info.extensionVersion = version
        info.changedEntries = outcome.deltas.count
        info.trackedEntries = outcome.state.entries.count
        info.baseline = outcome.baseline
        info.resets = outcome.resets
        info.deallocDelta = outcome.deallocDelta
        info.textsFetched = textsFetched
        for delta in outcome.deltas.values {
            info.totalExecTime += delta.totalExecTime
            info.totalCalls += delta.calls
        }

        let interval = outcome.intervalSeconds ?? 0
        var rows: [StatementRow] = []
        var totals: [StatementTotal] = []
        memory.withLock { m in
            if !metricsTop.isEmpty {
                totals = StatementTotals.make(metricsTop, roleNames: m.roleNames, databaseNames: m.databaseNames,
                                              texts: m.texts)
            }
            for (key, counters) in ranked.top {
                var row = Self.row(counters, interval: interval)
                row.userid = key.userid
                row.dbid = key.dbid
                row.queryid = key.queryid
                row.toplevel = key.toplevel
                row.usename = m.roleNames[key.userid]
                row.datname = m.databaseNames[key.dbid]
                row.query = m.texts[key.queryid]
                rows.append(row)
            }
            // Bounded: past the cap we keep only the texts of entries that moved this interval.
            if m.texts.count > Self.textCacheLimit {
                let keep = Set(outcome.deltas.keys.map(\.queryid))
                m.texts = m.texts.filter { keep.contains($0.key) }
            }
        }
        if let other = ranked.other {
            var row = Self.row(other, interval: interval)
            row.query = "<other>"
            row.isOther = true
            row.otherEntries = ranked.otherEntries
            rows.append(row)
        }
        return Result(rows: rows, info: info, warnings: warnings, state: outcome.state, totals: totals)
    }

    /// Puts `state` in force (the next sample's deltas start from it) and saves it to the state
    /// directory; returns the warning for the next snapshot when it could not be saved.
    ///
    /// Only what changed since the last save is written (``StatementStateStore``); after a failed save
    /// the next one rewrites every entry.
    package func commit(_ state: StatementsState) -> CollectorErrorEntry? {
        let (store, saved) = memory.withLock { m in
            m.state = state
            return (m.store, m.saved)
        }
        guard let store else { return nil }
        do {
            try store.save(state, previous: saved)
            memory.withLock { $0.saved = state }
            return nil
        } catch {
            memory.withLock { $0.saved = nil }
            return CollectorErrorEntry(collector: "statements", code: "io", message: "could not save delta state: \(error)",
                                       hint: "make state_dir writable by the agent")
        }
    }

    /// Above this many entries the fingerprint filter is not worth its upload, and its hash table might
    /// outgrow `work_mem` (where PostgreSQL would fall back to a quadratic plan): we read everything.
    static let filterLimit = 20_000

    private func fetchCounters(client: PostgresClient, columns: StatementColumns, previous: StatementsState?,
                               logger: Logger)
        async throws -> (entries: [StatementKey: StatementCounters], fingerprints: [StatementKey: Int64],
                         time: Double, full: Bool) {
        // The last row carries the sample time (server clock) and nothing else.
        let timeRow = """
            UNION ALL
            SELECT NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
                   NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
                   extract(epoch FROM clock_timestamp())::float8
            """
        let query: PostgresQuery
        let full: Bool
        if let previous, previous.fingerprints.count <= Self.filterLimit, !previous.fingerprints.isEmpty {
            // `NOT IN (subquery)` is planned as a hashed subplan: one pass over the view whatever the
            // planner believes about the function's row count (a join against the same array was sorted
            // into a merge join and cost four times as much).
            full = false
            var binds = PostgresBindings(capacity: 1)
            binds.append(Array(previous.fingerprints.values), context: .default)
            query = PostgresQuery(unsafeSQL: """
                SELECT \(columns.selectList), \(columns.fingerprint) AS fingerprint, NULL::float8 AS sample_time
                FROM pg_stat_statements(false) s
                WHERE s.queryid IS NOT NULL AND \(columns.fingerprint) NOT IN (SELECT unnest($1::int8[]))
                \(timeRow)
                """, binds: binds)
        } else {
            full = true
            query = PostgresQuery(unsafeSQL: """
                SELECT \(columns.selectList), \(columns.fingerprint) AS fingerprint, NULL::float8 AS sample_time
                FROM pg_stat_statements(false) s
                WHERE s.queryid IS NOT NULL
                \(timeRow)
                """)
        }
        var entries: [StatementKey: StatementCounters] = [:]
        var fingerprints: [StatementKey: Int64] = [:]
        var sampleTime = 0.0
        // An open connection: one the server has just ended would leave the query waiting for good.
        try await client.withOpenConnection { connection in
            for try await row in try await connection.query(query, logger: logger) {
                let cells = row.makeRandomAccess()
                guard let queryid = try cells.value("queryid", as: Int64.self) else {
                    sampleTime = try cells.value("sample_time", as: Double.self) ?? 0
                    continue
                }
                let key = StatementKey(userid: try cells.value("userid", as: Int64.self) ?? 0,
                                       dbid: try cells.value("dbid", as: Int64.self) ?? 0,
                                       queryid: queryid,
                                       toplevel: try cells.value("toplevel", as: Bool.self) ?? true)
                var c = StatementCounters()
                c.calls = try cells.value("calls", as: Int64.self) ?? 0
                c.totalExecTime = try cells.value("total_exec_time", as: Double.self) ?? 0
                c.plans = try cells.value("plans", as: Int64.self) ?? 0
                c.totalPlanTime = try cells.value("total_plan_time", as: Double.self) ?? 0
                c.rows = try cells.value("rows", as: Int64.self) ?? 0
                c.sharedBlksHit = try cells.value("shared_blks_hit", as: Int64.self) ?? 0
                c.sharedBlksRead = try cells.value("shared_blks_read", as: Int64.self) ?? 0
                c.sharedBlksDirtied = try cells.value("shared_blks_dirtied", as: Int64.self) ?? 0
                c.sharedBlksWritten = try cells.value("shared_blks_written", as: Int64.self) ?? 0
                c.localBlksHit = try cells.value("local_blks_hit", as: Int64.self) ?? 0
                c.localBlksRead = try cells.value("local_blks_read", as: Int64.self) ?? 0
                c.localBlksDirtied = try cells.value("local_blks_dirtied", as: Int64.self) ?? 0
                c.localBlksWritten = try cells.value("local_blks_written", as: Int64.self) ?? 0
                c.tempBlksRead = try cells.value("temp_blks_read", as: Int64.self) ?? 0
                c.tempBlksWritten = try cells.value("temp_blks_written", as: Int64.self) ?? 0
                c.blkReadTime = try cells.value("blk_read_time", as: Double.self) ?? 0
                c.blkWriteTime = try cells.value("blk_write_time", as: Double.self) ?? 0
                c.walRecords = try cells.value("wal_records", as: Int64.self) ?? 0
                c.walFpi = try cells.value("wal_fpi", as: Int64.self) ?? 0
                c.walBytes = try cells.value("wal_bytes", as: Double.self) ?? 0
                entries[key] = c
                fingerprints[key] = try cells.value("fingerprint", as: Int64.self)
            }
            // A cancelled task's row stream ends early without an error: not all the counters.
            try Task.checkCancellation()
        }
        return (entries, fingerprints, sampleTime, full)
    }

    /// Query texts kept in memory at most (a text is capped at `query_text_max_bytes`).
    static let textCacheLimit = 5_000
    /// Texts fetched in one go at most.
    static let textBatchLimit = 2_000

    /// Fetches texts and names the top rows need. Reading texts makes the server read its whole query
    /// text file, so when any top id lacks its text we fetch the texts of every changed entry we lack
    /// in that one read: the next cycles, with much the same statements, then need none.
    /// Returns the number of texts fetched.
    private func resolveTextsAndNames(client: PostgresClient, top: [StatementKey], changed: [StatementKey],
                                      logger: Logger) async throws -> Int {
        let (missingTexts, namesMissing) = memory.withLock { m -> ([Int64], Bool) in
            guard top.contains(where: { m.texts[$0.queryid] == nil }) else {
                return ([], top.contains { m.roleNames[$0.userid] == nil || m.databaseNames[$0.dbid] == nil })
            }
            var wanted = Set(top.map(\.queryid).filter { m.texts[$0] == nil })
            for key in changed where wanted.count < Self.textBatchLimit && m.texts[key.queryid] == nil {
                wanted.insert(key.queryid)
            }
            let names = top.contains { m.roleNames[$0.userid] == nil || m.databaseNames[$0.dbid] == nil }
            return (Array(wanted), names)
        }
        var fetched = 0
        if !missingTexts.isEmpty {
            // pg_stat_statements(true) reads the whole text file on the server; we only ask when needed.
            let rows = try await client.rows("""
                SELECT DISTINCT ON (queryid) queryid, query
                FROM pg_stat_statements(true) WHERE queryid = ANY(\(missingTexts))
                """, logger: logger)
            var found: [Int64: String] = [:]
            for row in rows {
                guard let id = try row.value("queryid", as: Int64.self) else { continue }
                found[id] = settings.cleanQuery(try row.value("query", as: String.self)).text
            }
            fetched = found.count
            memory.withLock { m in m.texts.merge(found) { _, new in new } }
        }
        if namesMissing {
            let rows = try await client.rows("""
                SELECT 'r' AS kind, oid::int8 AS oid, rolname::text AS name FROM pg_roles
                UNION ALL SELECT 'd', oid::int8, datname::text FROM pg_database
                """, logger: logger)
            var roles: [Int64: String] = [:], databases: [Int64: String] = [:]
            for row in rows {
                guard let oid = try row.value("oid", as: Int64.self),
                      let name = try row.value("name", as: String.self) else { continue }
                if try row.value("kind", as: String.self) == "r" { roles[oid] = name } else { databases[oid] = name }
            }
            memory.withLock { m in
                m.roleNames = roles
                m.databaseNames = databases
            }
        }
        return fetched
    }

    private static func row(_ c: StatementCounters, interval: Double) -> StatementRow {
        var row = StatementRow(intervalSeconds: interval)
        row.calls = c.calls
        row.totalExecTime = c.totalExecTime
        row.meanExecTime = c.calls > 0 ? c.totalExecTime / Double(c.calls) : nil
        row.plans = c.plans
        row.totalPlanTime = c.totalPlanTime
        row.rows = c.rows
        row.sharedBlksHit = c.sharedBlksHit
        row.sharedBlksRead = c.sharedBlksRead
        row.sharedBlksDirtied = c.sharedBlksDirtied
        row.sharedBlksWritten = c.sharedBlksWritten
        row.localBlksHit = c.localBlksHit
        row.localBlksRead = c.localBlksRead
        row.localBlksDirtied = c.localBlksDirtied
        row.localBlksWritten = c.localBlksWritten
        row.tempBlksRead = c.tempBlksRead
        row.tempBlksWritten = c.tempBlksWritten
        row.blkReadTime = c.blkReadTime
        row.blkWriteTime = c.blkWriteTime
        row.walRecords = c.walRecords
        row.walFpi = c.walFpi
        row.walBytes = c.walBytes
        return row
    }
}
