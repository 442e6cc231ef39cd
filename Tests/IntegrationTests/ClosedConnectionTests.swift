import Collectors
import PostgresNIO
import Synchronization
import Testing

/// A session the server ends (`pg_terminate_backend`, `idle_session_timeout`, a restart) leaves the
/// agent's plain connection closed. A query sent on it must fail at once: PostgresNIO 1.33 writes it to
/// the closed channel without a promise and never completes it, so a database visit would wait for good.
@Suite(.timeLimit(.minutes(1))) struct ClosedConnectionTests {
    @Test func aQueryOnASessionTheServerEndedFailsInsteadOfWaiting() async throws {
        let cluster = try Harness.cluster(named: "pg15")
        var options = PostgresClientFactory.Options()
        options.statementTimeoutMs = 5000
        let probe = try ConnectionProbe(try Harness.agentSettings(cluster), options: options)
        let victim = try await probe.connect(database: nil, id: 1, logger: Harness.logger)
        let pid = try #require(try await victim.rows("SELECT pg_backend_pid() AS pid", logger: Harness.logger).first?
            .value("pid", as: Int32.self))
        // The monitoring role may end its own sessions.
        let other = try await probe.connect(database: nil, id: 2, logger: Harness.logger)
        _ = try await other.rows(PostgresQuery(unsafeSQL: "SELECT pg_terminate_backend(\(pid))"), logger: Harness.logger)
        try await other.close()
        try await Harness.eventually("the client saw the session end") { victim.isClosed }

        // The query runs in a task of its own: one that never returns must fail this test, not hang it.
        let outcome: String = await withCheckedContinuation { continuation in
            let answered = Mutex(false)
            let answer: @Sendable (String) -> Void = { value in
                if answered.withLock({ done in defer { done = true }; return !done }) { continuation.resume(returning: value) }
            }
            Task {
                do {
                    _ = try await victim.rows("SELECT 1", logger: Harness.logger)
                    answer("answered")
                } catch {
                    answer("failed")
                }
            }
            // A bound for a query that never returns; the answer comes at once either way.
            Task {
                try? await Task.sleep(for: .seconds(20))
                answer("no answer")
            }
        }
        #expect(outcome == "failed")
    }
}
