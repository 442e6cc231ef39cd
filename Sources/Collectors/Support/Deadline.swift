/// Runs `work` with a deadline on `clock`; past it the work is cancelled and a `timeout` error thrown.
///
/// Each collector gets one so that a slow view (a huge `pg_stat_statements`, a lock manager under
/// pressure) can cost at most its own part of the snapshot, never the others'.
package func withDeadline<C: Clock, T: Sendable>(
    _ timeout: C.Duration,
    clock: C,
    _ work: @escaping @Sendable () async throws -> T
) async throws -> T {
    try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask { try await work() }
        group.addTask {
            try await clock.sleep(for: timeout)
            return nil
        }
        defer { group.cancelAll() }
        guard let first = try await group.next() else { throw CancellationError() }
        guard let value = first else {
            throw CollectorError(code: .timeout, message: "collector deadline passed")
        }
        return value
    }
}
