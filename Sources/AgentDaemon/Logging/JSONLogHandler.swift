import AgentSchema
import Foundation
package import Logging

/// A swift-log handler writing one JSON object per line, in the shape Graylog (and most log shippers)
/// read without extra parsing: `timestamp` (RFC 3339, UTC, milliseconds), `level`, `message`, `logger`
/// (the label), then the metadata as top-level fields. A metadata key that collides with one of those is
/// written as `meta_<key>`. Each line goes out in a single `write`, so lines from several threads never
/// interleave.
///
/// The level comes from a shared ``LogLevelControl``, so a reload changes it for every logger at once.
/// Nothing here removes secrets: callers never put a key, password or DSN into a message or metadata
/// (the agent's errors print safely; tests scan the daemon's output for them).
package struct JSONLogHandler: LogHandler {
    private let label: String
    private let control: LogLevelControl
    private let write: @Sendable ([UInt8]) -> Void
    private let wallClock: @Sendable () -> Double
    package var metadata: Logger.Metadata = [:]

    /// - Parameters:
    ///   - write: where a finished line goes (default: standard error).
    ///   - wallClock: epoch seconds, injected by tests.
    package init(label: String, control: LogLevelControl,
                 write: @escaping @Sendable ([UInt8]) -> Void = JSONLogHandler.standardError,
                 wallClock: @escaping @Sendable () -> Double = { Date().timeIntervalSince1970 }) {
        self.label = label
        self.control = control
        self.write = write
        self.wallClock = wallClock
    }

    package var logLevel: Logger.Level {
        get { control.current }
        set { control.current = newValue }
    }

    package subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    package func log(event: Logging.LogEvent) {
        var fields = metadata
        if let extra = event.metadata { fields.merge(extra) { $1 } }
        var writer = JSONWriter(capacity: 256)
        writer.beginObject()
        writer.key("timestamp")
        writer.string(Self.timestamp(wallClock()))
        writer.key("level")
        writer.string(event.level.rawValue)
        writer.key("message")
        writer.string(event.message.description)
        writer.key("logger")
        writer.string(label)
        for key in fields.keys.sorted() {
            writer.key(Self.reserved.contains(key) ? "meta_\(key)" : key)
            Self.write(fields[key]!, to: &writer)
        }
        writer.endObject()
        write(writer.bytes + [0x0A])
    }

    static let reserved: Set<String> = ["timestamp", "level", "message", "logger"]

    private static func write(_ value: Logger.Metadata.Value, to writer: inout JSONWriter) {
        switch value {
        case .string(let text): writer.string(text)
        case .stringConvertible(let value): writer.string(value.description)
        case .array(let values):
            writer.beginArray()
            for value in values { write(value, to: &writer) }
            writer.endArray()
        case .dictionary(let dictionary):
            writer.beginObject()
            for key in dictionary.keys.sorted() {
                writer.key(key)
                write(dictionary[key]!, to: &writer)
            }
            writer.endObject()
        }
    }

    /// `2026-11-27T10:00:00.123Z`.
    static func timestamp(_ seconds: Double) -> String {
        let milliseconds = Int64((seconds * 1000).rounded(.down))
        let days = Int(milliseconds.quotientAndRemainderFlooring(by: 86_400_000).quotient)
        let inDay = Int(milliseconds - Int64(days) * 86_400_000)
        let (year, month, day) = CivilCalendar.civilFromDays(days)
        func pad(_ value: Int, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))T\(pad(inDay / 3_600_000, 2)):"
            + "\(pad(inDay / 60_000 % 60, 2)):\(pad(inDay / 1_000 % 60, 2)).\(pad(inDay % 1_000, 3))Z"
    }

    /// Writes a whole line to standard error with one `write(2)`, retrying on EINTR and short writes.
    package static let standardError: @Sendable ([UInt8]) -> Void = { bytes in
        bytes.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = Foundation.write(2, buffer.baseAddress! + offset, buffer.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    return
                }
                offset += written
            }
        }
    }
}

private extension Int64 {
    func quotientAndRemainderFlooring(by divisor: Int64) -> (quotient: Int64, remainder: Int64) {
        var (quotient, remainder) = quotientAndRemainder(dividingBy: divisor)
        if remainder < 0 {
            quotient -= 1
            remainder += divisor
        }
        return (quotient, remainder)
    }
}
