@testable import Delivery
import Testing

/// The breaker and the backoff are pure: time is a plain duration the test sets.
@Suite struct CircuitBreakerTests {
    /// `#expect` cannot call a mutating method itself.
    static func allows(_ breaker: inout CircuitBreaker, at now: Duration) -> Bool {
        breaker.allowsRequest(at: now)
    }

    @Test func opensAfterTheThresholdAndProbesAfterTheCoolDown() {
        var breaker = CircuitBreaker(failureThreshold: 3, coolDown: .seconds(10), maximumCoolDown: .seconds(40))
        for second in 0..<2 {
            #expect(Self.allows(&breaker, at: .seconds(second)))
            breaker.recordFailure(at: .seconds(second))
        }
        #expect(breaker.phase == .closed)
        #expect(Self.allows(&breaker, at: .seconds(2)))
        breaker.recordFailure(at: .seconds(2))
        #expect(breaker.phase == .open)
        #expect(!Self.allows(&breaker, at: .seconds(11)))
        #expect(breaker.retryAt == .seconds(12))
        // The cool-down passed: one probe, and no second one while it is out.
        #expect(Self.allows(&breaker, at: .seconds(12)))
        #expect(breaker.phase == .halfOpen)
        #expect(!Self.allows(&breaker, at: .seconds(12)))
        // The probe fails: open again for twice as long.
        breaker.recordFailure(at: .seconds(13))
        #expect(breaker.retryAt == .seconds(33))
        #expect(Self.allows(&breaker, at: .seconds(33)))
        breaker.recordFailure(at: .seconds(33))
        #expect(breaker.retryAt == .seconds(73), "capped at 40 s")
        #expect(Self.allows(&breaker, at: .seconds(73)))
        breaker.recordSuccess()
        #expect(breaker.phase == .closed)
        #expect(Self.allows(&breaker, at: .seconds(74)))
    }

    @Test func aSuccessResetsTheFailureCount() {
        var breaker = CircuitBreaker(failureThreshold: 2, coolDown: .seconds(1))
        breaker.recordFailure(at: .zero)
        breaker.recordSuccess()
        breaker.recordFailure(at: .zero)
        #expect(breaker.phase == .closed)
    }

    @Test func backoffDoublesUpToTheMaximumWithFullJitter() {
        let backoff = Backoff(base: .milliseconds(500), maximum: .seconds(8))
        #expect(backoff.ceiling(attempt: 1) == .milliseconds(500))
        #expect(backoff.ceiling(attempt: 4) == .seconds(4))
        #expect(backoff.ceiling(attempt: 10) == .seconds(8))
        #expect(backoff.ceiling(attempt: 1_000) == .seconds(8))
        #expect(backoff.delay(attempt: 4, random: 0) == .zero)
        #expect(backoff.delay(attempt: 4, random: 0.5) == .seconds(2))
        #expect(backoff.delay(attempt: 4, random: 1) == .seconds(4))
    }

    @Test func retryAfterWinsWhenLongerUpToItsOwnLimit() {
        let backoff = Backoff(base: .milliseconds(500), maximum: .seconds(30), maximumRetryAfter: .seconds(600))
        #expect(backoff.delay(attempt: 1, retryAfter: .seconds(10), random: 0.5) == .seconds(10))
        #expect(backoff.delay(attempt: 1, retryAfter: .seconds(300), random: 0.5) == .seconds(300))
        #expect(backoff.delay(attempt: 1, retryAfter: .seconds(86_400), random: 0.5) == .seconds(600))
        #expect(backoff.delay(attempt: 5, retryAfter: .milliseconds(1), random: 1) == .seconds(8))
    }
}
