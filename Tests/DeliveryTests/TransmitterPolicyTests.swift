@testable import Delivery
import Testing

/// The transmitter's decisions without its I/O: each answer's step, the attempt count behind the
/// backoff, the breaker's phases, the key pause, and when the shutdown drain gives up.
@Suite struct TransmitterPolicyTests {
    static func policy(threshold: Int = 3) -> TransmitterPolicy {
        TransmitterPolicy(breaker: CircuitBreaker(failureThreshold: threshold, coolDown: .seconds(30), maximumCoolDown: .seconds(120)),
                          backoff: Backoff(base: .seconds(1), maximum: .seconds(8)),
                          authenticationRetry: .seconds(60), idlePoll: .milliseconds(500))
    }

    /// `#expect` cannot call a mutating method itself.
    static func gate(_ policy: inout TransmitterPolicy, at now: Duration) -> TransmitterPolicy.Gate {
        policy.gate(at: now)
    }

    @Test func retriesBackOffPerAttemptAndAnAcknowledgementStartsOver() {
        var policy = Self.policy(threshold: 10)
        var delays: [Duration] = []
        for second in 0..<5 {
            let (step, _) = policy.record(.retry(notBefore: nil), start: .seconds(second), end: .seconds(second), random: 1)
            if case let .retry(after) = step { delays.append(after) }
        }
        #expect(delays == [.seconds(1), .seconds(2), .seconds(4), .seconds(8), .seconds(8)])
        #expect(policy.record(.acknowledged, start: .seconds(9), end: .seconds(9), random: 1).step == .acknowledge)
        #expect(policy.record(.retry(notBefore: nil), start: .seconds(10), end: .seconds(10), random: 1).step
                == .retry(after: .seconds(1)))
        // Retry-After longer than our own backoff wins; jitter draws below the ceiling.
        #expect(policy.record(.retry(notBefore: .seconds(90)), start: .seconds(11), end: .seconds(11), random: 1).step
                == .retry(after: .seconds(90)))
        #expect(policy.record(.retry(notBefore: nil), start: .seconds(12), end: .seconds(12), random: 0.5).step
                == .retry(after: .seconds(2)))
        #expect(policy.status.retries == 8)
        #expect(policy.status.sent == 1)
        #expect(policy.status.requests == 9)
    }

    @Test func theBreakerOpensHoldsSendsProbesAndClosesWithANoticeEachWay() {
        var policy = Self.policy(threshold: 3)
        var notices: [TransmitterPolicy.Notice] = []
        for second in 0..<3 {
            #expect(Self.gate(&policy, at: .seconds(second)) == .send)
            if let notice = policy.record(.retry(notBefore: nil), start: .seconds(second), end: .seconds(second), random: 0).notice {
                notices.append(notice)
            }
        }
        #expect(notices == [.breakerOpened(coolDown: .seconds(30))])
        #expect(policy.status.breaker == .open)
        #expect(Self.gate(&policy, at: .seconds(10)) == .wait(until: .seconds(32)))
        #expect(policy.drainIsOver(spoolIsEmpty: false))
        // The cool-down passed: one probe goes, a second waits for it.
        #expect(Self.gate(&policy, at: .seconds(32)) == .send)
        #expect(policy.status.breaker == .halfOpen)
        #expect(Self.gate(&policy, at: .seconds(32)) == .wait(until: .milliseconds(32_500)))
        // The probe fails: open for twice as long, said again.
        #expect(policy.record(.retry(notBefore: nil), start: .seconds(32), end: .seconds(33), random: 0).notice
                == .breakerOpened(coolDown: .seconds(60)))
        #expect(Self.gate(&policy, at: .seconds(93)) == .send)
        let closing = policy.record(.acknowledged, start: .seconds(93), end: .seconds(93), random: 0)
        #expect(closing.notice == .breakerClosed)
        #expect(policy.status.breaker == .closed)
        #expect(!policy.drainIsOver(spoolIsEmpty: false))
        #expect(policy.drainIsOver(spoolIsEmpty: true))
    }

    @Test func aRefusedKeyPausesWithoutTouchingTheBreakerAndIsSaidOnceEachWay() {
        var policy = Self.policy(threshold: 1)
        let first = policy.record(.authenticationRejected(status: 401), start: .zero, end: .zero, random: 0)
        #expect(first.step == .pause(for: .seconds(60)))
        #expect(first.notice == .keyRejected(status: 401, retryIn: .seconds(60)))
        #expect(policy.record(.authenticationRejected(status: 403), start: .seconds(60), end: .seconds(60), random: 0).notice == nil)
        // Even with a threshold of one failure, the breaker stayed closed: the listener is up.
        #expect(policy.status.breaker == .closed)
        #expect(policy.status.retries == 0)
        #expect(policy.status.authenticationRejected)
        #expect(policy.drainIsOver(spoolIsEmpty: false))
        let accepted = policy.record(.acknowledged, start: .seconds(120), end: .seconds(120), random: 0)
        #expect(accepted.notice == .keyAccepted)
        #expect(!policy.status.authenticationRejected)
    }

    @Test func aCondemnedPayloadIsDeadLetteredAndTheNextStartsWithAFreshBackoff() {
        var policy = Self.policy(threshold: 10)
        for second in 0..<3 { _ = policy.record(.retry(notBefore: nil), start: .seconds(second), end: .seconds(second), random: 1) }
        #expect(policy.record(.rejected(status: 413, reason: "HTTP 413"), start: .seconds(3), end: .seconds(3), random: 1).step
                == .deadLetter(status: 413, reason: "HTTP 413"))
        #expect(policy.status.deadLettered == 1)
        #expect(policy.record(.retry(notBefore: nil), start: .seconds(4), end: .seconds(4), random: 1).step == .retry(after: .seconds(1)))
    }

    @Test func requestTimeIsSummedFromStartToEnd() {
        var policy = Self.policy()
        _ = policy.record(.acknowledged, start: .seconds(1), end: .milliseconds(1_250), random: 0)
        _ = policy.record(.acknowledged, start: .seconds(2), end: .milliseconds(2_500), random: 0)
        #expect(policy.status.requests == 2)
        #expect(abs(policy.status.requestSeconds - 0.75) < 1e-9)
    }

    @Test func aWrongPlaceAnswerPausesLongerEachTimeIsSaidOnceAndEndsWithTheFirstAcceptedPayload() {
        var policy = Self.policy(threshold: 1)
        var steps: [TransmitterPolicy.Step] = []
        var notices: [TransmitterPolicy.Notice] = []
        for (second, status) in [(0, 404), (1, 404), (3, 404), (7, 405)] {
            let (step, notice) = policy.record(.misdirected(status: status), start: .seconds(second), end: .seconds(second), random: 0)
            steps.append(step)
            if let notice { notices.append(notice) }
        }
        #expect(steps == [.pause(for: .seconds(1)), .pause(for: .seconds(2)), .pause(for: .seconds(4)), .pause(for: .seconds(8))])
        // Said when it starts and when the status changes, not on every probe.
        #expect(notices == [.misdirected(status: 404, retryIn: .seconds(1)), .misdirected(status: 405, retryIn: .seconds(8))])
        #expect(policy.status.misdirectedStatus == 405)
        #expect(policy.status.breaker == .closed, "the listener answered: the breaker is for an absent one")
        #expect(policy.status.deadLettered == 0)
        #expect(policy.drainIsOver(spoolIsEmpty: false))
        let accepted = policy.record(.acknowledged, start: .seconds(15), end: .seconds(15), random: 0)
        #expect(accepted.notice == .misdirectionEnded)
        #expect(policy.status.misdirectedStatus == nil)
        // The pauses start over after the answer changed.
        #expect(policy.record(.misdirected(status: 404), start: .seconds(16), end: .seconds(16), random: 0).step == .pause(for: .seconds(1)))
    }
}
