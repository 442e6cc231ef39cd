@testable import Listener
import Synchronization
import Testing

@Suite struct RequestDeadlineTests {
    /// How many times `onMiss` ran.
    final class Misses: Sendable {
        private let count = Mutex(0)
        func add() { count.withLock { $0 += 1 } }
        var value: Int { count.withLock { $0 } }
    }

    @Test func aBodyReadInTimeMeetsTheDeadlineAndNothingIsClosed() {
        let misses = Misses()
        let deadline = RequestDeadline(timeout: .seconds(600)) { misses.add() }
        #expect(deadline.meet())
        #expect(deadline.meet(), "asking again gives the same answer")
        #expect(misses.value == 0)
    }

    @Test func aMissedDeadlineRunsOnMissOnceAndIsNotMetAfterwards() async throws {
        let misses = Misses()
        let deadline = RequestDeadline(timeout: .milliseconds(20)) { misses.add() }
        for _ in 0..<500 where misses.value == 0 { try await Task.sleep(for: .milliseconds(10)) }
        #expect(misses.value == 1)
        #expect(!deadline.meet(), "a body that came after the deadline is not trusted")
        #expect(misses.value == 1)
    }
}
