/// Exponential backoff with full jitter: the wait before retry `n` (1-based) is uniform in
/// `[0, min(maximum, base * 2^(n-1))]`, or what the server asked for with `Retry-After` when that is
/// longer (the listener knows its load best; only an absurd value is cut, at `maximumRetryAfter`).
package struct Backoff: Sendable {
    /// The first step's upper bound.
    package let base: Duration
    /// The longest wait of our own choosing.
    package let maximum: Duration
    /// The longest `Retry-After` honoured.
    package let maximumRetryAfter: Duration

    package init(base: Duration = .milliseconds(500), maximum: Duration = .seconds(60),
                 maximumRetryAfter: Duration = .seconds(600)) {
        precondition(base > .zero && maximum >= base && maximumRetryAfter >= .zero)
        self.base = base
        self.maximum = maximum
        self.maximumRetryAfter = maximumRetryAfter
    }

    /// The daemon's restarts of a local part (a supervised part that failed, a server that cannot be
    /// asked for its log settings): 1 s, 2 s, 4 s … 60 s, used without jitter through ``ceiling(attempt:)``
    /// since nothing else competes for what they retry.
    package static let restarts = Backoff(base: .seconds(1), maximum: .seconds(60))

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
        return max(jittered, min(retryAfter, maximumRetryAfter))
    }
}
