import CBuildInfo

/// The agent's version, reported in every payload.
package enum AgentVersion {
    /// The version string of this build.
    package static let current = "0.1.0"

    /// The git commit the binary was built from (with `-dirty` when the tree had changes), as
    /// scripts/stamp-commit.sh stamped it; nil for a build that was not stamped.
    package static var commit: String? {
        let stamp = String(cString: pgagent_build_commit())
        return stamp.isEmpty ? nil : stamp
    }

    /// What `--version` prints: `0.1.0 (commit 1a2b3c4d5e6f)`, or `0.1.0 (commit unknown)`.
    package static var description: String { "\(current) (commit \(commit ?? "unknown"))" }
}
