import Foundation

/// What one mode (`ours` or `naive`) measured, written as JSON for the `table` mode.
struct ModeResult: Codable, Sendable {
    var mode: String
    var role: String
    var cycles: Int
    var warmup: Int
    var intervalMs: Int
    /// Wall time of each measured cycle, ms.
    var wallMs: Distribution
    /// Process CPU (user + system, all threads) during each measured cycle, ms.
    var cpuMs: Distribution
    /// Process CPU over the whole measured window (cycles and the idle time between them) / cycles, ms.
    var cpuMsPerCycleWindow: Double
    /// Bytes server → agent per cycle (relay counts).
    var bytesReceived: Distribution
    /// Bytes agent → server per cycle.
    var bytesSent: Distribution
    /// New connections through the relay during the measured window.
    var connectionsOpened: Int
    /// pg_stat_statements of the role over the measured window, per cycle.
    var serverExecMsPerCycle: Double
    var serverPlanMsPerCycle: Double
    var serverCallsPerCycle: Double
    var memoryAfterWarmup: ProcessStats.Memory
    var memoryAfterCycles: ProcessStats.Memory
    /// What the last cycle returned, to show that the cycle did its job (row counts per part).
    var lastCycle: [String: Int]
    /// The same counts summed over the measured cycles.
    var measuredTotals: [String: Int]
    /// Errors seen in measured cycles (collector errors for ours, query errors for naive).
    var errors: [String]
    var notes: [String]

    func write(to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        try encoder.encode(self).write(to: URL(fileURLWithPath: path))
    }

    static func read(from path: String) throws -> ModeResult {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return try decoder.decode(ModeResult.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
    }
}
