extension AgentConfiguration {
    /// `[spool]`: size limits of the on-disk spool (SQLite in `state_dir`).
    ///
    /// Each key can be overridden by `POSTGRES_AGENT_SPOOL_<KEY>`.
    package struct Spool: Sendable, Equatable {
        /// `max_size_mb` (integer ≥ 1, default `100`): the spool's size cap in MiB; beyond it the
        /// oldest batches are evicted, and the number evicted is counted and reported.
        package var maxSizeMegabytes = 100

        /// `min_free_disk_mb` (integer ≥ 0, default `256`): free space, in MiB, that the spool leaves
        /// on its filesystem; below it the oldest batches are evicted as if the cap were reached.
        /// `0` turns the check off.
        package var minFreeDiskMegabytes = 256

        /// The defaults.
        package init() {}

        /// ``maxSizeMegabytes`` in bytes.
        package var maxSizeBytes: Int { self.maxSizeMegabytes * 1024 * 1024 }

        /// ``minFreeDiskMegabytes`` in bytes.
        package var minFreeDiskBytes: Int { self.minFreeDiskMegabytes * 1024 * 1024 }
    }
}

extension AgentConfiguration.Spool {
    /// The keys of `[spool]`.
    static let keys = ["max_size_mb", "min_free_disk_mb"]

    /// Applies the section's settings over the defaults.
    init(reading section: ConfigurationSectionReader) throws(AgentConfigurationError) {
        self.init()
        // The upper bounds keep the byte conversions from overflowing; 1 TiB is far beyond any use.
        if let value = section.value("max_size_mb") {
            self.maxSizeMegabytes = try value.integer(unit: "MiB", minimum: 1, maximum: 1_048_576)
        }
        if let value = section.value("min_free_disk_mb") {
            self.minFreeDiskMegabytes = try value.integer(unit: "MiB", minimum: 0, maximum: 1_048_576)
        }
    }
}
