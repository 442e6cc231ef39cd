package import Foundation

/// One snapshot of a PostgreSQL server and its host: the payload of kind `snapshot` (docs/payloads.md, schema 1).
///
/// Keys the listener already knows from the design research (`pg_activity`, `pg_statements`, `locks`,
/// `system_metrics`) keep their names; everything else is additive. Absent values are omitted.
package struct SnapshotPayload: Codable, Sendable {
    /// Always `1` for this layout.
    package var schemaVersion: Int = 1
    /// Always `"snapshot"`.
    package var kind: PayloadKind = .snapshot
    /// Unique per payload and stable across retries; the listener dedupes on it.
    package var batchID: UUID
    /// Epoch seconds at collection (the agent's wall clock).
    package var timestamp: Double
    /// The configured project id (`[agent] project`).
    package var project: String
    /// Who sent this: version, host, instance, spool state.
    package var agent: AgentInfo
    /// The monitored server's identity; absent when it could not be reached.
    package var server: ServerInfo?
    /// One row per non-idle backend.
    package var pgActivity: [ActivityRow]?
    /// Counts of all backends by state and wait event, and `max_connections`.
    package var activitySummary: ActivitySummary?
    /// Active-session history of the interval (``ActivitySamples``); absent when sampling is off.
    package var activitySamples: ActivitySamples?
    /// Per-interval deltas of `pg_stat_statements`, top N by execution time plus one `other` row.
    package var pgStatements: [StatementRow]?
    /// What the statements part covers: interval, totals, reset handling.
    package var statementsInfo: StatementsInfo?
    /// One row per blocked backend, of the chains that waited longest (bounded).
    package var locks: [LockRow]?
    /// How many backends wait for a lock and how many of them `locks` leaves out; present exactly when
    /// `locks` is.
    package var locksSummary: LocksSummary?
    /// Per-database and cluster-wide statistics.
    package var database: DatabaseStats?
    /// The database visits of this cycle (``SchemaVisit``): each database's tables, indexes and sequences,
    /// at most every `schema_interval_seconds`; absent when no visit ran.
    package var schema: [SchemaVisit]?
    /// The settings not at their default; only in the first snapshot after the agent started and in
    /// a snapshot where one changed.
    package var settings: [SettingRow]?
    /// What changed since the settings last sent; present with ``settings`` after a change.
    package var settingsChanged: [SettingChange]?
    /// Host metrics from /proc.
    package var systemMetrics: SystemMetrics?
    /// Parts that could not be collected this time.
    package var errors: [CollectorErrorEntry] = []
    /// Every client backend of the snapshot, idle ones included, for the session attribution of log
    /// entries; not part of the payload (not encoded). Nil when the activity part failed.
    package var clientBackends: [ClientBackend]? = nil
    /// When the server listed ``clientBackends`` (its clock, epoch seconds): the list is complete for that
    /// moment, not for ``timestamp`` (the snapshot's start); not encoded.
    package var clientBackendsObservedAt: Double? = nil
    /// Sessions per database and state, every backend with a database counted (the agent's own too, as
    /// postgres_exporter counts its own), for `/metrics`; not part of the payload (not encoded). Nil when
    /// the activity part failed.
    package var activityByDatabase: [DatabaseActivity]? = nil
    /// Every bool, integer and real setting, for `/metrics`; not encoded.
    package var numericSettings: [NumericSetting]? = nil
    /// `pg_locks` per database and mode, for `/metrics`; not encoded.
    package var lockCounts: [LockCount]? = nil
    /// The top statements' cumulative counters, for `/metrics`; not encoded. Nil when the statements part
    /// failed or took only a baseline.
    package var statementTotals: [StatementTotal]? = nil

    package init(batchID: UUID = UUID(), timestamp: Double, project: String, agent: AgentInfo) {
        self.batchID = batchID
        self.timestamp = timestamp
        self.project = project
        self.agent = agent
    }

    enum CodingKeys: String, CodingKey {
        case schemaVersion = "schema_version"
        case kind
        case batchID = "batch_id"
        case timestamp, project, agent, server
        case pgActivity = "pg_activity"
        case activitySummary = "activity_summary"
        case activitySamples = "activity_samples"
        case pgStatements = "pg_statements"
        case statementsInfo = "statements_info"
        case locks
        case locksSummary = "locks_summary"
        case database
        case schema
        case settings
        case settingsChanged = "settings_changed"
        case systemMetrics = "system_metrics"
        case errors
    }

    /// As synthesized, except `batch_id`: lowercase, as in log payloads and the `Idempotency-Key` header
    /// (the listener checks that the two agree; `UUID` alone encodes upper case).
    package func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(schemaVersion, forKey: .schemaVersion)
        try container.encode(kind, forKey: .kind)
        try container.encode(batchID.uuidString.lowercased(), forKey: .batchID)
        try container.encode(timestamp, forKey: .timestamp)
        try container.encode(project, forKey: .project)
        try container.encode(agent, forKey: .agent)
        try container.encodeIfPresent(server, forKey: .server)
        try container.encodeIfPresent(pgActivity, forKey: .pgActivity)
        try container.encodeIfPresent(activitySummary, forKey: .activitySummary)
        try container.encodeIfPresent(activitySamples, forKey: .activitySamples)
        try container.encodeIfPresent(pgStatements, forKey: .pgStatements)
        try container.encodeIfPresent(statementsInfo, forKey: .statementsInfo)
        try container.encodeIfPresent(locks, forKey: .locks)
        try container.encodeIfPresent(locksSummary, forKey: .locksSummary)
        try container.encodeIfPresent(database, forKey: .database)
        try container.encodeIfPresent(schema, forKey: .schema)
        try container.encodeIfPresent(settings, forKey: .settings)
        try container.encodeIfPresent(settingsChanged, forKey: .settingsChanged)
        try container.encodeIfPresent(systemMetrics, forKey: .systemMetrics)
        try container.encode(errors, forKey: .errors)
    }
}

/// The sending agent, as reported in every payload.
package struct AgentInfo: Codable, Sendable, Equatable {
    /// The agent's version string.
    package var version: String
    /// The host name of the machine the agent runs on.
    package var hostname: String
    /// The monitored instance's name (`default`, or NAME of `[postgres:NAME]`).
    package var instance: String
    /// Payloads waiting in the spool when this one was built (absent for `collect --once`).
    package var spoolDepth: Int?
    /// Bytes used by the spool.
    package var spoolBytes: Int?
    /// Batches evicted from the spool so far because of its size cap.
    package var evictedBatches: Int?

    package init(version: String, hostname: String, instance: String) {
        self.version = version
        self.hostname = hostname
        self.instance = instance
    }

    enum CodingKeys: String, CodingKey {
        case version, hostname, instance
        case spoolDepth = "spool_depth"
        case spoolBytes = "spool_bytes"
        case evictedBatches = "evicted_batches"
    }
}

/// An entry of a payload's `errors`: a part that could not be collected, and why.
package struct CollectorErrorEntry: Codable, Sendable, Equatable {
    /// The collector (`activity`, `statements`, `locks`, `database`, `host`, `server`).
    package var collector: String
    /// A stable machine-readable code such as `timeout`, `insufficient_privilege`, `extension_missing`.
    package var code: String
    /// A human-readable message; never carries a password, DSN or query text.
    package var message: String
    /// What an operator can do about it, when we know.
    package var hint: String?

    package init(collector: String, code: String, message: String, hint: String? = nil) {
        self.collector = collector
        self.code = code
        self.message = message
        self.hint = hint
    }
}
