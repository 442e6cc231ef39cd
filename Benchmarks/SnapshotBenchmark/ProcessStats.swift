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
        /// `RssAnon` / `RssFile` of `/proc/self/status`: anonymous pages (heap, stacks, malloc arenas, the
        /// private dirty copies of libraries' data) and file-backed pages (code and read-only data).
        var rssAnonKB: Int?
        var rssFileKB: Int?
        /// `/proc/self/smaps_rollup`: proportional set size (shared pages divided among the processes
        /// mapping them), pages only this process maps (clean / dirty), shared pages, anonymous pages.
        var pssKB: Int?
        var privateCleanKB: Int?
        var privateDirtyKB: Int?
        var sharedCleanKB: Int?
        var sharedDirtyKB: Int?
        var anonymousKB: Int?
    }

    /// `VmRSS`, `VmHWM`, `RssAnon`, `RssFile` of `/proc/self/status` and the totals of `/proc/self/smaps_rollup`.
    static func memory() -> Memory {
        var memory = Memory(rssKB: -1, hwmKB: -1)
        let status = fields("/proc/self/status")
        memory.rssKB = status["VmRSS"] ?? -1
        memory.hwmKB = status["VmHWM"] ?? -1
        memory.rssAnonKB = status["RssAnon"]
        memory.rssFileKB = status["RssFile"]
        let rollup = fields("/proc/self/smaps_rollup")
        memory.pssKB = rollup["Pss"]
        memory.privateCleanKB = rollup["Private_Clean"]
        memory.privateDirtyKB = rollup["Private_Dirty"]
        memory.sharedCleanKB = rollup["Shared_Clean"]
        memory.sharedDirtyKB = rollup["Shared_Dirty"]
        memory.anonymousKB = rollup["Anonymous"]
        return memory
    }

    /// "Key:  N kB" lines of a /proc file.
    private static func fields(_ path: String) -> [String: Int] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return [:] }
        var result: [String: Int] = [:]
        for line in text.split(separator: "\n") {
            let parts = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard parts.count >= 2, parts[0].hasSuffix(":"), let kb = Int(parts[1]) else { continue }
            result[String(parts[0].dropLast())] = kb
        }
        return result
    }

    /// Copies `/proc/self/smaps` (every mapping's Rss, Pss, Private/Shared, Anonymous) to `path`, for
    /// `Benchmarks/smaps-summary.py`. Called after the measured cycles, once the memory has been read.
    /// A read loop: the kernel hands a /proc file out a page at a time, and Foundation's
    /// `String(contentsOfFile:)` stops after the first read of a file whose size reads as 0.
    static func saveSmaps(to path: String) {
        let input = open("/proc/self/smaps", O_RDONLY)
        guard input >= 0 else { return }
        defer { close(input) }
        let output = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard output >= 0 else { return }
        defer { close(output) }
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(input, $0.baseAddress, $0.count) }
            if count <= 0 { break }
            _ = buffer.withUnsafeBytes { write(output, $0.baseAddress, count) }
        }
    }
}
