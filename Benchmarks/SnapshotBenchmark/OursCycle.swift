import AgentSchema
import Collectors
import Foundation
import Logging
import PostgresNIO

/// Our cycle: the agent's own `SnapshotCollector` (server, activity, statements deltas, locks, database,
/// host), with default collector settings, over a client built by the agent's `PostgresClientFactory` and
/// with the agent's `ConnectionProbe` (it connects once, before the pool has proven healthy: baseline only).
struct OursCycle: MonitoringCycle {
    let collector: SnapshotCollector

    init(client: PostgresClient, probe: ConnectionProbe, logger: Logger) throws {
        let settings = CollectorSettings(correlation: try CorrelationExtractor())
        collector = SnapshotCollector(
            settings: settings, client: client, probe: probe, project: "benchmark",
            agentInfo: AgentInfo(version: "benchmark", hostname: "localhost", instance: settings.instance),
            logger: logger)
    }

    func run() async -> CycleOutcome {
        let payload = await collector.collect(now: .now, wallClock: Date().timeIntervalSince1970)
        var outcome = CycleOutcome()
        outcome.counts["pg_activity rows"] = payload.pgActivity?.count ?? -1
        outcome.counts["pg_statements rows"] = payload.pgStatements?.count ?? -1
        outcome.counts["pg_statements changed entries"] = payload.statementsInfo?.changedEntries ?? -1
        outcome.counts["pg_statements texts fetched"] = payload.statementsInfo?.textsFetched ?? -1
        outcome.counts["locks rows"] = payload.locks?.count ?? -1
        outcome.counts["locks max chain depth"] = payload.locks?.compactMap(\.chainDepth).max() ?? 0
        outcome.counts["client backends"] = payload.activitySummary?.clientBackends ?? -1
        outcome.counts["system_metrics present"] = payload.systemMetrics == nil ? 0 : 1
        outcome.errors = payload.errors
            .filter { $0.code != "insufficient_privilege" }
            .map { "\($0.collector): \($0.code): \($0.message)" }
        return outcome
    }
}
