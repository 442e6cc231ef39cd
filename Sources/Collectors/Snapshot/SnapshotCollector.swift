package import AgentSchema
package import Foundation
package import Logging
package import PostgresNIO
import Synchronization

/// Builds one ``SnapshotPayload`` for one monitored server: runs every collector concurrently, each with
/// its own deadline, and turns each failure into an `errors` entry so the rest still ships.
package final class SnapshotCollector: Sendable {
    private let settings: CollectorSettings
    private let client: PostgresClient
    private let logger: Logger
    private let project: String
    private let agentInfo: AgentInfo
    private let procRoot: String
    private let serverInfo = ServerInfoCollector()
    private let activity: ActivityCollector
    private let statements: StatementsCollector
    /// The statement delta state of the last snapshot, until it is stored (``commit(batchID:)``).
    private let pendingStatements = Mutex<(batchID: UUID, state: StatementsState)?>(nil)
    /// Warnings of a commit, for the next snapshot.
    private let deferredWarnings = Mutex<[CollectorErrorEntry]>([])
    private let locks: LockCollector
    private let database: DatabaseCollector
    private let settingsCollector = SettingsCollector()
    private let lockCounts = LockCountCollector()
    private let schema: SchemaCollector
    /// The settings the last stored snapshot carried or confirmed (nil: none sent since start).
    private let sentSettings = Mutex<[SettingRow]?>(nil)
    /// The last read of `pg_settings`, reused while the server's fingerprint of the view stays the same.
    private let lastSettingsReading = Mutex<SettingsCollector.Reading?>(nil)
    /// The settings of the last snapshot, until it is stored (``commit(batchID:)``).
    private let pendingSettings = Mutex<(batchID: UUID, settings: [SettingRow])?>(nil)
    private let host = Mutex<(collector: HostCollector?, dataDirectory: String?)>((nil, nil))
    /// Measures the data directory's filesystem (the daemon's ``StatvfsGuard``).
    private let statvfs: @Sendable (String) -> ProcFileSystem.VolumeStatistics?
    private let probe: ConnectionProbe?
    /// Whether the last cycle reached the server through the pool; until then we probe first.
    private let poolHealthy = Mutex(false)

    /// - Parameters:
    ///   - client: a running `PostgresClient` (its `run()` must be active while `collect()` is called).
    ///   - procRoot: where /proc and /sys are found (tests point it at fixtures).
    ///   - probe: opens one plain connection when the pool has not yet proven healthy (see ``ConnectionProbe``).
    ///   - statvfs: measures the data directory's filesystem; the daemon passes its ``StatvfsGuard``, so
    ///     that a hung mount cannot stop the cycle.
    package init(settings: CollectorSettings, client: PostgresClient, probe: ConnectionProbe?, project: String,
                 agentInfo: AgentInfo, procRoot: String = "/",
                 statvfs: @escaping @Sendable (String) -> ProcFileSystem.VolumeStatistics? = ProcFileSystem.systemStatvfs,
                 logger: Logger) {
        self.settings = settings
        self.client = client
        self.probe = probe
        self.project = project
        self.agentInfo = agentInfo
        self.procRoot = procRoot
        self.logger = logger
        self.statvfs = statvfs
        self.activity = ActivityCollector(settings: settings)
        self.statements = StatementsCollector(settings: settings)
        self.locks = LockCollector(settings: settings)
        self.database = DatabaseCollector(settings: settings)
        self.schema = SchemaCollector(settings: settings, probe: probe)
    }

    /// True when delta state exists, so the next ``collect(now:wallClock:)`` already yields deltas.
    package var hasBaseline: Bool { statements.hasBaseline }

    /// Puts in force the statement delta state of the snapshot `batchID`, once that snapshot is stored
    /// (spooled, or printed by `collect --once`). Until then the previous state stays, so a snapshot
    /// that is lost does not lose its interval: the next one's deltas cover it. A state that could not
    /// be saved is said in the next snapshot's errors.
    package func commit(batchID: UUID) {
        let settings = pendingSettings.withLock { pending -> [SettingRow]? in
            defer { pending = nil }
            return pending?.batchID == batchID ? pending?.settings : nil
        }
        if let settings { sentSettings.withLock { $0 = settings } }
        let state = pendingStatements.withLock { pending -> StatementsState? in
            defer { pending = nil }
            return pending?.batchID == batchID ? pending?.state : nil
        }
        if let warning = schema.commit(batchID: batchID) { deferredWarnings.withLock { $0.append(warning) } }
        guard let state, let warning = statements.commit(state) else { return }
        deferredWarnings.withLock { $0.append(warning) }
    }

    /// Collects one snapshot.
    /// - Parameters:
    ///   - now: monotonic time of the sample, for host rates.
    ///   - wallClock: epoch seconds for the payload's `timestamp`.
    package func collect(now: ContinuousClock.Instant, wallClock: Double) async -> SnapshotPayload {
        var payload = SnapshotPayload(timestamp: wallClock, project: project, agent: agentInfo)
        payload.errors += deferredWarnings.withLock { warnings in defer { warnings = [] }; return warnings }
        let timeout = settings.collectorTimeout
        let clock = ContinuousClock()
        let client = self.client
        let logger = self.logger

        let server: ServerInfoCollector.Result?
        do {
            if let probe, !poolHealthy.withLock({ $0 }) {
                try await withDeadline(timeout, clock: clock) { try await probe.run(logger: logger) }
            }
            let serverInfo = self.serverInfo
            server = try await withDeadline(timeout, clock: clock) {
                try await serverInfo.collect(client: client, logger: logger)
            }
        } catch {
            server = nil
            payload.errors.append(CollectorError.from(error).entry(collector: "server"))
        }
        poolHealthy.withLock { $0 = server != nil }
        payload.server = server?.info

        if let server {
            let activity = self.activity, statements = self.statements
            let locks = self.locks, database = self.database
            async let activityResult = Self.attempt("activity", timeout, clock) {
                try await activity.collect(client: client, server: server, logger: logger)
            }
            async let statementsResult = Self.attempt("statements", timeout, clock) {
                try await statements.collect(client: client, server: server, logger: logger)
            }
            async let lockResult = Self.attempt("locks", timeout, clock) {
                try await locks.collect(client: client, logger: logger)
            }
            async let databaseResult = Self.attempt("database", timeout, clock) {
                try await database.collect(client: client, server: server, logger: logger)
            }
            async let settingsResult = Self.attempt("settings", timeout, clock) {
                try await self.readSettings(logger: logger)
            }
            // For /metrics only (not in the payload): pg_locks per database and mode (and, from the
            // settings' reading, every numeric setting).
            let lockCounts = self.lockCounts
            let readsMetricsOnlyParts = settings.readsMetricsOnlyParts
            // A failure is the lock part's: the settings come with the settings' own reading now.
            async let metricsResult = Self.attempt("locks", timeout, clock) { () async throws -> [LockCount]? in
                guard readsMetricsOnlyParts else { return nil }
                return try await lockCounts.collect(client: client, logger: logger)
            }
            // The visits bound themselves by schema_timeout_ms between pages; the deadline is a backstop.
            let schema = self.schema, batchID = payload.batchID
            async let schemaResult = Self.attempt("schema", settings.schemaTimeout + timeout, clock) {
                await schema.collect(client: client, server: server, batchID: batchID, logger: logger)
            }

            switch await activityResult {
            case .success(let result):
                payload.pgActivity = result.rows
                payload.activitySummary = result.summary
                payload.clientBackends = result.backends
                payload.activityByDatabase = result.byDatabase
                payload.clientBackendsObservedAt = result.observedAt
                if result.hiddenBackends > 0 {
                    payload.errors.append(CollectorErrorEntry(
                        collector: "activity", code: "insufficient_privilege",
                        message: "\(result.hiddenBackends) backends' details are hidden from the monitoring role",
                        hint: "GRANT pg_monitor TO <monitoring role>"))
                }
            case .failure(let entry): payload.errors.append(entry)
            }
            switch await statementsResult {
            case .success(let result):
                payload.pgStatements = result.rows
                payload.statementsInfo = result.info
                if !result.info.baseline { payload.statementTotals = result.totals }
                payload.errors += result.warnings
                let batchID = payload.batchID
                pendingStatements.withLock { $0 = (batchID, result.state) }
            case .failure(let entry): payload.errors.append(entry)
            }
            switch await lockResult {
            case .success(let result):
                payload.locks = result.rows
                payload.locksSummary = result.summary
            case .failure(let entry): payload.errors.append(entry)
            }
            switch await databaseResult {
            case .success(let stats): payload.database = stats
            case .failure(let entry): payload.errors.append(entry)
            }
            switch await settingsResult {
            case .success(let reading):
                let current = reading.rows
                if readsMetricsOnlyParts { payload.numericSettings = reading.numeric }
                // Sent after start and after a change; otherwise the snapshot only confirms them.
                let sent = sentSettings.withLock { $0 }
                let changes = sent.map { SettingsCollector.changes(from: $0, to: current) }
                if sent == nil || changes?.isEmpty == false {
                    payload.settings = current
                    if let changes, !changes.isEmpty { payload.settingsChanged = changes }
                    let batchID = payload.batchID
                    pendingSettings.withLock { $0 = (batchID, current) }
                }
            case .failure(let entry): payload.errors.append(entry)
            }
            switch await metricsResult {
            case .success(let counts):
                payload.lockCounts = counts
            case .failure(let entry): payload.errors.append(entry)
            }
            switch await schemaResult {
            case .success(let result):
                if !result.visits.isEmpty { payload.schema = result.visits }
                payload.errors += result.errors
            case .failure(let entry):
                // The deadline passed: the visits that did finish are not in this payload.
                self.schema.abandonPending()
                payload.errors.append(entry)
            }
            // If every server collector lost the connection, the pool is not to be trusted next cycle:
            // probe again so the next failure is reported precisely and fast.
            let lost = payload.errors.filter { ["connection_failed", "timeout"].contains($0.code) }
            if Set(lost.map(\.collector)).isSuperset(of: ["activity", "statements", "locks", "database"]) {
                poolHealthy.withLock { $0 = false }
            }
        }

        do {
            let reading = try hostCollector(dataDirectory: settings.dataDirectory ?? server?.info.dataDirectory)
                .collectReporting(now: now)
            payload.systemMetrics = reading.metrics
            for problem in reading.problems {
                payload.errors.append(CollectorErrorEntry(
                    collector: "host", code: "malformed_value",
                    message: "\(problem.path) holds a value that is not a finite number or a line cut short; that part is left out"))
            }
        } catch {
            payload.errors.append(CollectorErrorEntry(collector: "host", code: "io",
                                                      message: "could not read host metrics: \(error)"))
        }
        return payload
    }

    /// A fresh reading of `pg_settings`, or the last one while the server's fingerprint is unchanged.
    private func readSettings(logger: Logger) async throws -> SettingsCollector.Reading {
        let last = lastSettingsReading.withLock { $0 }
        if let fresh = try await settingsCollector.read(client: client, unchangedSince: last?.fingerprint, logger: logger) {
            lastSettingsReading.withLock { $0 = fresh }
            return fresh
        }
        // nil only when `last` had the same fingerprint.
        guard let last else { throw CollectorError(code: .decoding, message: "the settings query returned nothing") }
        return last
    }

    private func hostCollector(dataDirectory: String?) -> HostCollector {
        host.withLock { state in
            if let collector = state.collector, state.dataDirectory == dataDirectory || dataDirectory == nil {
                return collector
            }
            let collector = HostCollector(root: procRoot, dataDirectory: dataDirectory, statvfs: statvfs)
            state = (collector, dataDirectory)
            return collector
        }
    }

    private enum Outcome<T: Sendable>: Sendable {
        case success(T)
        case failure(CollectorErrorEntry)
    }

    private static func attempt<T: Sendable>(
        _ name: String, _ timeout: Duration, _ clock: ContinuousClock,
        _ work: @escaping @Sendable () async throws -> T
    ) async -> Outcome<T> {
        do {
            return .success(try await withDeadline(timeout, clock: clock, work))
        } catch {
            return .failure(CollectorError.from(error).entry(collector: name))
        }
    }
}
