import Foundation
import Glibc

/// The benchmark process's own CPU time and memory, from the kernel.
enum ProcessStats {
    /// User + system CPU of the whole process (all threads), milliseconds: `getrusage(RUSAGE_SELF)`.
    static func cpuMilliseconds() -> Double {
        var usage = rusage()
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        func ms(_ t: timeval) -> Double { Double(t.tv_sec) * 1000 + Double(t.tv_usec) / 1000 }
        return ms(usage.ru_utime) + ms(usage.ru_stime)
    }

    struct Memory: Codable, Sendable {
        /// Resident set size now, kB (`VmRSS`).
        var rssKB: Int
        /// Peak resident set size so far, kB (`VmHWM`).
        var hwmKB: Int
    }

    /// `VmRSS` and `VmHWM` of `/proc/self/status`.
    static func memory() -> Memory {
        var memory = Memory(rssKB: -1, hwmKB: -1)
        guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return memory }
        for line in text.split(separator: "\n") {
            let parts = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard parts.count >= 2, let kb = Int(parts[1]) else { continue }
            if parts[0] == "VmRSS:" { memory.rssKB = kb }
            if parts[0] == "VmHWM:" { memory.hwmKB = kb }
        }
        return memory
    }
}
