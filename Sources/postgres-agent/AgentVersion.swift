/// The agent's version, reported in every payload.
enum AgentVersion {
    static let current = "0.1.0"
}
