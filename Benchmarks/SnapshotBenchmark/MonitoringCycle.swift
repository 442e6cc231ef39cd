/// One monitoring cycle under test: ours (the agent's snapshot) or the design research's naive queries.
protocol MonitoringCycle: Sendable {
    /// Runs one cycle; returns what it got (row counts per part) and any errors, never throws.
    func run() async -> CycleOutcome
}

/// What one cycle brought back, to check that it did its job.
struct CycleOutcome: Sendable {
    var counts: [String: Int] = [:]
    var errors: [String] = []
}
