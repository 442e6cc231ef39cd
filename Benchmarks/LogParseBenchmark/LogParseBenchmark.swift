// Parse throughput of the log parsers (issue 3's benchmark): reads FILE in 1 MiB chunks through the same
// parser the tailer uses and prints one JSON line with bytes, entries, wall and CPU seconds, MB/s and the
// peak RSS. With --classify the classifier (correlation, redaction) runs on every entry too.
//
// usage: LogParseBenchmark --format stderr|csvlog|jsonlog [--prefix P] [--classify] FILE
import AgentSchema
import AgentConfiguration
import SQLRedaction
import Foundation
import LogPipeline

#if canImport(Glibc)
import Glibc
#endif

@main
struct LogParseBenchmark {
    static func main() throws {
        var arguments = Array(CommandLine.arguments.dropFirst())
        func option(_ name: String) -> String? {
            guard let index = arguments.firstIndex(of: name), index + 1 < arguments.count else { return nil }
            let value = arguments[index + 1]
            arguments.removeSubrange(index...(index + 1))
            return value
        }
        let formatName = option("--format") ?? "stderr"
        let prefixText = option("--prefix") ?? "%m [%p] %q%u@%d "
        let classify = arguments.contains("--classify")
        arguments.removeAll { $0 == "--classify" }
        guard let path = arguments.first, let format = LogFormat(rawValue: formatName),
              let handle = LogFileHandle(path: path) else {
            FileHandle.standardError.write(Data("usage: LogParseBenchmark --format F [--prefix P] [--classify] FILE\n".utf8))
            exit(64)
        }
        let prefix = try LogLinePrefix(prefixText)
        let classifier = LogClassifier(redactor: SQLRedactor(redactLiterals: true), correlation: try CorrelationExtractor())
        var parser = LogEntryParser(format: format, prefix: prefix, fileName: path, maximumEntryBytes: 1 << 20)

        func cpuSeconds() -> Double {
            var usage = rusage()
            getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
            return Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6
                + Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6
        }

        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        var offset: Int64 = 0
        var entries = 0
        var classes: [String: Int] = [:]
        let cpuStart = cpuSeconds()
        let start = ContinuousClock.now
        func take(_ events: [LogEvent]) {
            entries += events.count
            guard classify else { return }
            for var event in events {
                classifier.classify(&event)
                classes[(event.event ?? .other).rawValue, default: 0] += 1
            }
        }
        while true {
            let count = buffer.withUnsafeMutableBytes { handle.read(into: $0, at: offset) } ?? 0
            guard count > 0 else { break }
            let events = buffer.withUnsafeBufferPointer { parser.consume(UnsafeBufferPointer(rebasing: $0[..<count]), offset: offset) }
            take(events)
            offset += Int64(count)
        }
        take(parser.finish())
        let elapsed = start.duration(to: .now)
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let cpu = cpuSeconds() - cpuStart
        var usage = rusage()
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        let stats = parser.statistics
        let result: [String: Any] = [
            "format": formatName, "classify": classify, "bytes": offset, "entries": entries,
            "lines": stats.lines, "unparsed": stats.unparsed,
            "wall_s": (seconds * 1000).rounded() / 1000, "cpu_s": (cpu * 1000).rounded() / 1000,
            "mb_per_s": ((Double(offset) / 1e6 / seconds) * 10).rounded() / 10,
            "entries_per_s": (Double(entries) / seconds).rounded(),
            "peak_rss_mib": (Double(usage.ru_maxrss) / 1024 * 10).rounded() / 10,
        ]
        let data = try JSONSerialization.data(withJSONObject: result, options: [.sortedKeys])
        print(String(decoding: data, as: UTF8.self))
    }
}
