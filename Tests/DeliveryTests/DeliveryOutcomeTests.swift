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

    /// "Wrong place" or "not allowed": a wrong URL or a proxy in front, not a verdict on the payload.
    @Test(arguments: [404, 405, 409, 410, 411, 414, 415, 421, 451])
    func wrongPlaceAnswersPauseInsteadOfCondemning(status: Int) {
        #expect(DeliveryOutcome.forResponse(status: status) == .misdirected(status: status))
        #expect(DeliveryOutcome.forResponse(status: status, reason: "invalid_payload: x") == .misdirected(status: status))
    }

    @Test func onlyA413OrAReasonedRefusalCondemnsThePayload() {
        #expect(DeliveryOutcome.forResponse(status: 413) == .rejected(status: 413, reason: "HTTP 413"))
        #expect(DeliveryOutcome.forResponse(status: 413, reason: "payload_too_large: over 10 MB")
                == .rejected(status: 413, reason: "payload_too_large: over 10 MB"))
        #expect(DeliveryOutcome.forResponse(status: 400, reason: "invalid_payload: not JSON")
                == .rejected(status: 400, reason: "invalid_payload: not JSON"))
        #expect(DeliveryOutcome.forResponse(status: 422, reason: "invalid_payload: schema") == .rejected(status: 422, reason: "invalid_payload: schema"))
        // A proxy's own 400 ("plain HTTP request sent to HTTPS port") gives no reason: pause.
        #expect(DeliveryOutcome.forResponse(status: 400) == .misdirected(status: 400))
    }

    @Test func theReasonIsTheListenersJSONErrorOnly() {
        #expect(ListenerReason.parse(Array(#"{"error":"invalid_payload","message":"the body is not JSON"}"#.utf8))
                == "invalid_payload: the body is not JSON")
        #expect(ListenerReason.parse(Array(#"{"error":"payload_too_large"}"#.utf8)) == "payload_too_large")
        #expect(ListenerReason.parse(Array("<html><body>400 Bad Request</body></html>".utf8)) == nil)
        #expect(ListenerReason.parse(Array(#"{"status":"stored"}"#.utf8)) == nil)
        #expect(ListenerReason.parse([]) == nil)
        let long = ListenerReason.parse(Array(#"{"error":"e","message":"\#(String(repeating: "x", count: 5_000))\n\u0007"}"#.utf8))
        #expect(long?.count == ListenerReason.maxLength)
        #expect(ListenerReason.parse(Array(#"{"error":"e","message":"a\nb\u0007c"}"#.utf8)) == "e: abc")
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
