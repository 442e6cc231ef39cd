package import AgentSchema
import Synchronization

/// Collects the host's ``SystemMetrics`` once per cycle, without ever sleeping.
///
/// Each call to ``collect(now:)`` takes a sample of `/proc`, `/sys` and `statvfs` and computes
/// rates and CPU percentages against the sample of the previous call, which it keeps in memory.
/// The first call therefore has no rates (they are `nil`); from the second on they cover the
/// time between calls, normally one agent interval.
///
/// ```swift
/// let host = HostCollector(dataDirectory: "/var/lib/postgresql/16/main")
/// let metrics = try host.collect(now: .now)
/// ```
package final class HostCollector: Sendable {
    private let sampler: HostSampler
    /// The sample of the previous call.
    private let previous: Mutex<HostSample?>

    /// Creates a collector.
    ///
    /// - Parameters:
    ///   - root: The directory that stands for `/` when reading `/proc` and `/sys`. Defaults to `/`.
    ///   - dataDirectory: The PostgreSQL data directory whose filesystem usage is reported; `nil`
    ///     leaves `filesystem` out.
    ///   - cgroupProcess: Whose cgroup v2 limits are reported: a process id, such as the postmaster's,
    ///     or `self` (the default) for the agent's own, which is the right one when the agent
    ///     shares PostgreSQL's container.
    ///   - statvfs: Measures the data directory's filesystem. Defaults to the real `statvfs(3)`.
    package init(
        root: String = "/",
        dataDirectory: String?,
        cgroupProcess: String = "self",
        statvfs: @escaping @Sendable (String) -> ProcFileSystem.VolumeStatistics? = ProcFileSystem.systemStatvfs
    ) {
        self.sampler = HostSampler(
            fileSystem: ProcFileSystem(root: root, statvfs: statvfs),
            dataDirectory: dataDirectory,
            cgroupProcess: cgroupProcess
        )
        self.previous = Mutex(nil)
    }

    /// Samples the host and returns its metrics, with rates since the previous call.
    ///
    /// - Parameter now: The current instant of the caller's clock; rates are taken over the time
    ///   between the `now` of the previous call and this one.
    /// - Returns: The metrics; rates and percentages are `nil` on the first call.
    /// - Throws: ``SampleError`` when `/proc/stat` or `/proc/meminfo` cannot be read or parsed.
    ///   The previous sample is kept, so the next successful call measures from it.
    package func collect(now: ContinuousClock.Instant) throws -> SystemMetrics {
        try collectReporting(now: now).metrics
    }

    /// ``collect(now:)``, and the optional files that were there but did not read (left out of the
    /// metrics; the caller reports them).
    package func collectReporting(now: ContinuousClock.Instant) throws -> (metrics: SystemMetrics, problems: [SampleError]) {
        // Sampling reads files, so it happens outside the lock; only the swap is locked.
        let current = try sampler.sample(at: now)
        let previous = self.previous.withLock { stored in
            let previous = stored
            stored = current
            return previous
        }
        return (HostMetricsCalculator.metrics(previous: previous, current: current), current.problems)
    }
}

extension HostCollector {
    /// A host sample could not be taken: a file every Linux kernel provides was missing or unreadable.
    ///
    /// It names the file (a fixed kernel path, nothing secret), so it is safe to print and to send
    /// in the payload's `errors`.
    package struct SampleError: Error, Sendable, Hashable, CustomStringConvertible {
        /// What went wrong, extensible without breaking callers that switch over it.
        package struct Code: Hashable, Sendable, CustomStringConvertible {
            private enum Base: Hashable, Sendable {
                case missingFile, malformedFile
            }

            private let base: Base

            /// The file does not exist or could not be read.
            package static let missingFile = Code(base: .missingFile)
            /// The file was read but did not have the expected content.
            package static let malformedFile = Code(base: .malformedFile)

            /// The code's name, such as `missingFile`.
            package var description: String {
                switch base {
                case .missingFile: "missingFile"
                case .malformedFile: "malformedFile"
                }
            }
        }

        /// What went wrong.
        package var code: Code
        /// The file, such as `/proc/stat` (relative to the collector's root).
        package var path: String

        /// Creates the error.
        package init(code: Code, path: String) {
            self.code = code
            self.path = path
        }

        /// For example `missingFile: /proc/stat`.
        package var description: String { "\(code): \(path)" }
    }
}
