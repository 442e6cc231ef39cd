/// One series of a node_exporter family, as ``NodeMetricsReader`` reads it: a name, its kind, its labels
/// and a value.
///
/// Labels are ``Label`` values rather than `(String, String)` tuples so the sample can be `Equatable`;
/// ``labelPairs`` gives the tuples the metrics registry takes. Within a family every sample has the same
/// label names in the same order (the alphabetical order node_exporter's exposition shows).
package struct NodeSample: Sendable, Equatable {
    /// The Prometheus type of a family.
    package enum Kind: String, Sendable {
        /// A value that only goes up, except when the kernel's counter restarts (a reboot, a wrap).
        case counter
        /// A value that goes up and down.
        case gauge
    }

    /// One label of a sample.
    package struct Label: Sendable, Hashable {
        /// The label name, such as `device`.
        package var name: String
        /// The label value, such as `vda`.
        package var value: String

        /// Creates a label.
        package init(_ name: String, _ value: String) {
            self.name = name
            self.value = value
        }
    }

    /// The family name, such as `node_disk_read_bytes_total`.
    package var name: String
    /// Counter or gauge; the same for every sample of a family.
    package var kind: Kind
    /// The labels, in the family's fixed order; empty for families without labels (`node_load1`).
    package var labels: [Label]
    /// The value, in the family's unit (seconds, bytes, or a count).
    package var value: Double

    /// Creates a sample.
    package init(name: String, kind: Kind, labels: [Label] = [], value: Double) {
        self.name = name
        self.kind = kind
        self.labels = labels
        self.value = value
    }

    /// The labels as `(name, value)` pairs, in order.
    package var labelPairs: [(String, String)] {
        labels.map { ($0.name, $0.value) }
    }

    /// The value of the label `name`, if the sample has it.
    package func label(_ name: String) -> String? {
        labels.first { $0.name == name }?.value
    }
}

/// What a node_exporter family is: its kind, help text and label names.
package struct NodeFamily: Sendable, Equatable {
    /// The family name.
    package var name: String
    /// Counter or gauge.
    package var kind: NodeSample.Kind
    /// The `# HELP` text: node_exporter's own wording.
    package var help: String
    /// The label names of every sample, in order.
    package var labelNames: [String]

    /// Creates a family description.
    package init(name: String, kind: NodeSample.Kind, help: String, labelNames: [String]) {
        self.name = name
        self.kind = kind
        self.help = help
        self.labelNames = labelNames
    }
}
