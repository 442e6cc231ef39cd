import AgentSchema
import Foundation
@testable import Collectors
import Testing

/// Active-session history: counts per (correlation id, query, state, wait), bounded, with the top ids.
@Suite struct ActivitySampleAggregatorTests {
    static func backend(_ pid: Int, id: String?, app: String? = nil, query: Int64? = 7, state: String = "active",
                        wait: (String, String)? = nil) -> SampledBackend {
        SampledBackend(pid: pid, state: state, waitEventType: wait?.0, waitEvent: wait?.1, queryID: query, correlationID: id,
                       applicationName: app)
    }

    @Test func samplesBecomeDatabaseTimePerRequest() throws {
        var aggregator = ActivitySampleAggregator()
        for second in 0..<10 {
            var backends = [Self.backend(1, id: "aaa1", wait: ("Timeout", "PgSleep"))]
            if second < 4 { backends.append(Self.backend(2, id: "bbb2", query: 9, wait: ("Lock", "relation"))) }
            if second % 2 == 0 { backends.append(Self.backend(3, id: nil, app: "psql", query: nil, state: "idle in transaction")) }
            aggregator.add(backends)
        }
        aggregator.addFailure()
        let drained = aggregator.drain(intervalMs: 1_000, limit: 10)
        let history = try #require(drained)
        #expect(history.samples == 10 && history.failedSamples == 1)
        #expect(history.rows.first?.correlationID == "aaa1" && history.rows.first?.samples == 10)
        #expect(history.rows.contains { $0.applicationName == "psql" && $0.samples == 5 && $0.correlationID == nil })
        let top = history.topCorrelations
        #expect(top.map(\.correlationID) == ["aaa1", "bbb2"])
        #expect(top[0].seconds == 10 && top[1].seconds == 4)
        #expect(top[1].topWaits == [KeyedCount(key: "Lock:relation", samples: 4)])
        #expect(top[1].topQueries == [KeyedCount(key: "9", samples: 4)])
        // Drained: the next interval starts from nothing.
        let again = aggregator.drain(intervalMs: 1_000, limit: 10)
        #expect(again == nil)
    }

    @Test func rowsPastTheLimitAddUpInOther() throws {
        var aggregator = ActivitySampleAggregator(capacity: 50)
        aggregator.add((0..<80).map { Self.backend($0, id: String(format: "%04x", $0), query: Int64($0)) })
        let drained = aggregator.drain(intervalMs: 500, limit: 10)
        let history = try #require(drained)
        #expect(history.rows.count == 11)
        #expect(history.rows.last?.other == true)
        // 80 backend-samples in all: 10 kept, 40 past the limit, 30 past the capacity.
        #expect(history.rows.reduce(0) { $0 + $1.samples } == 80)
        #expect(history.rows.last?.samples == 70)
    }
}
