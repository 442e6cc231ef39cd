import Foundation

/// The markdown table of both modes' results against the issue's targets.
struct ResultTable {
    let ours: ModeResult
    let naive: ModeResult

    func render() -> String {
        var lines = [
            "| metric | ours | naive | target |",
            "|---|---:|---:|---|",
        ]
        func row(_ metric: String, _ a: String, _ b: String, _ target: String = "") {
            lines.append("| \(metric) | \(a) | \(b) | \(target) |")
        }
        func ms(_ v: Double) -> String { String(format: "%.1f", v) }
        func kb(_ v: Double) -> String { String(format: "%.1f KiB", v / 1024) }
        func mb(_ kb: Int) -> String { String(format: "%.1f MiB", Double(kb) / 1024) }
        func verdict(_ met: Bool) -> String { met ? "met" : "**missed**" }

        row("wall per cycle, median (ms)", ms(ours.wallMs.median), ms(naive.wallMs.median),
            "≤ 100 ms: \(verdict(ours.wallMs.median <= 100))")
        row("wall per cycle, p95 (ms)", ms(ours.wallMs.p95), ms(naive.wallMs.p95),
            "≤ 100 ms: \(verdict(ours.wallMs.p95 <= 100))")
        row("wall per cycle, max (ms)", ms(ours.wallMs.max), ms(naive.wallMs.max))
        row("server time of own queries per cycle, exec + plan (ms)",
            ms(ours.serverExecMsPerCycle + ours.serverPlanMsPerCycle),
            ms(naive.serverExecMsPerCycle + naive.serverPlanMsPerCycle))
        row("… of which planning (ms)", ms(ours.serverPlanMsPerCycle), ms(naive.serverPlanMsPerCycle))
        row("statements executed per cycle", String(format: "%.1f", ours.serverCallsPerCycle),
            String(format: "%.1f", naive.serverCallsPerCycle))
        let ratio = ours.bytesReceived.mean / naive.bytesReceived.mean
        row("bytes received per cycle, mean", kb(ours.bytesReceived.mean), kb(naive.bytesReceived.mean),
            "≤ 1/10 of naive: \(verdict(ratio <= 0.1)) (ratio \(String(format: "%.3f", ratio)), 1/\(String(format: "%.0f", 1 / ratio)))")
        row("bytes received per cycle, median / max", "\(kb(ours.bytesReceived.median)) / \(kb(ours.bytesReceived.max))",
            "\(kb(naive.bytesReceived.median)) / \(kb(naive.bytesReceived.max))")
        row("bytes sent per cycle, mean", kb(ours.bytesSent.mean), kb(naive.bytesSent.mean))
        row("agent CPU per cycle, median (ms)", ms(ours.cpuMs.median), ms(naive.cpuMs.median))
        row("agent CPU per cycle, p95 (ms)", ms(ours.cpuMs.p95), ms(naive.cpuMs.p95))
        row("agent CPU over the window / cycles (ms)", ms(ours.cpuMsPerCycleWindow), ms(naive.cpuMsPerCycleWindow))
        row("steady RSS (VmRSS after the cycles)", mb(ours.memoryAfterCycles.rssKB), mb(naive.memoryAfterCycles.rssKB),
            "≤ 20 MB (20 MiB): \(verdict(ours.memoryAfterCycles.rssKB <= 20 * 1024))")
        func mbOpt(_ kb: Int?) -> String { kb.map(mb) ?? "–" }
        func sum(_ a: Int?, _ b: Int?) -> Int? { a.flatMap { a in b.map { a + $0 } } }
        let (o, n) = (ours.memoryAfterCycles, naive.memoryAfterCycles)
        row("… anonymous / file-backed (RssAnon / RssFile)", "\(mbOpt(o.rssAnonKB)) / \(mbOpt(o.rssFileKB))",
            "\(mbOpt(n.rssAnonKB)) / \(mbOpt(n.rssFileKB))")
        row("steady PSS (smaps_rollup)", mbOpt(o.pssKB), mbOpt(n.pssKB))
        row("steady private, clean + dirty", mbOpt(sum(o.privateCleanKB, o.privateDirtyKB)),
            mbOpt(sum(n.privateCleanKB, n.privateDirtyKB)))
        row("… of which private dirty", mbOpt(o.privateDirtyKB), mbOpt(n.privateDirtyKB))
        row("steady shared, clean + dirty", mbOpt(sum(o.sharedCleanKB, o.sharedDirtyKB)),
            mbOpt(sum(n.sharedCleanKB, n.sharedDirtyKB)))
        row("VmRSS after warm-up", mb(ours.memoryAfterWarmup.rssKB), mb(naive.memoryAfterWarmup.rssKB))
        row("peak RSS (VmHWM)", mb(ours.memoryAfterCycles.hwmKB), mb(naive.memoryAfterCycles.hwmKB))
        row("new connections during the measured cycles", "\(ours.connectionsOpened)", "\(naive.connectionsOpened)")
        row("errors in measured cycles", "\(ours.errors.count)", "\(naive.errors.count)", "0")

        var text = lines.joined(separator: "\n") + "\n\n"
        text += "Cycles: \(ours.cycles) measured per approach after 1 baseline + \(ours.warmup) warm-up cycles, "
            + "one every \(ours.intervalMs) ms. Roles: ours `\(ours.role)`, naive `\(naive.role)`.\n\n"
        text += "Last cycle, ours: " + describe(ours.lastCycle) + "\n\n"
        text += "Last cycle, naive: " + describe(naive.lastCycle) + "\n\n"
        text += "Summed over the measured cycles, ours: " + describe(ours.measuredTotals) + "\n\n"
        for note in ours.notes + naive.notes { text += "- \(note)\n" }
        for error in (ours.errors + naive.errors).prefix(10) { text += "- error: \(error)\n" }
        return text
    }

    private func describe(_ counts: [String: Int]) -> String {
        counts.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
    }
}
