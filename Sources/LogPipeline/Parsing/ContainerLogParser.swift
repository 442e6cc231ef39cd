package import AgentSchema

/// Reads the stderr of a PostgreSQL server in a container, as the container runtime stored it:
///
/// - **Docker's `json-file` driver** (`/var/lib/docker/containers/ID/ID-json.log`): one JSON object per
///   line, `{"log":"…\n","stream":"stderr","time":"2026-12-07T04:57:28.131271Z"}`. A line longer than
///   16 KiB comes in several records; all but the last have a `log` without its final newline.
/// - **The CRI format** of containerd and CRI-O (Kubernetes' `/var/log/pods/…`, `/var/log/containers/*.log`):
///   `2026-12-07T04:57:28.131271Z stderr F text`, where `P` instead of `F` marks a part of a longer line.
///
/// Each whole line then goes through a ``StderrLogParser`` under the server's `log_line_prefix` (the
/// official image's is PostgreSQL's default, `%m [%p] `). Lines on `stdout` are the image's entrypoint
/// talking (`PostgreSQL init process complete`), not the server's log: they are counted as foreign.
struct ContainerLogParser: LogFormatParser {
    enum Wrapping: Sendable {
        case dockerJSON
        case cri
    }

    static let framing = LogRecordFraming.lines

    private let wrapping: Wrapping
    private var inner: StderrLogParser
    /// A line in parts, waiting for its last part: its bytes and the offset of its first record.
    private var partial: (bytes: [UInt8], offset: Int64)?
    private var records = 0
    private var malformed = 0
    private var scratch: [UInt8] = []
    private let cap: Int
    /// Lines on stdout.
    private(set) var foreignLines = 0

    init(wrapping: Wrapping, prefix: LogLinePrefix, fileName: String, maximumEntryBytes: Int, timeZone: TimeZoneRules?) {
        self.wrapping = wrapping
        self.cap = maximumEntryBytes
        inner = StderrLogParser(prefix: prefix, fileName: fileName, maximumEntryBytes: maximumEntryBytes, timeZone: timeZone)
    }

    mutating func consume(_ record: LogRecord, into events: inout [LogEvent]) -> Bool {
        records += 1
        guard let line = unwrap(record.bytes) else {
            malformed += 1
            return false
        }
        guard line.stream == .stderr else {
            foreignLines += 1
            return true
        }
        if var open = partial {
            if open.bytes.count < cap { open.bytes += line.text.prefix(cap - open.bytes.count) }
            partial = nil
            if line.complete {
                feed(open.bytes, offset: open.offset, into: &events)
            } else {
                partial = open
            }
            return true
        }
        if line.complete {
            feed(line.text, offset: record.offset, into: &events)
        } else {
            partial = (Array(line.text.prefix(cap)), record.offset)
        }
        return true
    }

    mutating func completeOpenEntries(into events: inout [LogEvent]) {
        if let open = partial {
            partial = nil
            feed(open.bytes, offset: open.offset, into: &events)
        }
        inner.completeOpenEntries(into: &events)
    }

    var oldestOpenOffset: Int64? {
        switch (partial?.offset, inner.oldestOpenOffset) {
        case let (a?, b?): return min(a, b)
        case let (a, b): return a ?? b
        }
    }

    var counts: LogParseCounts {
        let innerCounts = inner.counts
        return LogParseCounts(records: records, entries: innerCounts.entries, unparsed: malformed + innerCounts.unparsed,
                              truncated: innerCounts.truncated)
    }

    private mutating func feed(_ text: [UInt8], offset: Int64, into events: inout [LogEvent]) {
        text.withUnsafeBufferPointer { events += inner.consume(line: $0, offset: offset) }
    }

    /// The stderr lines of `sample` unwrapped, one per line (parts not joined): what a prefix is tried on.
    static func stderrText(of sample: [UInt8], wrapping: Wrapping) -> [UInt8] {
        var parser = ContainerLogParser(wrapping: wrapping, prefix: LogLinePrefix.postgresDefault, fileName: "",
                                        maximumEntryBytes: 1 << 20, timeZone: nil)
        var text: [UInt8] = []
        sample.withUnsafeBufferPointer { bytes in
            var start = 0
            while start < bytes.count {
                guard let end = bytes[start...].firstIndex(of: UInt8(ascii: "\n")) else { break }
                if let line = parser.unwrap(UnsafeBufferPointer(rebasing: bytes[start..<end])), line.stream == .stderr {
                    text += line.text
                    text.append(UInt8(ascii: "\n"))
                }
                start = end + 1
            }
        }
        return text
    }

    enum Stream { case stdout, stderr }

    /// The line's text (without its newline), its stream, and whether it is a whole line or a part.
    mutating func unwrap(_ bytes: UnsafeBufferPointer<UInt8>) -> (text: [UInt8], stream: Stream, complete: Bool)? {
        switch wrapping {
        case .cri: return Self.unwrapCRI(bytes)
        case .dockerJSON: return unwrapDocker(bytes)
        }
    }

    /// `TIME STREAM F|P TEXT`.
    private static func unwrapCRI(_ bytes: UnsafeBufferPointer<UInt8>) -> (text: [UInt8], stream: Stream, complete: Bool)? {
        guard let first = bytes.firstIndex(of: UInt8(ascii: " ")) else { return nil }
        let afterTime = bytes.index(after: first)
        guard let second = bytes[afterTime...].firstIndex(of: UInt8(ascii: " ")) else { return nil }
        let stream: Stream
        if bytes[afterTime..<second].elementsEqual("stderr".utf8) {
            stream = .stderr
        } else if bytes[afterTime..<second].elementsEqual("stdout".utf8) {
            stream = .stdout
        } else {
            return nil
        }
        let tag = second + 1
        guard tag < bytes.count else { return nil }
        let complete = bytes[tag] != UInt8(ascii: "P")
        guard bytes[tag] == UInt8(ascii: "P") || bytes[tag] == UInt8(ascii: "F") else { return nil }
        let start = min(tag + 2, bytes.count)
        return (Array(bytes[start...]), stream, complete)
    }

    /// `{"log":"…","stream":"stderr","time":"…"}` (keys in any order).
    private mutating func unwrapDocker(_ bytes: UnsafeBufferPointer<UInt8>) -> (text: [UInt8], stream: Stream, complete: Bool)? {
        var reader = JSONBytesReader(bytes)
        reader.skipWhitespace()
        guard case let .object(object)? = reader.parseValue(depth: 0, scratch: &scratch),
              case let .string(log)? = object["log"] else { return nil }
        let stream: Stream = object["stream"] == .string("stdout") ? .stdout : .stderr
        var text = Array(log.utf8)
        let complete = text.last == UInt8(ascii: "\n")
        if complete { text.removeLast() }
        return (text, stream, complete)
    }
}
