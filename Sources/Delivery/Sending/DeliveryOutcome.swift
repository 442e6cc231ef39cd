import AgentSchema
import Foundation

/// What the transmitter does with a payload after one send, decided from the listener's answer alone
/// (docs/architecture.md, "Delivery"). Pure, so every status code's handling is a unit test.
package enum DeliveryOutcome: Sendable, Equatable {
    /// 2xx: the listener has it; delete it from the spool.
    case acknowledged
    /// 408, 429, 5xx, a connection failure, a timeout or a garbled answer: keep it and send it again
    /// later, not before `notBefore` when the listener said so (`Retry-After`).
    case retry(notBefore: Duration?)
    /// 401, 403: the key is wrong. Stop sending (keep spooling), say so loudly, try again later.
    case authenticationRejected(status: Int)
    /// 413, and 400 or 422 that give the listener's reason: this payload will never be accepted. Move it
    /// to the dead letters, with `reason`, so it does not block the queue.
    case rejected(status: Int, reason: String)
    /// Every other 4xx (404, 405, 415, a 400 without the listener's reason, …): the answer says "wrong
    /// place" or "not allowed", which is a configuration error (a wrong URL, a proxy in front), not a
    /// verdict on this payload. Pause sending, keep spooling, try again later.
    case misdirected(status: Int)

    /// The outcome of an HTTP answer with `status` and, if present, its `Retry-After` value and the
    /// reason its body gave (``ListenerReason``).
    package static func forResponse(status: Int, retryAfter: String? = nil, now: Double = 0,
                                    reason: String? = nil) -> DeliveryOutcome {
        switch status {
        case 200..<300:
            return .acknowledged
        case 401, 403:
            return .authenticationRejected(status: status)
        case 408, 425, 429, 500..<600:
            return .retry(notBefore: retryAfter.flatMap { RetryAfter.parse($0, now: now) })
        case 413:
            return .rejected(status: status, reason: reason ?? "HTTP 413")
        case 400, 422:
            // A proxy's own 400 ("plain HTTP sent to an HTTPS port") would condemn every payload: only
            // the listener's reason proves that this payload is at fault.
            guard let reason else { return .misdirected(status: status) }
            return .rejected(status: status, reason: reason)
        case 400..<500:
            return .misdirected(status: status)
        default:
            // 1xx and 3xx are not answers to a POST we understand: treat as a transient failure.
            return .retry(notBefore: nil)
        }
    }
}

/// The `Retry-After` header (RFC 9110 §10.2.3): delay-seconds or an HTTP-date.
package enum RetryAfter {
    /// The wait it asks for, or nil when it does not parse. A date in the past means no wait.
    ///
    /// - Parameter now: the current time, epoch seconds (for the HTTP-date form).
    package static func parse(_ value: String, now: Double) -> Duration? {
        let text = value.trimmingCharacters(in: .whitespaces)
        if !text.isEmpty, text.allSatisfy(\.isASCII), text.allSatisfy(\.isNumber), let seconds = Int64(text) {
            return .seconds(seconds)
        }
        guard let date = httpDate(text) else { return nil }
        return .seconds(max(0, (date - now).rounded(.up)))
    }

    /// IMF-fixdate only (`Sun, 06 Nov 1994 08:49:37 GMT`), the form servers must send.
    static func httpDate(_ text: String) -> Double? {
        let parts = text.split(separator: " ")
        guard parts.count == 6, parts[5] == "GMT", parts[0].hasSuffix(","),
              let day = Int(parts[1]), let year = Int(parts[3]) else { return nil }
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        guard let monthIndex = months.firstIndex(of: String(parts[2])) else { return nil }
        let clock = parts[4].split(separator: ":")
        guard clock.count == 3, let hour = Int(clock[0]), let minute = Int(clock[1]), let second = Int(clock[2]),
              (1...31).contains(day), (0..<24).contains(hour), (0..<60).contains(minute), (0...60).contains(second)
        else { return nil }
        let days = CivilCalendar.daysFromCivil(year: year, month: monthIndex + 1, day: day)
        return Double(days * 86_400 + hour * 3_600 + minute * 60 + second)
    }
}
