@testable import Collectors
import Testing

@Suite struct CounterDeltasTests {
    @Test func subtractsCounters() {
        let d = CounterDeltas.compute(previous: ["a": 10, "b": 1], current: ["a": 15, "b": 1, "c": 4],
                                      previousReset: "r", currentReset: "r")
        #expect(d == ["a": 5, "b": 0])
    }

    @Test func resetOrDecreaseYieldsNoDeltas() {
        #expect(CounterDeltas.compute(previous: ["a": 10], current: ["a": 15], previousReset: "r", currentReset: "s") == nil)
        #expect(CounterDeltas.compute(previous: ["a": 10], current: ["a": 5], previousReset: "r", currentReset: "r") == nil)
        #expect(CounterDeltas.compute(previous: nil, current: ["a": 5], previousReset: nil, currentReset: nil) == nil)
    }
}
