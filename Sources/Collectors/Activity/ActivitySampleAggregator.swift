package import AgentSchema

/// Counts activity samples per (correlation id, query, state, wait) over one snapshot interval, and
/// hands them over bounded: the `limit` largest rows, the rest summed into one `other` row, and the top
/// correlation ids with their top queries and waits. Pure: the sampler feeds it, the scheduler drains it.
package struct ActivitySampleAggregator: Sendable {
    private var counts: [ActivitySampleRow: Int] = [:]
    private var samples = 0
    private var failed = 0
    /// The most distinct rows kept between two drains; past it, new keys go to `other` at once.
    private let capacity: Int
    private var overflow = 0

    package init(capacity: Int = 20_000) {
        self.capacity = capacity
    }

    /// Adds one sample: the non-idle client backends seen at one instant.
    package mutating func add(_ backends: [SampledBackend]) {
        samples += 1
        for backend in backends {
            let key = ActivitySampleRow(correlationID: backend.correlationID,
                                        applicationName: backend.correlationID == nil ? backend.applicationName : nil,
                                        queryID: backend.queryID, state: backend.state, waitEventType: backend.waitEventType,
                                        waitEvent: backend.waitEvent, samples: 0)
            if counts[key] != nil || counts.count < capacity {
                counts[key, default: 0] += 1
            } else {
                overflow += 1
            }
        }
    }

    /// A sample that could not be taken.
    package mutating func addFailure() {
        failed += 1
    }

    /// The interval's history (nil when no sample was attempted), and a fresh start.
    package mutating func drain(intervalMs: Int, limit: Int, topCorrelations: Int = 10) -> ActivitySamples? {
        guard samples > 0 || failed > 0 else { return nil }
        var rows = counts.map { key, count -> ActivitySampleRow in
            var row = key
            row.samples = count
            return row
        }
        rows.sort { ($0.samples, $0.correlationID ?? "", $0.queryID ?? 0) > ($1.samples, $1.correlationID ?? "", $1.queryID ?? 0) }
        var kept = Array(rows.prefix(limit))
        let rest = rows.dropFirst(limit).reduce(0) { $0 + $1.samples } + overflow
        if rest > 0 {
            kept.append(ActivitySampleRow(correlationID: nil, applicationName: nil, queryID: nil, state: nil, waitEventType: nil,
                                          waitEvent: nil, samples: rest, other: true))
        }
        // Per correlation id, over all rows (not only those kept).
        var byID: [String: (samples: Int, queries: [String: Int], waits: [String: Int])] = [:]
        for row in rows {
            guard let id = row.correlationID else { continue }
            var entry = byID[id] ?? (0, [:], [:])
            entry.samples += row.samples
            if let query = row.queryID { entry.queries[String(query), default: 0] += row.samples }
            // An idle-in-transaction backend waits for its client (Client:ClientRead): its state says more.
            let wait = row.state == "active" ? (row.waitEventType.map { "\($0):\(row.waitEvent ?? "")" } ?? "active")
                : (row.state ?? "unknown")
            entry.waits[wait, default: 0] += row.samples
            byID[id] = entry
        }
        func top(_ counts: [String: Int], _ count: Int) -> [KeyedCount] {
            counts.sorted { ($0.value, $1.key) > ($1.value, $0.key) }.prefix(count).map { KeyedCount(key: $0.key, samples: $0.value) }
        }
        let correlations = byID.sorted { ($0.value.samples, $1.key) > ($1.value.samples, $0.key) }.prefix(topCorrelations).map {
            CorrelationActivity(correlationID: $0.key, samples: $0.value.samples,
                                seconds: Double($0.value.samples) * Double(intervalMs) / 1_000,
                                topQueries: top($0.value.queries, 5), topWaits: top($0.value.waits, 5))
        }
        let result = ActivitySamples(intervalMs: intervalMs, samples: samples, failedSamples: failed, rows: kept,
                                     topCorrelations: Array(correlations))
        counts.removeAll(keepingCapacity: true)
        samples = 0
        failed = 0
        overflow = 0
        return result
    }
}
