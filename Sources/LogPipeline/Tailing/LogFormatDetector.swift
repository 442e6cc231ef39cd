package import AgentSchema

/// Works out a log file's format (and, for `logs parse` without `--prefix`, its `log_line_prefix`) from
/// its name and first bytes.
package enum LogFormatDetector {
    /// Prefixes seen in the wild, tried in this order when none is given: PostgreSQL's default since 10,
    /// Debian's, Amazon RDS's, pgBadger's recommendations, and a bracketed style.
    package static let commonPrefixes = [
        "%m [%p] %q%u@%d ",
        "%m [%p] ",
        "%t:%r:%u@%d:[%p]:",
        "%t [%p]: [%l-1] %quser=%u,db=%d,app=%a,client=%h ",
        "%t [%p]: [%l-1] %qdb=%d,user=%u,app=%a,client=%h ",
        "%m [%p] %q[user=%u,db=%d,app=%a] ",
        "%t [%p]: ",
        "%m [%p]: [%l-1] ",
    ]

    /// The format of a file named `name` that starts with `head`: a `.csv` name decides; a first line that
    /// is a JSON object means Docker's json-file (`log` and `stream`), CloudNativePG (`logger` and `ts`),
    /// journalctl's JSON (`__CURSOR`), or else jsonlog, as does a `.json` name; a CRI line, syslog lines,
    /// a line that starts with a timestamp, a zone and a comma and has at least 11 commas (csvlog), or
    /// anything else: stderr.
    package static func format(name: String, head: some Collection<UInt8>) -> LogFormat {
        if name.hasSuffix(".csv") { return .csvlog }
        let bytes = head.drop { $0 == 0 || $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\n") }
        guard let first = bytes.first else { return name.hasSuffix(".json") ? .jsonlog : .stderr }
        let firstLine = Array(bytes.prefix { $0 != UInt8(ascii: "\n") })
        if first == UInt8(ascii: "{") {
            // Docker's json-file records and CloudNativePG's lines are JSON objects too.
            func has(_ key: String) -> Bool { firstLine.firstRange(of: Array("\"\(key)\":".utf8)) != nil }
            if has("stream") && has("log") { return .docker }
            if has("logger") && has("ts") { return .cloudnativepg }
            if has("__CURSOR") { return .journal }
            return .jsonlog
        }
        if name.hasSuffix(".json") { return .jsonlog }
        if isCRI(firstLine) { return .cri }
        if isSyslog(Array(head.prefix(16 << 10))) { return .syslog }
        let line = bytes.prefix { $0 != UInt8(ascii: "\n") }
        let commas = line.count { $0 == UInt8(ascii: ",") }
        guard commas >= 11, line.count > 20 else { return .stderr }
        // "2026-11-27 13:37:00.123 UTC,"
        let text = Array(line.prefix(40))
        let digitsAt = [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18]
        guard digitsAt.allSatisfy({ text[$0] >= UInt8(ascii: "0") && text[$0] <= UInt8(ascii: "9") }),
              text[4] == UInt8(ascii: "-"), text[10] == UInt8(ascii: " ") else { return .stderr }
        guard let space = text[19...].firstIndex(of: UInt8(ascii: " ")),
              let comma = text[space...].firstIndex(of: UInt8(ascii: ",")),
              !text[(space + 1)..<comma].contains(UInt8(ascii: " ")) else { return .stderr }
        return .csvlog
    }

    /// `2026-12-07T04:57:28.131271Z stderr F …`: an RFC 3339 time, a stream, a part tag.
    static func isCRI(_ line: [UInt8]) -> Bool {
        let fields = line.split(separator: UInt8(ascii: " "), maxSplits: 3, omittingEmptySubsequences: false)
        guard fields.count >= 3, fields[0].count >= 20, fields[0].dropFirst(10).first == UInt8(ascii: "T"),
              fields[0].first.map({ $0 &- 0x30 < 10 }) == true else { return false }
        let stream = Array(fields[1])
        let tag = Array(fields[2])
        return (stream == Array("stderr".utf8) || stream == Array("stdout".utf8)) && (tag == [UInt8(ascii: "F")] || tag == [UInt8(ascii: "P")])
    }

    /// The stderr lines a container runtime wrapped (Docker's json-file or CRI), unwrapped: what the
    /// prefix is tried on.
    package static func containerMessages(_ sample: [UInt8], format: LogFormat) -> [UInt8] {
        ContainerLogParser.stderrText(of: sample, wrapping: format == .cri ? .cri : .dockerJSON)
    }

    /// The text a prefix is tried on, for formats that wrap the server's lines (syslog, containers, the
    /// journal); the sample itself for stderr.
    package static func prefixSample(_ sample: [UInt8], format: LogFormat, syslogIdent: String = "postgres") -> [UInt8] {
        switch format {
        case .syslog: return syslogMessages(sample, ident: syslogIdent)
        case .docker, .cri: return containerMessages(sample, format: format)
        case .journal: return JournalLogParser.messages(of: sample)
        default: return sample
        }
    }

    /// Whether most of the first lines (up to 20) are syslog lines (``SyslogHeader``).
    static func isSyslog(_ head: [UInt8]) -> Bool {
        var lines = 0
        var syslog = 0
        var start = 0
        head.withUnsafeBufferPointer { bytes in
            while start < bytes.count, lines < 20 {
                guard let end = bytes[start...].firstIndex(of: UInt8(ascii: "\n")) else { break }
                let line = UnsafeBufferPointer(rebasing: bytes[start..<end])
                if !line.isEmpty {
                    lines += 1
                    if SyslogHeader(line) != nil { syslog += 1 }
                }
                start = end + 1
            }
        }
        return lines > 0 && syslog * 2 > lines
    }

    /// The messages of the server's lines of a syslog file, without headers and part tags: what the prefix
    /// is tried on.
    package static func syslogMessages(_ sample: [UInt8], ident: String = "postgres") -> [UInt8] {
        var result: [UInt8] = []
        let wanted = Array(ident.utf8)
        sample.withUnsafeBufferPointer { bytes in
            var start = 0
            while start < bytes.count {
                let end = bytes[start...].firstIndex(of: UInt8(ascii: "\n")) ?? bytes.count
                let line = UnsafeBufferPointer(rebasing: bytes[start..<end])
                if let header = SyslogHeader(line), line[header.ident].elementsEqual(wanted) {
                    var index = header.messageStart
                    _ = SyslogLogParser.tag(line, at: &index)
                    if index < line.count, line[index] != UInt8(ascii: " "), line[index] != UInt8(ascii: "#") {
                        result += line[index...]
                        result.append(UInt8(ascii: "\n"))
                    }
                }
                start = end + 1
            }
        }
        return result
    }

    /// The prefix among `candidates` under which the most lines of `sample` parse (fewest unparsed lines
    /// and unknown severities); nil when none parses more than half of them.
    package static func prefix(for sample: [UInt8], candidates: [String] = commonPrefixes) -> LogLinePrefix? {
        var best: (prefix: LogLinePrefix, bad: Int)?
        var lines = 0
        for text in candidates {
            guard let prefix = try? LogLinePrefix(text) else { continue }
            var parser = StderrLogParser(prefix: prefix, fileName: "")
            _ = sample.withUnsafeBufferPointer { parser.consume(lines: $0, offset: 0) }
            _ = parser.flushAll()
            let bad = parser.statistics.unparsedLines + parser.statistics.unknownSeverityLines
            lines = parser.statistics.lines
            if best == nil || bad < best!.bad { best = (prefix, bad) }
        }
        guard let best, lines > 0, best.bad * 2 < lines else { return nil }
        return best.prefix
    }
}

extension LogLinePrefix {
    /// PostgreSQL's default `log_line_prefix` since version 10.
    package static let postgresDefault: LogLinePrefix = {
        do { return try LogLinePrefix("%m [%p] ") } catch { preconditionFailure("the default prefix compiles") }
    }()
}
