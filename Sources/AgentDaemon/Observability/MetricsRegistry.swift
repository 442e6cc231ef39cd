import Foundation
import Synchronization

/// The agent's self-metrics: counters and gauges with labels, rendered in the Prometheus text format
/// (version 0.0.4) for `[metrics] listen`.
///
/// Parts of the agent record into it as things happen (``add(_:_:labels:)``, ``set(_:_:labels:)``);
/// values that are cheaper to read when asked (spool depth, the transmitter's counters) are refreshed by
/// the callbacks given to ``onScrape(_:)`` just before each rendering.
package final class MetricsRegistry: Sendable {
    /// The kind of a metric family.
    package enum Kind: String, Sendable {
        case counter, gauge
    }

    private struct Family {
        var kind: Kind
        var help: String
        /// Rendered label set (`{a="b"}` or empty) → value.
        var samples: [String: Double] = [:]
    }

    private let families = Mutex<[String: Family]>([:])
    private let refreshers = Mutex<[@Sendable (MetricsRegistry) async -> Void]>([])

    package init() {}

    /// Declares a family; samples of undeclared names are ignored (a typo cannot invent a metric).
    package func declare(_ name: String, _ kind: Kind, help: String) {
        families.withLock { families in
            if families[name] == nil { families[name] = Family(kind: kind, help: help) }
        }
    }

    /// Adds to a counter (or a gauge).
    package func add(_ name: String, _ value: Double = 1, labels: [(String, String)] = []) {
        let key = Self.render(labels)
        families.withLock { families in
            families[name]?.samples[key, default: 0] += value
        }
    }

    /// Sets a gauge (or a counter mirrored from elsewhere).
    package func set(_ name: String, _ value: Double, labels: [(String, String)] = []) {
        let key = Self.render(labels)
        families.withLock { families in
            families[name]?.samples[key] = value
        }
    }

    /// The current value, for tests and the agent's own status line.
    package func value(_ name: String, labels: [(String, String)] = []) -> Double? {
        let key = Self.render(labels)
        return families.withLock { $0[name]?.samples[key] }
    }

    /// Runs `refresh` before every rendering.
    package func onScrape(_ refresh: @escaping @Sendable (MetricsRegistry) async -> Void) {
        refreshers.withLock { $0.append(refresh) }
    }

    /// The exposition text: families sorted by name, samples by labels.
    package func render() async -> String {
        for refresh in refreshers.withLock({ $0 }) { await refresh(self) }
        let snapshot = families.withLock { $0 }
        var text = ""
        for name in snapshot.keys.sorted() {
            let family = snapshot[name]!
            text += "# HELP \(name) \(Self.escapeHelp(family.help))\n# TYPE \(name) \(family.kind.rawValue)\n"
            for labels in family.samples.keys.sorted() {
                text += "\(name)\(labels) \(Self.format(family.samples[labels]!))\n"
            }
        }
        return text
    }

    static func render(_ labels: [(String, String)]) -> String {
        guard !labels.isEmpty else { return "" }
        return "{" + labels.map { "\($0.0)=\"\(escapeLabel($0.1))\"" }.joined(separator: ",") + "}"
    }

    static func escapeLabel(_ value: String) -> String {
        var out = ""
        for character in value {
            switch character {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "\n": out += "\\n"
            default: out.append(character)
            }
        }
        return out
    }

    static func escapeHelp(_ value: String) -> String {
        value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\n", with: "\\n")
    }

    static func format(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "+Inf" : "-Inf" }
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return "\(value)"
    }
}
