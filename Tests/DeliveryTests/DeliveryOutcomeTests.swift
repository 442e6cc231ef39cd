@testable import Delivery
import Testing

@Suite struct DeliveryOutcomeTests {
    @Test(arguments: [200, 201, 202, 204, 299])
    func twoHundredsAcknowledge(status: Int) {
        #expect(DeliveryOutcome.forResponse(status: status) == .acknowledged)
    }

    @Test(arguments: [408, 425, 429, 500, 502, 503, 504, 599, 302, 100])
    func transientAnswersRetry(status: Int) {
        #expect(DeliveryOutcome.forResponse(status: status) == .retry(notBefore: nil))
    }

    @Test(arguments: [401, 403])
    func aRejectedKeyPausesSending(status: Int) {
        #expect(DeliveryOutcome.forResponse(status: status) == .authenticationRejected(status: status))
    }

    @Test(arguments: [400, 404, 409, 413, 415, 422])
    func otherClientErrorsDeadLetterThePayload(status: Int) {
        #expect(DeliveryOutcome.forResponse(status: status) == .rejected(status: status))
    }

    @Test func retryAfterInSecondsAndAsAnHTTPDate() {
        #expect(DeliveryOutcome.forResponse(status: 429, retryAfter: "120") == .retry(notBefore: .seconds(120)))
        // 1994-11-06 08:49:37 UTC is 784111777.
        #expect(RetryAfter.httpDate("Sun, 06 Nov 1994 08:49:37 GMT") == 784_111_777)
        #expect(RetryAfter.parse("Sun, 06 Nov 1994 08:49:37 GMT", now: 784_111_700) == .seconds(77))
        #expect(RetryAfter.parse("Sun, 06 Nov 1994 08:49:37 GMT", now: 784_111_800) == .seconds(0), "past: no wait")
        #expect(DeliveryOutcome.forResponse(status: 503, retryAfter: "soon") == .retry(notBefore: nil))
        #expect(RetryAfter.parse("-5", now: 0) == nil)
        #expect(RetryAfter.parse("Sun, 06 Foo 1994 08:49:37 GMT", now: 0) == nil)
        #expect(RetryAfter.parse("", now: 0) == nil)
    }
}
