/// Exponential backoff with full jitter: the wait before retry `n` (1-based) is uniform in
/// `[0, min(maximum, base * 2^(n-1))]`, or what the server asked for with `Retry-After` when that is
/// longer (capped at `maximum`).
package struct Backoff: Sendable {
    /// The first step's upper bound.
    package let base: Duration
    /// The longest wait.
    package let maximum: Duration

    package init(base: Duration = .milliseconds(500), maximum: Duration = .seconds(60)) {
        precondition(base > .zero && maximum >= base)
        self.base = base
        self.maximum = maximum
    }

    /// The upper bound of the wait before retry `attempt`.
    package func ceiling(attempt: Int) -> Duration {
        let exponent = min(max(attempt - 1, 0), 30)
        let scaled = base * (1 << exponent)
        return min(scaled, maximum)
    }

    /// The wait before retry `attempt`, drawing the jitter from `random` (a number in `0...1`).
    package func delay(attempt: Int, retryAfter: Duration? = nil, random: Double) -> Duration {
        let jittered = ceiling(attempt: attempt) * min(max(random, 0), 1)
        guard let retryAfter else { return jittered }
        return min(max(jittered, retryAfter), maximum)
    }
}
