/// Runs a ``MonitoringCycle`` the same way for both approaches and measures it.
///
/// 1. one baseline cycle (ours: the first full read of pg_stat_statements) and `warmup` cycles;
/// 2. memory after warm-up; the role's pg_stat_statements totals (superuser, via psql) and relay counters;
/// 3. `cycles` measured cycles, one every `intervalMs` (start to start): wall time and process CPU around
///    each `run()`, relay counters after each (outside the timed part);
/// 4. the role's totals again; memory after the cycles (the steady RSS), and a copy of `/proc/self/smaps`
///    next to the output file (`FILE.json.smaps`).
struct CycleRunner: Sendable {
    let options: BenchmarkOptions
    let relay: RelayCounters
    let probe: ServerTimeProbe

    func measure(_ cycle: some MonitoringCycle, notes: [String]) async throws -> ModeResult {
        let clock = ContinuousClock()
        let interval = Duration.milliseconds(options.intervalMs)

        let baseline = await cycle.run()
        if !baseline.errors.isEmpty { Console.note("baseline cycle errors: \(baseline.errors)") }
        for _ in 0..<options.warmup {
            try await clock.sleep(for: interval)
            let outcome = await cycle.run()
            if !outcome.errors.isEmpty { Console.note("warm-up cycle errors: \(outcome.errors)") }
        }
        let memoryAfterWarmup = ProcessStats.memory()
        try await clock.sleep(for: interval)

        let serverBefore = try probe.read()
        var relayLast = try relay.read()
        let openedBefore = relayLast.opened
        let windowCPUStart = ProcessStats.cpuMilliseconds()

        var wall: [Double] = [], cpu: [Double] = [], down: [Double] = [], up: [Double] = []
        var errors: [String] = []
        var last = CycleOutcome()
        var totals: [String: Int] = [:]
        for index in 0..<options.cycles {
            let start = clock.now
            let cpuStart = ProcessStats.cpuMilliseconds()
            let outcome = await cycle.run()
            let cpuEnd = ProcessStats.cpuMilliseconds()
            let elapsed = start.duration(to: clock.now)
            let relayNow = try relay.read()

            wall.append(Self.milliseconds(elapsed))
            cpu.append(cpuEnd - cpuStart)
            down.append(Double(relayNow.down - relayLast.down))
            up.append(Double(relayNow.up - relayLast.up))
            relayLast = relayNow
            errors += outcome.errors.map { "cycle \(index): \($0)" }
            last = outcome
            totals.merge(outcome.counts, uniquingKeysWith: +)
            if index + 1 < options.cycles { try await clock.sleep(until: start.advanced(by: interval)) }
        }
        let windowCPU = ProcessStats.cpuMilliseconds() - windowCPUStart
        let serverAfter = try probe.read()
        let memoryAfterCycles = ProcessStats.memory()
        if let output = options.output { ProcessStats.saveSmaps(to: output + ".smaps") }

        let n = Double(options.cycles)
        return ModeResult(
            mode: options.mode.rawValue, role: options.user, cycles: options.cycles, warmup: options.warmup,
            intervalMs: options.intervalMs,
            wallMs: Distribution(wall), cpuMs: Distribution(cpu), cpuMsPerCycleWindow: windowCPU / n,
            bytesReceived: Distribution(down), bytesSent: Distribution(up),
            connectionsOpened: relayLast.opened - openedBefore,
            serverExecMsPerCycle: (serverAfter.execMs - serverBefore.execMs) / n,
            serverPlanMsPerCycle: (serverAfter.planMs - serverBefore.planMs) / n,
            serverCallsPerCycle: (serverAfter.calls - serverBefore.calls) / n,
            memoryAfterWarmup: memoryAfterWarmup, memoryAfterCycles: memoryAfterCycles,
            lastCycle: last.counts, measuredTotals: totals, errors: errors, notes: notes)
    }

    static func milliseconds(_ duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        return Double(seconds) * 1000 + Double(attoseconds) / 1e15
    }
}
