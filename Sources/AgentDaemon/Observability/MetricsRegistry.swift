import Foundation
import Prometheus
import Synchronization

/// The metrics of `[metrics] listen`: the agent's self-metrics and the families mirrored from the last
/// snapshot, kept in swift-prometheus's `PrometheusCollectorRegistry`, which also writes the text format.
///
/// This facade adds what the agent needs on top of it:
/// - families are declared once with their kind and help (``declare(_:_:help:)``); samples of undeclared
///   names are ignored, so a typo cannot invent a metric, and a label set whose names differ from the
///   family's first one is dropped rather than reaching the library's `fatalError`;
/// - ``set(_:_:labels:)`` on a counter mirrors a cumulative value kept elsewhere (the spool's evictions,
///   the server's `xact_commit`): the counter moves by the difference, and goes back to zero only when
///   that value went down;
/// - ``replace(_:with:)`` sets a whole family at once and removes the series not in it (a dropped
///   database, a table that left the top N);
/// - ``onScrape(_:)`` callbacks refresh values that are cheaper to read when asked.
package final class MetricsRegistry: Sendable {
    /// The kind of a metric family.
    package enum Kind: String, Sendable {
        case counter, gauge
    }

    private enum Series {
        case counter(Counter)
        case gauge(Gauge)
    }

    private struct Family {
        var kind: Kind
        var help: String
        /// The label names of the first series; every later one must have the same.
        var labelNames: [String]?
        /// Rendered label set → the library's object, the value it shows, and the last ``round`` that
        /// set it.
        var series: [String: Entry] = [:]
        /// Counts ``replace(_:with:scope:)`` calls: a series not set in the current round is stale.
        var round = 0
        /// Rendered label set → its labels.
        var labels: [String: [(String, String)]] = [:]
    }

    private struct Entry {
        var series: Series
        var value: Double
        var round: Int
    }

    private let prometheus = PrometheusCollectorRegistry()
    private let families = Mutex<[String: Family]>([:])
    private let refreshers = Mutex<[@Sendable (MetricsRegistry) async -> Void]>([])

    package init() {}

    /// Declares a family; samples of undeclared names are ignored.
    package func declare(_ name: String, _ kind: Kind, help: String) {
        families.withLock { families in
            if families[name] == nil { families[name] = Family(kind: kind, help: help) }
        }
    }

    /// Whether `name` is declared.
    package func isDeclared(_ name: String) -> Bool {
        families.withLock { $0[name] != nil }
    }

    /// Adds to a counter (or a gauge).
    package func add(_ name: String, _ value: Double = 1, labels: [(String, String)] = []) {
        update(name, key: Self.render(labels), labels: labels) { _, current in current + max(0, value) }
    }

    /// Sets a gauge, or mirrors a cumulative value into a counter.
    package func set(_ name: String, _ value: Double, labels: [(String, String)] = []) {
        update(name, key: Self.render(labels), labels: labels) { _, _ in value }
    }

    /// Sets every series of `name` to `samples` and removes the series not among them; with `scope`, only
    /// the series carrying that label are replaced (one server's, when several share a family).
    package func replace(_ name: String, with samples: [(labels: [(String, String)], value: Double)],
                         scope: (String, String)? = nil) {
        let keys = samples.map { Self.render($0.labels) }
        let gone = families.withLock { families -> [Series] in
            // Taken out and put back, so that the family's tables are changed in place, not copied; one
            // lock and one lookup for the whole family.
            guard var family = families.removeValue(forKey: name) else { return [] }
            defer { families[name] = family }
            family.round &+= 1
            var present = 0
            for (sample, key) in zip(samples, keys)
            where apply(to: &family, name: name, key: key, labels: sample.labels, { _, _ in sample.value }) {
                present += 1
            }
            // Every series was set in this round: nothing is stale, and no series needs a look (the
            // usual case, one server whose set of series did not change).
            guard family.series.count > present else { return [] }
            let round = family.round
            let stale = family.series.compactMap { key, entry -> String? in
                guard entry.round != round else { return nil }
                guard let scope else { return key }
                return family.labels[key]?.contains { $0.0 == scope.0 && $0.1 == scope.1 } == true ? key : nil
            }
            for key in stale { family.labels.removeValue(forKey: key) }
            return stale.compactMap { family.series.removeValue(forKey: $0)?.series }
        }
        unregister(gone)
    }

    /// Removes every series, of every family, that carries the label `scope` (a server that is no longer
    /// watched, or whose address changed).
    package func removeSeries(carrying scope: (String, String)) {
        let gone = families.withLock { families -> [Series] in
            var removed: [Series] = []
            for name in Array(families.keys) {
                guard var family = families.removeValue(forKey: name) else { continue }
                let stale = family.labels.filter { $0.value.contains { $0.0 == scope.0 && $0.1 == scope.1 } }.map(\.key)
                for key in stale {
                    family.labels.removeValue(forKey: key)
                    if let series = family.series.removeValue(forKey: key)?.series { removed.append(series) }
                }
                families[name] = family
            }
            return removed
        }
        unregister(gone)
    }

    /// The current value, for tests and the agent's own status line.
    package func value(_ name: String, labels: [(String, String)] = []) -> Double? {
        let key = Self.render(labels)
        return families.withLock { $0[name]?.series[key]?.value }
    }

    /// Runs `refresh` before every rendering.
    package func onScrape(_ refresh: @escaping @Sendable (MetricsRegistry) async -> Void) {
        refreshers.withLock { $0.append(refresh) }
    }

    /// The exposition text (Prometheus text format 0.0.4), written by swift-prometheus.
    package func render() async -> String {
        String(decoding: await renderBytes(), as: UTF8.self)
    }

    /// ``render()`` as the UTF-8 bytes the endpoint sends (the library's `String` form validates them all
    /// again, 1.8 M instructions a scrape).
    package func renderBytes() async -> [UInt8] {
        for refresh in refreshers.withLock({ $0 }) { await refresh(self) }
        return prometheus.emitToBuffer()
    }

    /// Takes series out of the library's registry (outside the facade's lock: the library has its own).
    private func unregister(_ series: [Series]) {
        for one in series {
            switch one {
            case .counter(let counter): prometheus.unregisterCounter(counter)
            case .gauge(let gauge): prometheus.unregisterGauge(gauge)
            }
        }
    }

    /// Applies `next` (old value → new value) to one series, creating it on first use.
    private func update(_ name: String, key: String, labels: [(String, String)], _ next: (Kind, Double) -> Double) {
        families.withLock { families in
            // Taken out and put back, so that the family's tables are changed in place, not copied (a copy
            // per series made a family of n series cost n² to refresh).
            guard var family = families.removeValue(forKey: name) else { return }
            defer { families[name] = family }
            apply(to: &family, name: name, key: key, labels: labels, next)
        }
    }

    /// ``update(_:key:labels:_:)`` inside the lock, on a family already taken out. Returns true when the
    /// series exists afterwards and was not yet set in the family's current round.
    @discardableResult
    private func apply(to family: inout Family, name: String, key: String, labels: [(String, String)],
                       _ next: (Kind, Double) -> Double) -> Bool {
        if let expected = family.labelNames {
            guard expected.count == labels.count, zip(expected, labels).allSatisfy({ $0 == $1.0 }) else { return false }
        } else {
            family.labelNames = labels.map(\.0)
        }
        // One hash of the key: the entry is changed in place through its index.
        if let index = family.series.index(forKey: key) {
            let entry = family.series.values[index]
            let first = entry.round != family.round
            family.series.values[index].round = family.round
            let value = next(family.kind, entry.value)
            // Most series of a snapshot did not move: nothing to tell the library.
            guard value.isFinite, value != entry.value else { return first }
            record(value, from: entry.value, in: entry.series)
            family.series.values[index].value = family.kind == .counter ? max(0, value) : value
            return first
        }
        let value = next(family.kind, 0)
        // Before a new series is made: one made and then left out would show 0 for ever.
        guard value.isFinite else { return false }
        let series = makeSeries(name, family, labels)
        record(value, from: 0, in: series)
        family.labels[key] = labels
        family.series[key] = Entry(series: series, value: family.kind == .counter ? max(0, value) : value, round: family.round)
        return true
    }

    /// Tells the library's object that its value went from `current` to `value`.
    private func record(_ value: Double, from current: Double, in series: Series) {
        switch series {
        case .gauge(let gauge):
            gauge.set(value)
        case .counter(let counter):
            if value < current { counter.reset() }
            let increase = value < current ? value : value - current
            // Whole increases go to the library's integer part, so counts print as integers.
            if increase > 0, increase == increase.rounded(), increase < 9e15 {
                counter.increment(by: Int64(increase))
            } else if increase > 0 {
                counter.increment(by: increase)
            }
        }
    }

    private func makeSeries(_ name: String, _ family: Family, _ labels: [(String, String)]) -> Series {
        switch family.kind {
        case .counter: .counter(prometheus.makeCounter(name: name, labels: labels, help: family.help))
        case .gauge: .gauge(prometheus.makeGauge(name: name, labels: labels, help: family.help))
        }
    }

    /// A label set as one key (`{a="b",c="d"}` or empty), in the order given.
    ///
    /// Built from the labels' UTF-8 bytes: a snapshot renders about 650 keys, and appending `String`
    /// pieces (with a `Sequence` scan of each value for escapes) cost 6.9 K instructions a key, a tenth
    /// of a snapshot cycle's CPU (callgrind; BENCHMARKS.md, footprint).
    static func render(_ labels: [(String, String)]) -> String {
        guard !labels.isEmpty else { return "" }
        var out: [UInt8] = []
        out.reserveCapacity(labels.reduce(2) { $0 + $1.0.utf8.count + $1.1.utf8.count + 4 })
        out.append(UInt8(ascii: "{"))
        for (index, label) in labels.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            out.append(contentsOf: label.0.utf8)
            out.append(UInt8(ascii: "="))
            out.append(UInt8(ascii: "\""))
            appendEscaped(label.1, to: &out)
            out.append(UInt8(ascii: "\""))
        }
        out.append(UInt8(ascii: "}"))
        return String(decoding: out, as: UTF8.self)
    }

    /// `value`'s bytes with `\`, `"` and a newline escaped as the text format wants them.
    private static func appendEscaped(_ value: String, to out: inout [UInt8]) {
        var value = value
        value.withUTF8 { bytes in
            var start = 0
            for (index, byte) in bytes.enumerated() {
                let escape: UInt8
                switch byte {
                case UInt8(ascii: "\\"): escape = UInt8(ascii: "\\")
                case UInt8(ascii: "\""): escape = UInt8(ascii: "\"")
                case UInt8(ascii: "\n"): escape = UInt8(ascii: "n")
                default: continue
                }
                out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start..<index]))
                out.append(UInt8(ascii: "\\"))
                out.append(escape)
                start = index + 1
            }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start...]))
        }
    }
}
