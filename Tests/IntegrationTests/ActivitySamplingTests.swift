import AgentSchema
import Collectors
import Foundation
import PostgresNIO
import TestSupport
import Testing

/// Active-session history against a real server: three requests doing known amounts of work (one sleeps
/// in a query, one waits for a lock, one sits idle in its transaction) must get the database time they
/// spent, within one sampling interval.
@Suite(.serialized, .timeLimit(.minutes(2))) struct ActivitySamplingTests {
    static let interval = Duration.milliseconds(100)

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    @Test func sampledSecondsMatchTheKnownDurations() async throws {
        let cluster = try Harness.cluster(named: "pg17")
        let table = Harness.unique("ash_lock")
        try await Harness.exec(cluster, "CREATE TABLE \(table) (id int)")
        let sleeper = try await Harness.session(cluster, applicationName: "bitville-a1a1a1a1")
        let waiter = try await Harness.session(cluster, applicationName: "bitville-b2b2b2b2")
        let holder = try await Harness.session(cluster, applicationName: "bitville-c3c3c3c3")
        let history = ActivityHistory()
        let sampled = LockedValue(0)
        let measured = try await Harness.withAgentClient(try Harness.agentSettings(cluster)) { agent -> [String: Duration] in
            var measured: [String: Duration] = [:]
            let sampler = ActivitySampler(settings: try Harness.collectorSettings())
            let sampling = Task {
                let clock = ContinuousClock()
                var next = clock.now.advanced(by: Self.interval)
                while !Task.isCancelled {
                    try? await clock.sleep(until: next)
                    next = next.advanced(by: Self.interval)
                    if let sample = try? await sampler.sample(client: agent.client, logger: Harness.logger) {
                        history.add(sample)
                        sampled.update { $0 += 1 }
                    } else {
                        history.addFailure()
                    }
                }
            }
            // The first sample opens the agent's connection; under the load of the suites beside this one
            // that took the whole measured span once (1 sample in all). Measure once sampling runs.
            try await Harness.eventually("the sampler's first two samples", attempts: 1_500) { sampled.value >= 2 }
            let clock = ContinuousClock()
            _ = try await holder.query("BEGIN", logger: Harness.logger).collect()
            _ = try await holder.query(PostgresQuery(unsafeSQL: "LOCK TABLE \(table) IN ACCESS EXCLUSIVE MODE"), logger: Harness.logger).collect()
            let idleSince = clock.now
            let waiting = Task {
                let start = clock.now
                _ = try await waiter.query(PostgresQuery(unsafeSQL: "SELECT count(*) FROM \(table)"), logger: Harness.logger).collect()
                return clock.now - start
            }
            let sleepStart = clock.now
            _ = try await sleeper.query("SELECT pg_sleep(2)", logger: Harness.logger).collect()
            measured["a1a1a1a1"] = clock.now - sleepStart
            _ = try await holder.query("COMMIT", logger: Harness.logger).collect()
            measured["c3c3c3c3"] = clock.now - idleSince
            measured["b2b2b2b2"] = try await waiting.value
            sampling.cancel()
            _ = await sampling.result
            return measured
        }
        for connection in [sleeper, waiter, holder] { try await connection.close() }
        try await Harness.exec(cluster, "DROP TABLE \(table)")

        let samples = try #require(history.drain(intervalMs: 100, limit: 100))
        #expect(samples.failedSamples <= 1, "\(samples)")
        let byID = Dictionary(uniqueKeysWithValues: samples.topCorrelations.map { ($0.correlationID, $0) })
        for (id, duration) in measured {
            let activity = try #require(byID[id], "\(id) has no samples: \(samples)")
            // Within one sampling interval of the time it really spent (plus a round trip's slack).
            #expect(abs(activity.seconds - Self.seconds(duration)) <= 0.15, "\(id): \(activity.seconds) s sampled, \(duration) measured")
        }
        #expect(byID["a1a1a1a1"]?.topWaits.first?.key == "Timeout:PgSleep")
        #expect(byID["b2b2b2b2"]?.topWaits.first?.key.hasPrefix("Lock:") == true)
        #expect(byID["c3c3c3c3"]?.topWaits.first?.key == "idle in transaction")
    }
}
