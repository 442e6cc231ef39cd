/// Interval deltas of a set of cumulative counters. Pure.
package enum CounterDeltas {
    /// `current − previous` for every key in both; nil when there is no previous sample, when `resetMarker`
    /// changed (the view's `stats_reset`), or when any counter went backwards: after a reset we cannot tell
    /// how much of the current value falls inside the interval, so we report none rather than a wrong one.
    package static func compute(previous: [String: Double]?, current: [String: Double],
                                previousReset: String?, currentReset: String?) -> [String: Double]? {
        guard let previous, previousReset == currentReset else { return nil }
        var deltas: [String: Double] = [:]
        for (key, value) in current {
            guard let before = previous[key] else { continue }
            if value < before { return nil }
            deltas[key] = value - before
        }
        return deltas
    }
}
