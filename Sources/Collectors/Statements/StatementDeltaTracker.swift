/// The pure delta logic of the statements collector: from the previous state and a new sample to the
/// interval's deltas and the next state. No I/O, no clock: times come from the server, inside the sample.
///
/// Deltas are never negative or inflated:
/// - a new server (other system identifier) or no previous state: a baseline, no deltas;
/// - `stats_reset` moved: everything now in the view happened since the reset, inside the interval, so the
///   current values *are* the deltas;
/// - a server restart or an entry whose counters went backwards (evicted and re-created, or statistics lost
///   in a crash): that entry's current values are its delta;
/// - an entry we had not seen: it was created during the interval, so again its values are its delta.
package enum StatementDeltaTracker {
    /// One sample of `pg_stat_statements`.
    package struct Sample: Sendable {
        package var serverIdentity: String
        package var startTime: Double
        package var statsReset: Double?
        package var dealloc: Int64?
        /// Server clock at the sample.
        package var time: Double
        /// The entries returned: all of them when `isFull`, else only those whose counters moved.
        package var entries: [StatementKey: StatementCounters]
        /// The server's fingerprints of the returned entries.
        package var fingerprints: [StatementKey: Int64]
        package var isFull: Bool

        package init(serverIdentity: String, startTime: Double, statsReset: Double?, dealloc: Int64?,
                     time: Double, entries: [StatementKey: StatementCounters],
                     fingerprints: [StatementKey: Int64] = [:], isFull: Bool) {
            self.fingerprints = fingerprints
            self.serverIdentity = serverIdentity
            self.startTime = startTime
            self.statsReset = statsReset
            self.dealloc = dealloc
            self.time = time
            self.entries = entries
            self.isFull = isFull
        }
    }

    /// What one step yields.
    package struct Outcome: Sendable {
        /// Non-zero deltas of the interval.
        package var deltas: [StatementKey: StatementCounters]
        /// Why deltas were re-based, in the order found (`new_server`, `stats_reset`, `server_restart`,
        /// `dealloc`, `counter_decrease`).
        package var resets: [String]
        /// True when there was nothing to compare with.
        package var baseline: Bool
        package var intervalSeconds: Double?
        package var deallocDelta: Int64?
        /// The state to keep for the next step.
        package var state: StatementsState
    }

    /// Whether the next sample must read every entry (else only the changed ones are fetched).
    ///
    /// Anything that can make entries disappear or restart their counters needs the full view: no
    /// previous state, another server, a restart, a stats reset, or evictions (`dealloc` moved).
    package static func needsFullFetch(previous: StatementsState?, serverIdentity: String, startTime: Double,
                                       statsReset: Double?, dealloc: Int64?) -> Bool {
        guard let previous else { return true }
        return previous.serverIdentity != serverIdentity || previous.startTime != startTime
            || previous.statsReset != statsReset || previous.dealloc != dealloc
    }

    /// Advances from `previous` to `sample`.
    package static func advance(previous: StatementsState?, sample: Sample) -> Outcome {
        func nextState(_ entries: [StatementKey: StatementCounters],
                       _ fingerprints: [StatementKey: Int64]? = nil) -> StatementsState {
            StatementsState(serverIdentity: sample.serverIdentity, startTime: sample.startTime,
                            statsReset: sample.statsReset, dealloc: sample.dealloc, sampleTime: sample.time,
                            entries: entries, fingerprints: fingerprints ?? sample.fingerprints)
        }
        guard let previous, previous.serverIdentity == sample.serverIdentity else {
            // A partial sample cannot seed a baseline; callers fetch fully when there is no state.
            return Outcome(deltas: [:], resets: previous == nil ? [] : ["new_server"], baseline: true,
                           intervalSeconds: nil, deallocDelta: nil, state: nextState(sample.entries))
        }

        var resets: [String] = []
        let statsWereReset = previous.statsReset != sample.statsReset && sample.statsReset != nil
        if statsWereReset { resets.append("stats_reset") }
        if previous.startTime != sample.startTime { resets.append("server_restart") }
        var deallocDelta: Int64?
        if let now = sample.dealloc, let before = previous.dealloc {
            deallocDelta = now >= before ? now - before : now
            if now != before { resets.append("dealloc") }
        }

        var deltas: [StatementKey: StatementCounters] = [:]
        var sawDecrease = false
        for (key, current) in sample.entries {
            let delta: StatementCounters
            if statsWereReset {
                delta = current
            } else if let earlier = previous.entries[key] {
                if current.wentBackwards(from: earlier) {
                    sawDecrease = true
                    delta = current
                } else {
                    delta = current.subtracting(earlier)
                }
            } else {
                delta = current
            }
            if !delta.isZero { deltas[key] = delta }
        }
        if sawDecrease { resets.append("counter_decrease") }

        var entries = sample.entries
        var fingerprints = sample.fingerprints
        if !sample.isFull {
            entries = previous.entries.merging(sample.entries) { _, new in new }
            fingerprints = previous.fingerprints.merging(sample.fingerprints) { _, new in new }
        }
        return Outcome(deltas: deltas, resets: resets, baseline: false,
                       intervalSeconds: max(0, sample.time - previous.sampleTime),
                       deallocDelta: deallocDelta, state: nextState(entries, fingerprints))
    }

    /// Splits deltas into the top `limit` by execution time and the sum of the rest.
    package static func rank(_ deltas: [StatementKey: StatementCounters], limit: Int)
        -> (top: [(key: StatementKey, counters: StatementCounters)], other: StatementCounters?, otherEntries: Int) {
        let sorted = deltas.sorted { a, b in
            if a.value.totalExecTime != b.value.totalExecTime { return a.value.totalExecTime > b.value.totalExecTime }
            if a.value.calls != b.value.calls { return a.value.calls > b.value.calls }
            return (a.key.queryid, a.key.userid, a.key.dbid) < (b.key.queryid, b.key.userid, b.key.dbid)
        }
        let top = sorted.prefix(max(0, limit)).map { (key: $0.key, counters: $0.value) }
        let rest = sorted.dropFirst(max(0, limit))
        guard !rest.isEmpty else { return (top, nil, 0) }
        var other = StatementCounters()
        for entry in rest { other.add(entry.value) }
        return (top, other, rest.count)
    }
}
