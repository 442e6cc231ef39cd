import AgentSchema
package import AgentConfiguration
package import Collectors
package import LogPipeline
package import Delivery
import Foundation
package import Logging
import PostgresNIO
import ServiceLifecycle

/// The snapshot cycle of one monitored server: every `interval_seconds` it collects a snapshot and
/// appends it to the spool. Cycles never overlap; a cycle that overruns its slot is reported (a warning,
/// `pgagent_snapshot_late_total`, and a `scheduler`/`cycle_late` entry in the next payload's `errors`)
/// and the next one starts at once (``CycleSchedule``). A server that is down yields payloads whose
/// `errors` say so; the client reconnects by itself when the server is back.
package struct SnapshotScheduler: Service {
    package let runtime: InstanceRuntime
    package let configuration: AgentConfiguration
    package let spool: Spool
    /// Told the client backends of every snapshot, for the log's entries without an application name.
    package var sessions: SessionDirectory? = nil
    package let hostname: String
    package let metrics: MetricsRegistry
    /// Where each snapshot is published for `/metrics` (nil: not published).
    package var snapshotMetrics: SnapshotMetrics? = nil
    /// Measures the data directory's filesystem: the daemon's ``StatvfsGuard``, shared by every part, so
    /// that a mount found hung stays known as hung across restarts of the part.
    package var statvfs: @Sendable (String) -> ProcFileSystem.VolumeStatistics? = ProcFileSystem.systemStatvfs
    package let heartbeats: Heartbeats
    /// The cadence's clock.
    package let clock: DaemonClock
    package let logger: Logger

    package func run() async throws {
        let instance = runtime.instance.name
        let interval = configuration.agent.interval
        let beatName = "snapshots:\(instance)"
        // Allowance: a cycle (whose collectors each have a deadline) plus the wait, twice over.
        // A cycle may also spend [collectors] schema_timeout_ms on database visits.
        let allowance = interval * 3 + configuration.collectors.timeout * 4
            + .milliseconds(configuration.collectors.schemaTimeoutMilliseconds)
        defer {
            heartbeats.remove(beatName)
            snapshotMetrics?.forget(server: runtime.serverLabel)
        }
        try await runtime.withClient(logger: logger) { client in
            let history = ActivityHistory()
            try await withThrowingTaskGroup(of: Void.self) { group in
                if let interval = configuration.activity.sampleInterval {
                    let sampler = ActivitySampler(settings: runtime.settings)
                    group.addTask { [clock, logger] in
                        await Self.sample(sampler, client: client, into: history, every: interval, clock: clock, logger: logger)
                    }
                }
                defer { group.cancelAll() }
                try await cycle(client: client, history: history, instance: instance, interval: interval, beatName: beatName,
                                allowance: allowance)
            }
        }
    }

    /// Samples the non-idle client backends every `interval` until cancelled (`[activity]`). A sample that
    /// fails is counted, not retried; after failures in a row the next ones wait longer (up to 30
    /// intervals), so a server that is down is not asked for a connection every second.
    static func sample(_ sampler: ActivitySampler, client: PostgresClient, into history: ActivityHistory, every interval: Duration,
                       clock: DaemonClock, logger: Logger) async {
        var next = clock.now.advanced(by: interval)
        var failures = 0
        while !Task.isCancelled, !Task.isShuttingDownGracefully {
            do { try await clock.sleep(until: next) } catch { return }
            do {
                history.add(try await sampler.sample(client: client, logger: logger))
                failures = 0
            } catch {
                history.addFailure()
                failures += 1
            }
            next = next.advanced(by: interval * max(1, min(failures, 30)))
            // A sample that overran its slot skips the slots it missed, so the count stays time.
            if next < clock.now { next = clock.now.advanced(by: interval) }
        }
    }

    private func cycle(client: PostgresClient, history: ActivityHistory, instance: String, interval: Duration, beatName: String,
                       allowance: Duration) async throws {
        do {
            let collector = try runtime.makeCollector(client: client, project: configuration.agent.project,
                                                      hostname: hostname, statvfs: statvfs, logger: logger)
            let clock = self.clock
            let origin = clock.now
            var schedule = CycleSchedule(interval: interval, start: .zero)
            var late: CollectorErrorEntry?
            logger.info("snapshot cycle started", metadata: ["instance": "\(instance)", "interval_s": "\(configuration.agent.intervalSeconds)"])
            while !Task.isShuttingDownGracefully, !Task.isCancelled {
                heartbeats.beat(beatName, allowance: allowance)
                let due = origin.advanced(by: schedule.next)
                if clock.now < due {
                    do {
                        try await cancelWhenGracefulShutdown { try await clock.sleep(until: due) }
                    } catch {
                        break
                    }
                    if Task.isShuttingDownGracefully { break }
                }
                heartbeats.beat(beatName, allowance: allowance)
                let started = clock.now
                // Host rates divide /proc counters by real elapsed time, whatever clock paces the cycles.
                var payload = await collector.collect(now: ContinuousClock.now, wallClock: Date().timeIntervalSince1970)
                report(payload)
                snapshotMetrics?.publish(payload, server: runtime.serverLabel)
                snapshotMetrics?.publishHost(from: runtime.serverLabel)
                payload.activitySamples = history.drain(intervalMs: configuration.activity.sampleIntervalMilliseconds,
                                                        limit: configuration.activity.topRows)
                if let entry = late {
                    payload.errors.append(entry)
                    late = nil
                }
                if await store(&payload, instance: instance) { collector.commit(batchID: payload.batchID) }
                let seconds = Self.seconds(started.duration(to: clock.now))
                metrics.add("pgagent_snapshot_cycles_total", labels: [("instance", instance)])
                metrics.set("pgagent_snapshot_duration_seconds", seconds, labels: [("instance", instance)])
                for error in payload.errors {
                    metrics.add("pgagent_collector_errors_total", labels: [("instance", instance), ("collector", error.collector)])
                }
                let outcome = schedule.finish(at: origin.duration(to: clock.now))
                if outcome.missed > 0 {
                    metrics.add("pgagent_snapshot_late_total", Double(outcome.missed), labels: [("instance", instance)])
                    let message = "the cycle took \(String(format: "%.1f", seconds)) s, over its \(configuration.agent.intervalSeconds) s interval: \(outcome.missed) tick(s) skipped"
                    logger.warning("snapshot cycle overran its interval", metadata: [
                        "instance": "\(instance)", "duration_s": "\(seconds)", "ticks_skipped": "\(outcome.missed)",
                    ])
                    late = CollectorErrorEntry(collector: "scheduler", code: "cycle_late", message: message)
                }
            }
            logger.info("snapshot cycle stopped", metadata: ["instance": "\(instance)"])
        }
    }

    /// Tells the session directory which client backends the snapshot saw; a snapshot whose activity
    /// part failed tells nothing (an empty list would end every session).
    private func report(_ payload: SnapshotPayload) {
        guard let sessions, let backends = payload.clientBackends,
              !payload.errors.contains(where: { $0.collector == "activity" }) else { return }
        let observations = backends.map { backend in
            SessionObservation(pid: backend.pid, backendStart: Int64((backend.backendStart * 1_000).rounded(.down)),
                               applicationName: backend.applicationName, user: backend.user, database: backend.database)
        }
        // The list is complete for the moment the server read it, which can be seconds after the snapshot
        // began (its query waited for the pool's connection): stamping it with the start would end a
        // session that was still running then, and its last entries would lose their correlation id.
        let observed = payload.clientBackendsObservedAt ?? payload.timestamp
        sessions.observe(observations, at: Int64((observed * 1_000).rounded(.down)), complete: true)
    }

    /// Adds the spool's state to the `agent` section and appends the payload; true once it is stored.
    private func store(_ payload: inout SnapshotPayload, instance: String) async -> Bool {
        if let status = try? await spool.status() {
            payload.agent.spoolDepth = status.depth
            payload.agent.spoolBytes = status.payloadBytes
            payload.agent.evictedBatches = status.evictedBatches
        }
        do {
            let json = try StreamingJSONEncoder.encode(payload)
            try await spool.append(kind: .snapshot, instance: instance, batchID: payload.batchID.uuidString.lowercased(),
                             json: json)
            return true
        } catch {
            metrics.add("pgagent_spool_errors_total")
            logger.error("a snapshot could not be spooled; its statement deltas go with the next one",
                         metadata: ["instance": "\(instance)", "error": "\(error)"])
            return false
        }
    }

    package static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}

/// Printed by ServiceLifecycle: the name only, never settings that may hold secrets.
extension SnapshotScheduler: CustomStringConvertible {
    package var description: String { "snapshot scheduler of \(runtime.instance.name)" }
}
