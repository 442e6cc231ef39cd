extension AgentConfiguration {
    /// `[privacy]`: what is removed from query texts before they leave the host.
    ///
    /// Each key can be overridden by `POSTGRES_AGENT_PRIVACY_<KEY>`.
    package struct Privacy: Sendable, Equatable {
        /// `redact_query_literals` (boolean: `true`/`false`, `yes`/`no`, `on`/`off`, `1`/`0`; default
        /// `true`): replace string and number literals in query texts (activity, statements, locks,
        /// log statements) with placeholders.
        package var redactQueryLiterals = true

        /// The defaults.
        package init() {}
    }
}

extension AgentConfiguration.Privacy {
    /// The keys of `[privacy]`.
    static let keys = ["redact_query_literals"]

    /// Applies the section's settings over the defaults.
    init(reading section: ConfigurationSectionReader) throws(AgentConfigurationError) {
        self.init()
        if let value = section.value("redact_query_literals") {
            self.redactQueryLiterals = try value.boolean()
        }
    }
}
