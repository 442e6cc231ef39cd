extension AgentConfiguration {
    /// `[metrics]`: the agent's own Prometheus endpoint.
    ///
    /// Each key can be overridden by `POSTGRES_AGENT_METRICS_<KEY>`.
    package struct Metrics: Sendable, Equatable {
        /// `listen` (`host:port`, default `127.0.0.1:9188`): the address the `/metrics` endpoint
        /// listens on; IPv6 hosts go in brackets (`[::1]:9188`). Empty turns the endpoint off.
        package var listen = "127.0.0.1:9188"

        /// The defaults.
        package init() {}

        /// Whether the endpoint is on (``listen`` is not empty).
        package var isEnabled: Bool { !self.listen.isEmpty }

        /// ``listen`` parsed: host (without brackets) and port; `nil` when the endpoint is off.
        package var listenAddress: ListenAddress? {
            ListenAddress(parsing: self.listen)
        }
    }
}

extension AgentConfiguration.Metrics {
    /// The keys of `[metrics]`.
    static let keys = ["listen"]

    /// Applies the section's settings over the defaults.
    init(reading section: ConfigurationSectionReader) throws(AgentConfigurationError) {
        self.init()
        if let value = section.value("listen") {
            guard value.raw.isEmpty || ListenAddress(parsing: value.raw) != nil else {
                throw value.error(
                    .invalidValue,
                    "must be host:port with a port from 1 to 65535 (such as 127.0.0.1:9188 or [::1]:9188), or empty to turn the endpoint off"
                )
            }
            self.listen = value.raw
        }
    }
}
