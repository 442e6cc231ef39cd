/// Median, p95, mean, min and max of one per-cycle measurement.
struct Distribution: Codable, Sendable {
    var median: Double
    var p95: Double
    var mean: Double
    var min: Double
    var max: Double

    init(_ samples: [Double]) {
        let sorted = samples.sorted()
        guard !sorted.isEmpty else {
            self.init(median: .nan, p95: .nan, mean: .nan, min: .nan, max: .nan)
            return
        }
        /// Nearest-rank percentile.
        func percentile(_ p: Double) -> Double {
            let rank = Int((p / 100 * Double(sorted.count)).rounded(.up))
            return sorted[Swift.max(0, Swift.min(sorted.count - 1, rank - 1))]
        }
        let median = sorted.count % 2 == 1
            ? sorted[sorted.count / 2]
            : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
        self.init(median: median, p95: percentile(95), mean: sorted.reduce(0, +) / Double(sorted.count),
                  min: sorted[0], max: sorted[sorted.count - 1])
    }

    init(median: Double, p95: Double, mean: Double, min: Double, max: Double) {
        self.median = median
        self.p95 = p95
        self.mean = mean
        self.min = min
        self.max = max
    }
}
