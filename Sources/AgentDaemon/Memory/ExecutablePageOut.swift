import Foundation
package import Logging
import ServiceLifecycle

/// Gives back the pages of the agent's own executable that it does not use: a while after start (once
/// the first snapshots and log batches ran), then every ``Options/period`` (10 minutes), it asks the kernel to page
/// out its executable's mappings (`madvise(MADV_PAGEOUT)`, Linux 5.4+). What the agent runs faults back
/// in from the page cache (minor faults: a few thousand pages per period); what only start-up touched
/// leaves the agent's RSS and its cgroup's memory.
///
/// Safe for every mapping: `MADV_PAGEOUT` never discards data (a written page goes to swap or stays).
/// A kernel without it answers EINVAL, and the part logs that once and ends.
package struct ExecutablePageOut: Service {
    /// When it pages out.
    package struct Options: Sendable {
        /// After start: the first cycles and log batches have run by then.
        package var warmUp: Duration = .seconds(60)
        /// Between two page-outs (start-up is not the only cold code: error paths, reloads). What runs
        /// faults back in with the pages the kernel maps around it (fault-around, 64 KiB): within a minute
        /// the executable is back near 19 MiB resident for 6 MiB used, so a page-out every minute kept no
        /// less than one every 10 (32.2 against 32.9 MiB without tailing; BENCHMARKS.md, "Footprint").
        package var period: Duration = .seconds(600)

        package init() {}
    }

    package let options: Options
    package let clock: DaemonClock
    package let logger: Logger

    package init(options: Options = Options(), clock: DaemonClock, logger: Logger) {
        self.options = options
        self.clock = clock
        self.logger = logger
    }

    /// `MADV_PAGEOUT` (linux/mman.h); Swift's Glibc module does not always export it.
    static let pageOutAdvice: Int32 = 21

    package func run() async throws {
        var delay = options.warmUp
        var level = Logger.Level.info
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            try? await cancelWhenGracefulShutdown { [clock, delay] in try await clock.sleep(for: delay) }
            if Task.isShuttingDownGracefully || Task.isCancelled { return }
            delay = options.period
            guard pageOut(logLevel: level) else { return }
            // Said once; then only at debug.
            level = .debug
        }
    }

    /// Pages out every mapping of the executable; false when the kernel cannot (then it stops trying).
    func pageOut(logLevel: Logger.Level) -> Bool {
        guard let executable = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"),
              let maps = try? String(contentsOfFile: "/proc/self/maps", encoding: .utf8) else { return false }
        let before = Self.residentFileKiB()
        var paged: UInt = 0
        for range in ExecutableMappings.ranges(in: maps, executable: executable) {
            guard let address = UnsafeMutableRawPointer(bitPattern: range.start) else { continue }
            if madvise(address, Int(range.bytes), Self.pageOutAdvice) != 0 {
                let error = errno
                if error == EINVAL {
                    logger.info("this kernel cannot page out the executable (MADV_PAGEOUT needs Linux 5.4); its unused pages stay resident")
                    return false
                }
                logger.debug("could not page out a mapping of the executable",
                             metadata: ["permissions": "\(range.permissions)", "errno": "\(error)"])
                continue
            }
            paged += range.bytes
        }
        let after = Self.residentFileKiB()
        logger.log(level: logLevel, "paged out the executable's unused pages", metadata: [
            "mapped_kib": "\(paged / 1024)",
            "rss_file_kib_before": "\(before.map(String.init) ?? "?")", "rss_file_kib_after": "\(after.map(String.init) ?? "?")",
        ])
        return true
    }

    /// `RssFile` of `/proc/self/status`, KiB.
    static func residentFileKiB() -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("RssFile:") }) else { return nil }
        return Int(line.split(separator: " ").dropFirst().first ?? "")
    }
}

/// Printed by ServiceLifecycle.
extension ExecutablePageOut: CustomStringConvertible {
    package var description: String { "executable page-out" }
}
