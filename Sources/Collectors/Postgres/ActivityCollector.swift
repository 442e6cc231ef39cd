package import AgentSchema
package import Logging
package import PostgresNIO

/// `pg_activity` and `activity_summary`: one row per non-idle backend, the longest-running
/// ``maximumRows`` of them, and counts over all of them.
///
/// One query: every backend comes back with its light columns (for the counts), and only the non-idle
/// ones that will have a row carry the heavy ones (query text, capped on the server side so long texts
/// never cross the wire). The server ranks the non-idle backends the way the rows are sorted, so 10,000
/// busy backends bring 10,000 small rows and ``maximumRows`` query texts; the rest are counted in
/// `activity_summary.pg_activity_omitted`.
package struct ActivityCollector: Sendable {
    /// Rows `pg_activity` carries at most: the non-idle backends with the oldest `query_start`.
    package static let defaultMaximumRows = 200

    package struct Result: Sendable {
        package var rows: [ActivityRow]
        package var summary: ActivitySummary
        /// Backends whose details the monitoring role may not see.
        package var hiddenBackends: Int
        /// Every client backend but the agent's own, idle ones included.
        package var backends: [ClientBackend] = []
        /// Sessions per database and state (every backend with a database and a state), for `/metrics`.
        package var byDatabase: [DatabaseActivity] = []
        /// When the server read `pg_stat_activity` (its clock, epoch seconds): the time ``backends`` is a
        /// complete list for. Later than the snapshot's start by as long as the query waited for a
        /// connection.
        package var observedAt: Double?
    }

    let settings: CollectorSettings
    /// Rows `pg_activity` carries at most (≥ 1). Default ``defaultMaximumRows``.
    let maximumRows: Int

    package init(settings: CollectorSettings, maximumRows: Int = ActivityCollector.defaultMaximumRows) {
        self.settings = settings
        self.maximumRows = max(1, maximumRows)
    }

    package func collect(client: PostgresClient, server: ServerInfoCollector.Result,
                         logger: Logger) async throws -> Result {
        // Characters, not bytes, on the server; the byte cap is applied after. +1 tells us it was cut.
        let serverCap = Int32(max(64, settings.queryTextMaxBytes) + 1)
        let ownApp = settings.applicationName
        // `listed`: non-idle (or hidden from us) and not the agent's own session; those get a row.
        // `listed_rank` ranks them as the rows are sorted (`query_start`, then pid), so only the first
        // `maximumRows` carry their query text.
        let rows = try await client.rows("""
            SELECT pid, backend_type, state, wait_event_type, wait_event, application_name, own, listed,
                   listed_rank, query = '<insufficient privilege>' AS hidden,
                   CASE WHEN state IS DISTINCT FROM 'idle' THEN usename::text END AS usename,
                   CASE WHEN state IS DISTINCT FROM 'idle' THEN datname::text END AS datname,
                   CASE WHEN listed AND listed_rank <= \(Int64(maximumRows)) THEN left(query, \(serverCap)) END AS query,
                   CASE WHEN listed AND listed_rank <= \(Int64(maximumRows)) THEN octet_length(query) END AS query_bytes,
                   extract(epoch FROM query_start)::float8 AS query_start,
                   extract(epoch FROM state_change)::float8 AS state_change,
                   extract(epoch FROM xact_start)::float8 AS xact_start,
                   extract(epoch FROM backend_start)::float8 AS backend_start,
                   extract(epoch FROM clock_timestamp() - query_start)::float8 AS running,
                   query_id, client_addr::text AS client_addr,
                   age(backend_xmin)::int8 AS xmin_age,
                   datname::text AS any_datname,
                   extract(epoch FROM clock_timestamp())::float8 AS observed_at,
                   extract(epoch FROM clock_timestamp() - xact_start)::float8 AS xact_age
            FROM (SELECT *, row_number() OVER (ORDER BY listed DESC, query_start, pid) AS listed_rank
                  FROM (SELECT *, coalesce(busy AND NOT own, false) AS listed
                        FROM (SELECT *,
                                     coalesce((state IS NOT NULL AND state <> 'idle')
                                              OR query = '<insufficient privilege>', false) AS busy,
                                     coalesce(pid = pg_backend_pid()
                                              OR (application_name = \(ownApp) AND usename = current_user),
                                              false) AS own
                              FROM pg_stat_activity) AS a) AS b) AS c
            """, logger: logger)

        var result = Result(rows: [], summary: ActivitySummary(
            total: 0, clientBackends: 0, byState: [:], byWaitEvent: [:], byBackendType: [:],
            maxConnections: server.maxConnections, correlatedBackends: 0), hiddenBackends: 0)
        result.summary.pgActivityOmitted = 0
        var byDatabase: [String: [String: (count: Int, oldest: Double)]] = [:]
        for row in rows {
            if let observed = try row.value("observed_at", as: Double.self) {
                result.observedAt = max(result.observedAt ?? observed, observed)
            }
            let backendType = try row.value("backend_type", as: String.self) ?? "unknown"
            let state = try row.value("state", as: String.self)
            if let datname = try row.value("any_datname", as: String.self), let state {
                let age = max(0, try row.value("xact_age", as: Double.self) ?? 0)
                let entry = byDatabase[datname, default: [:]][state] ?? (0, 0)
                byDatabase[datname, default: [:]][state] = (entry.count + 1, max(entry.oldest, age))
            }
            let app = try row.value("application_name", as: String.self)
            result.summary.total += 1
            result.summary.byBackendType[backendType, default: 0] += 1
            if let waitType = try row.value("wait_event_type", as: String.self) {
                let event = try row.value("wait_event", as: String.self) ?? ""
                result.summary.byWaitEvent["\(waitType):\(event)", default: 0] += 1
            }
            let correlation = settings.correlation.extract(from: app)
            if backendType == "client backend" {
                result.summary.clientBackends += 1
                result.summary.byState[state ?? "unknown", default: 0] += 1
                if correlation != nil { result.summary.correlatedBackends += 1 }
            }
            let own = try row.value("own", as: Bool.self) == true
            if backendType == "client backend", !own, let pid = try row.value("pid", as: Int32.self),
               let start = try row.value("backend_start", as: Double.self) {
                result.backends.append(ClientBackend(pid: Int(pid), backendStart: start, applicationName: app,
                                                     user: try row.value("usename", as: String.self),
                                                     database: try row.value("datname", as: String.self)))
            }
            guard try row.value("listed", as: Bool.self) == true else { continue }
            let hidden = try row.value("hidden", as: Bool.self) == true
            if hidden { result.hiddenBackends += 1 }
            guard let position = try row.value("listed_rank", as: Int64.self), position <= Int64(maximumRows) else {
                result.summary.pgActivityOmitted = (result.summary.pgActivityOmitted ?? 0) + 1
                continue
            }

            var activity = ActivityRow(pid: Int(try row.value("pid", as: Int32.self) ?? 0))
            activity.backendType = backendType
            activity.state = state
            activity.applicationName = app
            activity.correlationID = correlation
            activity.usename = try row.value("usename", as: String.self)
            activity.datname = try row.value("datname", as: String.self)
            activity.waitEventType = try row.value("wait_event_type", as: String.self)
            activity.waitEvent = try row.value("wait_event", as: String.self)
            activity.queryStart = try row.value("query_start", as: Double.self)
            activity.stateChange = try row.value("state_change", as: Double.self)
            activity.xactStart = try row.value("xact_start", as: Double.self)
            activity.backendStart = try row.value("backend_start", as: Double.self)
            activity.queryDurationSeconds = try row.value("running", as: Double.self)
            activity.queryID = try row.value("query_id", as: Int64.self)
            activity.clientAddr = try row.value("client_addr", as: String.self)
            activity.xminAge = try row.value("xmin_age", as: Int64.self)

            let raw = try row.value("query", as: String.self)
            if hidden {
                activity.insufficientPrivilege = true
            } else if let raw {
                let serverBytes = Int(try row.value("query_bytes", as: Int32.self) ?? 0)
                let cutByServer = serverBytes >= server.trackActivityQuerySize - 1
                let cutByUs = raw.count >= Int(serverCap)
                let cleaned = settings.cleanQuery(raw)
                activity.query = cleaned.text
                if cutByServer || cutByUs || cleaned.truncated { activity.queryTruncated = true }
            }
            result.rows.append(activity)
        }
        let limited = Self.longestRunning(result.rows, maximum: maximumRows)
        result.rows = limited.rows
        result.summary.pgActivityOmitted = (result.summary.pgActivityOmitted ?? 0) + limited.omitted
        result.byDatabase = byDatabase.flatMap { datname, states in
            states.map { DatabaseActivity(datname: datname, state: $0.key, count: $0.value.count,
                                          maxTransactionSeconds: $0.value.oldest) }
        }.sorted { ($0.datname, $0.state) < ($1.datname, $1.state) }
        return result
    }

    /// The rows sorted as `pg_activity` is (oldest `query_start` first, none last, then pid) and cut to
    /// `maximum`, with how many were cut. The server already sends only that many; this keeps the bound
    /// whatever it sends.
    static func longestRunning(_ rows: [ActivityRow], maximum: Int) -> (rows: [ActivityRow], omitted: Int) {
        let sorted = rows.sorted { ($0.queryStart ?? .infinity, $0.pid) < ($1.queryStart ?? .infinity, $1.pid) }
        let kept = Array(sorted.prefix(max(0, maximum)))
        return (kept, sorted.count - kept.count)
    }
}
