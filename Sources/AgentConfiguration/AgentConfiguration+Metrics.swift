extension AgentConfiguration {
    /// `[metrics]`: the agent's own Prometheus endpoint.
    ///
    /// Each key can be overridden by `POSTGRES_AGENT_METRICS_<KEY>`.
    package struct Metrics: Sendable, Equatable {
        /// `listen` (`host:port`, default `127.0.0.1:9188`): the address the `/metrics` endpoint
        /// listens on; IPv6 hosts go in brackets (`[::1]:9188`). Empty turns the endpoint off.
        package var listen = "127.0.0.1:9188"
        /// `top_statements` (0 … 1000, default 50): how many `pg_stat_statements` entries `/metrics` shows as
        /// `pg_stat_statements_*_total`, the ones with the most cumulative execution time (labels `user`,
        /// `datname`, `queryid`); 0 shows none.
        package var topStatements = 50
        /// `statement_text_length` (0 … 1000, default 120): the query text in `pg_stat_statements_query_id`
        /// is cut to this many characters (after `[privacy]`'s redaction); 0 leaves that series out.
        package var statementTextLength = 120
        /// `web_config_file` (a path, default empty): TLS and basic authentication for the endpoint, in the
        /// web configuration format of the Prometheus exporters (`--web.config.file` of node_exporter and
        /// postgres_exporter: `tls_server_config`, `basic_auth_users`, `http_server_config.headers`).
        /// Read when the endpoint starts and at each reload (SIGHUP) where it or a file it names changed.
        /// A file that cannot be used keeps the endpoint down (never open in its place); empty serves plain
        /// HTTP without authentication, for a loopback address.
        package var webConfigFile = ""

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
    static let keys = ["listen", "top_statements", "statement_text_length", "web_config_file"]

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
        if let value = section.value("top_statements") {
            self.topStatements = try value.integer(minimum: 0, maximum: 1_000)
        }
        if let value = section.value("web_config_file") {
            self.webConfigFile = value.raw
        }
        if let value = section.value("statement_text_length") {
            self.statementTextLength = try value.integer(minimum: 0, maximum: 1_000)
        }
    }
}
