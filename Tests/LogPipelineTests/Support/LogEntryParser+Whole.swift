import AgentSchema
@testable import LogPipeline

extension LogEntryParser {
    /// Feeds all of `bytes` in chunks of `chunk` bytes (records cut anywhere, as reads cut them), then
    /// finishes the file: every entry, and the counters.
    mutating func parseWhole(_ bytes: [UInt8], chunk: Int = 1 << 20) -> (events: [LogEvent], statistics: Statistics) {
        var events: [LogEvent] = []
        var offset = 0
        while offset < bytes.count {
            let end = min(bytes.count, offset + chunk)
            events += bytes[offset..<end].withUnsafeBufferPointer { consume($0, offset: Int64(offset)) }
            offset = end
        }
        events += finish()
        return (events, statistics)
    }
}
