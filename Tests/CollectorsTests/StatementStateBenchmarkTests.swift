import AgentSchema
@testable import Collectors
import Foundation
import TestSupport
import Testing

/// Not a timed test: prints what one cycle's save of the statement delta state costs at 100,000 entries
/// with 1,000 of them moved, for the JSON file this replaced and for the SQLite store (BENCHMARKS.md,
/// "Statement delta state"). Runs only with PGAGENT_BENCH_STATE=1.
@Suite(.enabled(if: ProcessInfo.processInfo.environment["PGAGENT_BENCH_STATE"] == "1"))
struct StatementStateBenchmarkTests {
    @Test func oneCycleSaveAtOneHundredThousandEntries() throws {
        let scratch = try ScratchDirectory()
        let before = StatementStateStoreTests.state(entries: 100_000)
        var after = before
        after.sampleTime += 60
        for key in before.entries.keys.prefix(1_000) { after.entries[key]!.calls += 1 }
        let clock = ContinuousClock()

        let json = StateFile<StatementsState>(directory: scratch.path, name: "statements.json")
        try json.save(before)
        var jsonTimes: [Duration] = []
        for _ in 0..<5 { jsonTimes.append(try clock.measure { try json.save(after) }) }
        let jsonBytes = try FileManager.default.attributesOfItem(atPath: json.path)[.size] as? Int ?? 0

        let store = try StatementStateStore(path: scratch.file("statements.sqlite"))
        try store.save(before, previous: nil)
        var previous = before
        var storeTimes: [Duration] = []
        var written = 0
        for round in 0..<5 {
            var next = after
            next.sampleTime += Double(round)
            for key in before.entries.keys.prefix(1_000) { next.entries[key]!.calls += Int64(round + 1) }
            storeTimes.append(try clock.measure { written = try store.save(next, previous: previous) })
            previous = next
        }
        let storeBytes = try FileManager.default.attributesOfItem(atPath: store.path)[.size] as? Int ?? 0
        func median(_ times: [Duration]) -> Double {
            let sorted = times.sorted()
            let middle = sorted[sorted.count / 2].components
            return Double(middle.seconds) * 1_000 + Double(middle.attoseconds) / 1e15
        }
        print("state-bench: json save median \(median(jsonTimes)) ms, file \(jsonBytes) bytes")
        print("state-bench: sqlite save median \(median(storeTimes)) ms, \(written) rows written, file \(storeBytes) bytes")
    }
}
