import AgentSchema
import AgentConfiguration
import ArgumentParser
import Foundation
import LogPipeline

/// `postgres-agent logs parse FILE…`: parses log files offline, one JSON event per line on stdout and a
/// summary on stderr.
struct LogsParseCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "parse",
        abstract: "Parse PostgreSQL log files: one JSON event per line on stdout, a summary on stderr."
    )

    @OptionGroup var formatOptions: LogFormatOptions

    @Argument(help: "Log files (stderr, csvlog or jsonlog).")
    var files: [String]

    /// Counters over all files, for the summary.
    struct Summary {
        var statistics = LogEntryParser.Statistics()
        var classes: [String: Int] = [:]
    }

    func run() async throws {
        let format = try formatOptions.logFormat()
        let prefix = try formatOptions.compiledPrefix()
        let timeZone = try formatOptions.timeZoneRules()
        let classifier = try formatOptions.classifier()
        var total = Summary()
        var failed = false
        for file in files {
            guard let handle = LogFileHandle(path: file) else {
                Self.printError("\(file): cannot open: \(String(cString: strerror(errno)))")
                failed = true
                continue
            }
            var summary = Summary()
            try parse(handle, format: format, prefix: prefix, timeZone: timeZone, classifier: classifier, summary: &summary)
            total.statistics = total.statistics + summary.statistics
            total.classes.merge(summary.classes, uniquingKeysWith: +)
        }
        Self.printError(Self.describe(total, label: "total"))
        if failed { throw ExitCode(66) }
    }

    private func parse(_ handle: LogFileHandle, format: AgentConfiguration.LogFormat, prefix: LogLinePrefix?,
                       timeZone: TimeZoneRules?, classifier: LogClassifier, summary: inout Summary) throws {
        var fileFormat = format
        if fileFormat == .auto {
            fileFormat = LogFormatDetector.format(name: handle.path, head: handle.bytes(at: 0, count: 4_096))
        }
        var filePrefix = prefix
        if fileFormat.hasPrefix, filePrefix == nil {
            let head = handle.bytes(at: 0, count: 64 << 10)
            let sample = LogFormatDetector.prefixSample(head, format: fileFormat)
            filePrefix = LogFormatDetector.prefix(for: sample)
            if filePrefix == nil {
                Self.printError("\(handle.path): no common log_line_prefix fits; using '%m [%p] ' (pass --prefix)")
            }
        }
        var parser = LogEntryParser(format: fileFormat, prefix: filePrefix, fileName: handle.path,
                                    maximumEntryBytes: 1 << 20, timeZone: timeZone, hostTimeZone: TimeZoneDatabase().local(),
                                    referenceTime: (handle.status()?.modified ?? 0) / 1_000_000_000)
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        var offset: Int64 = 0
        let output = FileHandle.standardOutput
        // One writer for the whole file: a new one per chunk cost a fresh multi-megabyte buffer each time.
        var json = JSONWriter(capacity: 4 << 20)
        var sessions = try formatOptions.sessionTracker()
        while true {
            let count = buffer.withUnsafeMutableBytes { handle.read(into: $0, at: offset) }
            guard let count else { throw ValidationError("\(handle.path): read error: \(String(cString: strerror(errno)))") }
            guard count > 0 else { break }
            var events = buffer.withUnsafeBufferPointer {
                parser.consume(UnsafeBufferPointer(rebasing: $0[..<count]), offset: offset)
            }
            offset += Int64(count)
            try write(&events, classifier: classifier, sessions: &sessions, to: output, json: &json, summary: &summary)
        }
        var last = parser.finish()
        try write(&last, classifier: classifier, sessions: &sessions, to: output, json: &json, summary: &summary)
        summary.statistics = parser.statistics
        let prefixText = fileFormat.hasPrefix ? " (prefix '\((filePrefix ?? LogLinePrefix.postgresDefault).text)')" : ""
        Self.printError(Self.describe(summary, label: "\(handle.path): \(fileFormat.rawValue)\(prefixText)"))
    }

    private func write(_ events: inout [LogEvent], classifier: LogClassifier, sessions: inout SessionTracker, to output: FileHandle,
                       json: inout JSONWriter, summary: inout Summary) throws {
        guard !events.isEmpty else { return }
        events.sort { ($0.source?.offset ?? 0) < ($1.source?.offset ?? 0) }
        json.reset()
        for index in events.indices {
            classifier.classify(&events[index])
            sessions.attribute(&events[index], correlation: classifier.correlation)
            summary.classes[(events[index].event ?? .other).rawValue, default: 0] += 1
            events[index].write(to: &json)
            json.newline()
        }
        try json.bytes.withUnsafeBytes { try output.write(contentsOf: $0) }
    }

    static func describe(_ summary: Summary, label: String) -> String {
        let classes = summary.classes.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        let stats = summary.statistics
        return "\(label): \(stats.lines) lines, \(stats.entries) entries, \(stats.unparsed) unparsed, "
            + "\(stats.truncated) truncated" + (stats.foreign > 0 ? ", \(stats.foreign) lines of other programs" : "")
            + (classes.isEmpty ? "" : "; \(classes)")
    }

    static func printError(_ text: String) {
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }
}
