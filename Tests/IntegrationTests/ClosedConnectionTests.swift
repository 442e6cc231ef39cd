import Collectors
import PostgresNIO
import Synchronization
import Testing

/// A session the server ends (`pg_terminate_backend`, `idle_session_timeout`, a restart) leaves a closed
/// connection: a plain one the agent holds, or one in the pool that the pool has not yet noticed. A query
/// sent on it must fail at once: PostgresNIO 1.33 writes it to the closed channel without a promise and
/// never completes it, so a database visit or a snapshot part would wait for good.
@Suite(.timeLimit(.minutes(1))) struct ClosedConnectionTests {
    /// How `query` ended: "answered", "failed", or "no answer" after `seconds`. The query runs in a task of
    /// its own, so that one that never returns fails the test instead of hanging it.
    static func outcome(within seconds: Int, _ query: @escaping @Sendable () async throws -> Void) async -> String {
        await withCheckedContinuation { continuation in
            let answered = Mutex(false)
            let answer: @Sendable (String) -> Void = { value in
                if answered.withLock({ done in defer { done = true }; return !done }) { continuation.resume(returning: value) }
            }
            Task {
                do {
                    try await query()
                    answer("answered")
                } catch {
                    answer("failed")
                }
            }
            // A bound for a query that never returns; the answer comes at once either way.
            Task {
                try? await Task.sleep(for: .seconds(seconds))
                answer("no answer")
            }
        }
    }

    /// Ends the session `pid` as the monitoring role (which may end its own sessions).
    static func terminate(_ pid: Int32, through probe: ConnectionProbe) async throws {
        let other = try await probe.connect(database: nil, id: 2, logger: Harness.logger)
        _ = try await other.rows(PostgresQuery(unsafeSQL: "SELECT pg_terminate_backend(\(pid))"), logger: Harness.logger)
        try await other.close()
    }

    @Test func aQueryOnASessionTheServerEndedFailsInsteadOfWaiting() async throws {
        let cluster = try Harness.cluster(named: "pg15")
        var options = PostgresClientFactory.Options()
        options.statementTimeoutMs = 5000
        let probe = try ConnectionProbe(try Harness.agentSettings(cluster), options: options)
        let victim = try await probe.connect(database: nil, id: 1, logger: Harness.logger)
        let pid = try #require(try await victim.rows("SELECT pg_backend_pid() AS pid", logger: Harness.logger).first?
            .value("pid", as: Int32.self))
        try await Self.terminate(pid, through: probe)
        try await Harness.eventually("the client saw the session end") { victim.isClosed }

        #expect(await Self.outcome(within: 20) { _ = try await victim.rows("SELECT 1", logger: Harness.logger) } == "failed")
    }

    /// The pool's side of the same: a query right after the server ended the pool's only session. Without
    /// the open-connection checks, 13 of 60 such queries never returned in one run and 1 of 20 in another;
    /// with them, none of 80.
    @Test(arguments: 0..<20) func aPoolQueryRightAfterTheServerEndedItsSessionReturns(_ round: Int) async throws {
        let cluster = try Harness.cluster(named: "pg15")
        let outcome = try await Harness.withAgentClient(try Harness.agentSettings(cluster)) { agent in
            let pid = try #require(try await agent.client.rows("SELECT pg_backend_pid() AS pid", logger: Harness.logger).first?
                .value("pid", as: Int32.self))
            try await Self.terminate(pid, through: agent.probe)
            return await Self.outcome(within: 10) { _ = try await agent.client.rows("SELECT 1", logger: Harness.logger) }
        }
        // Answered by a new session, or failed: either way the next cycle goes on.
        #expect(outcome != "no answer", "round \(round)")
    }
}
