@testable import AgentDaemon
import AgentConfiguration
import Logging
import ServiceLifecycle
import Synchronization
import TestSupport
import Testing

/// The supervisor on a manual clock: a failed part is restarted after its backoff and then left to run,
/// and a reload that changes the part's settings still reaches it afterwards.
@Suite(.timeLimit(.minutes(1))) struct SupervisorTests {
    /// Fails at its first start; later starts sleep on the clock until cancelled.
    final class Part: Service, Sendable {
        struct Failure: Error {}
        let clock: ManualClock
        let starts: Starts

        init(clock: ManualClock, starts: Starts) {
            self.clock = clock
            self.starts = starts
        }

        func run() async throws {
            let start = starts.next()
            if start == 1 { throw Failure() }
            try await clock.sleep(for: .seconds(1000))
        }
    }

    /// How many times the part was started.
    final class Starts: Sendable {
        private let count = Mutex(0)
        var value: Int { count.withLock { $0 } }
        func next() -> Int {
            count.withLock { count in
                count += 1
                return count
            }
        }
    }

    /// Yields until `condition` holds (the code under test runs on other threads).
    static func until(_ condition: () -> Bool) async {
        while !condition() { await Task.yield() }
    }

    @Test func aPartThatFailedOnceRunsOnAfterItsRestartAndStillHearsReloads() async throws {
        let clock = ManualClock()
        let starts = Starts()
        let logs = LogCapture()
        let hub = ConfigurationHub(AgentConfiguration())
        let supervisor = Supervisor(name: "part", hub: hub, key: { $0.agent.intervalSeconds },
                                    make: { _ in Part(clock: clock, starts: starts) }, clock: DaemonClock(clock),
                                    logger: Logger(label: "test") { _ in LogCapture.Handler(capture: logs) })
        let task = Task { try await supervisor.run() }

        // The first start fails: the backoff (1 s) sleeps on the clock.
        await Self.until { clock.deadlines == [.init(offset: .seconds(1))] }
        clock.advance(by: .seconds(1))
        // The second start runs: it sleeps until 1,001 s, and nothing cancels it.
        await Self.until { clock.deadlines == [.init(offset: .seconds(1001))] }
        for _ in 0..<1000 { await Task.yield() }
        #expect(clock.deadlines == [.init(offset: .seconds(1001))], "the running part was not cancelled")
        #expect(starts.value == 2)
        #expect(!logs.all.contains { $0.message == "part stopped; restarting" })

        // A reload that changes the part's key restarts it, at once and without backoff.
        var next = hub.current
        next.agent.intervalSeconds = 30
        hub.publish(next)
        await Self.until { starts.value == 3 }
        #expect(logs.all.contains { $0.message == "part restarts with the new configuration" })
        await Self.until { clock.deadlines == [.init(offset: .seconds(1001))] }
        #expect(logs.all.filter { $0.level == .error }.count == 1, "one failure, the first start")
        task.cancel()
        _ = try? await task.value
    }
}
