package import AgentSchema

/// A format parser that can also frame bytes itself, for callers that hold one parser and no
/// ``LogEntryParser`` (tests, tools): it keeps its own ``LogRecordFramer``.
protocol SelfFramingParser: LogFormatParser {
    /// The parser's own framer.
    var framer: LogRecordFramer { get set }
}

extension SelfFramingParser {
    /// Parses the next `bytes` of the file, which start at file offset `offset`, and returns the entries
    /// they complete. A chunk that does not continue where the last one ended (the file was truncated or
    /// replaced) drops the record in progress as unparsed.
    package mutating func consume(_ bytes: UnsafeRawBufferPointer, startingAt offset: Int64) -> [LogEvent] {
        var events: [LogEvent] = []
        var framer = takeFramer()
        framer.feed(bytes.assumingMemoryBound(to: UInt8.self), at: offset) { consume($0, into: &events) }
        self.framer = framer
        return events
    }

    /// The same, for any collection of bytes.
    package mutating func consume(_ bytes: some Collection<UInt8>, startingAt offset: Int64) -> [LogEvent] {
        Array(bytes).withUnsafeBytes { consume($0, startingAt: offset) }
    }

    /// Ends the input: a last record without its newline is parsed if it is whole, and counted as unparsed
    /// otherwise. Call it when a file is finished (rotated away, or the end of `logs parse` input), not
    /// when a live file merely has no more bytes yet.
    package mutating func flush() -> [LogEvent] {
        var events: [LogEvent] = []
        var framer = takeFramer()
        framer.finish { consume($0, into: &events) }
        self.framer = framer
        return events
    }

    /// The framer, moved out (so that it is uniquely referenced while it works and its buffer is not copied).
    private mutating func takeFramer() -> LogRecordFramer {
        var taken = LogRecordFramer(framing: Self.framing, cap: framer.cap)
        swap(&taken, &framer)
        return taken
    }
}
