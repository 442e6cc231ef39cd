/// The agent's version, reported in every payload.
package enum AgentVersion {
    /// The version string of this build.
    package static let current = "0.1.0"
}
