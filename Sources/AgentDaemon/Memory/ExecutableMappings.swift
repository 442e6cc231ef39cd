/// The address ranges at which a process maps its own executable, read from `/proc/self/maps`. Pure.
///
/// A static build maps some 90 MiB of code and data. The kernel maps pages around every one the
/// process touches (fault-around), and start-up touches much that never runs again: the agent's
/// footprint benchmark found 36 MiB of the executable resident, of which 10 MiB were used in the
/// next 30 s (BENCHMARKS.md, "Footprint").
package enum ExecutableMappings {
    /// One mapping: `[start, end)`.
    package struct Range: Equatable, Sendable {
        package var start: UInt
        package var end: UInt
        /// The permissions, as `r-xp`.
        package var permissions: String

        package var bytes: UInt { end - start }
    }

    /// The mappings of `maps` (the text of `/proc/self/maps`) whose path is `executable`.
    package static func ranges(in maps: String, executable: String) -> [Range] {
        var ranges: [Range] = []
        for line in maps.split(separator: "\n") {
            // start-end perms offset dev inode path (the path may hold spaces, and " (deleted)").
            let fields = line.split(separator: " ", maxSplits: 5, omittingEmptySubsequences: true)
            guard fields.count == 6 else { continue }
            let path = fields[5].trimmingPrefixSpaces()
            guard path == executable || path == executable + " (deleted)" else { continue }
            let bounds = fields[0].split(separator: "-")
            guard bounds.count == 2, let start = UInt(bounds[0], radix: 16), let end = UInt(bounds[1], radix: 16),
                  end > start else { continue }
            ranges.append(Range(start: start, end: end, permissions: String(fields[1])))
        }
        return ranges
    }
}

private extension Substring {
    func trimmingPrefixSpaces() -> String { String(drop { $0 == " " }) }
}
