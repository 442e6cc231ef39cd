/// Active-session history of one snapshot interval: the non-idle client backends sampled every
/// `interval_ms`, counted per (correlation id, query, state, wait). At a 1 s interval a count is seconds of
/// database time.
package struct ActivitySamples: Codable, Sendable, Equatable {
    /// The sampling interval, milliseconds.
    package var intervalMs: Int
    /// Samples taken in the interval.
    package var samples: Int
    /// Samples that failed (the server was busy or away); they count nothing.
    package var failedSamples: Int
    /// Counts per key, largest first; the rows past the limit are summed into one row with `other`.
    package var rows: [ActivitySampleRow]
    /// The correlation ids with the most samples, each with its top queries and waits.
    package var topCorrelations: [CorrelationActivity]

    package init(intervalMs: Int, samples: Int, failedSamples: Int, rows: [ActivitySampleRow], topCorrelations: [CorrelationActivity]) {
        self.intervalMs = intervalMs
        self.samples = samples
        self.failedSamples = failedSamples
        self.rows = rows
        self.topCorrelations = topCorrelations
    }

    enum CodingKeys: String, CodingKey {
        case intervalMs = "interval_ms"
        case samples
        case failedSamples = "failed_samples"
        case rows
        case topCorrelations = "top_correlations"
    }
}

/// How often backends were seen in one (correlation id, query, state, wait) combination.
package struct ActivitySampleRow: Codable, Sendable, Equatable, Hashable {
    /// The request's correlation id, from `application_name`.
    package var correlationID: String?
    /// The application name, for sessions without a correlation id (they are grouped by it).
    package var applicationName: String?
    package var queryID: Int64?
    /// `active`, `idle in transaction`, `idle in transaction (aborted)`, `fastpath function call`.
    package var state: String?
    package var waitEventType: String?
    package var waitEvent: String?
    /// Backend-samples in this combination.
    package var samples: Int
    /// The sum of the rows past the limit.
    package var other: Bool?

    package init(correlationID: String?, applicationName: String?, queryID: Int64?, state: String?, waitEventType: String?,
                 waitEvent: String?, samples: Int, other: Bool? = nil) {
        self.correlationID = correlationID
        self.applicationName = applicationName
        self.queryID = queryID
        self.state = state
        self.waitEventType = waitEventType
        self.waitEvent = waitEvent
        self.samples = samples
        self.other = other
    }

    enum CodingKeys: String, CodingKey {
        case correlationID = "correlation_id"
        case applicationName = "application_name"
        case queryID = "query_id"
        case state
        case waitEventType = "wait_event_type"
        case waitEvent = "wait_event"
        case samples, other
    }
}

/// One correlation id's database time in the interval.
package struct CorrelationActivity: Codable, Sendable, Equatable {
    package var correlationID: String
    /// Backend-samples.
    package var samples: Int
    /// `samples` × the interval, seconds.
    package var seconds: Double
    /// Its queries with the most samples (`query_id`, samples).
    package var topQueries: [KeyedCount]
    /// Its states and waits with the most samples (`state` or `Type:Event`, samples).
    package var topWaits: [KeyedCount]

    package init(correlationID: String, samples: Int, seconds: Double, topQueries: [KeyedCount], topWaits: [KeyedCount]) {
        self.correlationID = correlationID
        self.samples = samples
        self.seconds = seconds
        self.topQueries = topQueries
        self.topWaits = topWaits
    }

    enum CodingKeys: String, CodingKey {
        case correlationID = "correlation_id"
        case samples, seconds
        case topQueries = "top_queries"
        case topWaits = "top_waits"
    }
}

/// A name and how many samples it had.
package struct KeyedCount: Codable, Sendable, Equatable {
    package var key: String
    package var samples: Int

    package init(key: String, samples: Int) {
        self.key = key
        self.samples = samples
    }
}
