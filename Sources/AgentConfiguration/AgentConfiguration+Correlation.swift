internal import Foundation

extension AgentConfiguration {
    /// `[correlation]`: how request ids are found in queries, application names and log lines.
    ///
    /// Each key can be overridden by `POSTGRES_AGENT_CORRELATION_<KEY>`.
    package struct Correlation: Sendable, Equatable {
        /// `pattern` (regular expression, default `bitville-([a-f0-9-]+)`): an `NSRegularExpression`
        /// whose first capture group is the correlation id. It must compile and have at least one
        /// capture group. Quote it in the INI file if it contains ` ;` or ` #` or starts with `;`/`#`.
        package var pattern = "bitville-([a-f0-9-]+)"

        /// The defaults.
        package init() {}
    }
}

extension AgentConfiguration.Correlation {
    /// The keys of `[correlation]`.
    static let keys = ["pattern"]

    /// Applies the section's settings over the defaults.
    init(reading section: ConfigurationSectionReader) throws(AgentConfigurationError) {
        self.init()
        if let value = section.value("pattern") {
            let expression: NSRegularExpression
            do {
                expression = try NSRegularExpression(pattern: value.raw)
            } catch {
                throw value.error(.invalidValue, "must be a valid regular expression (NSRegularExpression syntax)")
            }
            guard expression.numberOfCaptureGroups >= 1 else {
                throw value.error(.invalidValue, "must have a capture group `( … )` around the correlation id")
            }
            self.pattern = value.raw
        }
    }
}
