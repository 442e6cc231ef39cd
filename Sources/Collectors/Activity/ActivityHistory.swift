import Synchronization
package import AgentSchema

/// The interval's activity samples, shared by the sampling loop that adds to them and the snapshot cycle
/// that drains them into each payload.
package final class ActivityHistory: Sendable {
    private let aggregator: Mutex<ActivitySampleAggregator>

    package init(_ aggregator: ActivitySampleAggregator = ActivitySampleAggregator()) {
        self.aggregator = Mutex(aggregator)
    }

    /// Adds one sample.
    package func add(_ backends: [SampledBackend]) {
        aggregator.withLock { $0.add(backends) }
    }

    /// Counts a sample that failed.
    package func addFailure() {
        aggregator.withLock { $0.addFailure() }
    }

    /// The interval's history, bounded (see ``ActivitySampleAggregator/drain(intervalMs:limit:topCorrelations:)``).
    package func drain(intervalMs: Int, limit: Int) -> ActivitySamples? {
        aggregator.withLock { $0.drain(intervalMs: intervalMs, limit: limit) }
    }
}
