import AgentSchema
import AgentConfiguration
import SQLRedaction
import Foundation
@testable import LogPipeline
import Testing

/// The hand-written JSON of log events must be the document `JSONEncoder` makes: checked on every
/// event of the real fixtures, in all three formats, after classification (details included).
@Suite struct LogEventJSONTests {
    static func events(_ path: String, format: LogFormat, prefix: String) throws -> [LogEvent] {
        let root = try #require(Bundle.module.url(forResource: "Fixtures", withExtension: nil))
        let bytes = Array(try Data(contentsOf: root.appendingPathComponent(path)))
        var parser = LogEntryParser(format: format, prefix: try LogLinePrefix(prefix), fileName: path, maximumEntryBytes: 1 << 20)
        var events = bytes.withUnsafeBufferPointer { parser.consume($0, offset: 0) } + parser.finish()
        let classifier = LogClassifier(redactor: SQLRedactor(redactLiterals: true), correlation: try CorrelationExtractor())
        for index in events.indices { classifier.classify(&events[index]) }
        return events
    }

    @Test(arguments: [("debian/postgresql.log", LogFormat.stderr), ("debian/postgresql.csv", .csvlog),
                      ("debian/postgresql.json", .jsonlog), ("german/postgresql.log", .stderr),
                      ("pgbadger-verbose/postgresql.log", .stderr)])
    func matchesJSONEncoderOnRealEvents(path: String, format: LogFormat) throws {
        let prefix = path.hasPrefix("pgbadger") ? "%t [%p]: [%l-1] %qdb=%d,user=%u,app=%a,client=%h " : "%m [%p] %q%u@%d "
        let events = try Self.events(path, format: format, prefix: prefix)
        #expect(events.count > 50)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        for event in events {
            var json = JSONWriter()
            event.write(to: &json)
            let ours = try JSONSerialization.jsonObject(with: Data(json.bytes)) as? NSDictionary
            let theirs = try JSONSerialization.jsonObject(with: try encoder.encode(event)) as? NSDictionary
            #expect(ours == theirs, "\(String(decoding: json.bytes, as: UTF8.self))")
            // (A Double like 100.0 reads back as an integer through either encoder: compare the decodings.)
            #expect(try JSONDecoder().decode(LogEvent.self, from: Data(json.bytes))
                    == JSONDecoder().decode(LogEvent.self, from: try encoder.encode(event)))
        }
    }

    @Test func escapesEveryControlCharacterQuoteAndBackslash() throws {
        var event = LogEvent()
        event.message = "a\"b\\c\n\t\r\u{08}\u{0C}\u{01}\u{1F} é 😀 /"
        var json = JSONWriter()
        event.write(to: &json)
        #expect(String(decoding: json.bytes, as: UTF8.self)
                == #"{"message":"a\"b\\c\n\t\r\b\f\u0001\u001f é 😀 /"}"#)
        #expect(try JSONDecoder().decode(LogEvent.self, from: Data(json.bytes)).message == event.message)
    }

    /// The writer scans eight bytes at a time: a character that needs an escape must be found at every
    /// offset within and across those words, beside multi-byte UTF-8 that must pass through as it is.
    @Test func escapesAtEveryOffsetOfTheWordScan() throws {
        let specials: [Unicode.Scalar] = (0..<0x20).map { Unicode.Scalar(UInt8($0)) } + ["\"", "\\", "\u{7F}"]
        for special in specials {
            for offset in 0..<20 {
                for filler in ["abcdefghijklmnopqrstuvwxyz", "é😀ßабвгд€∂ƒ©˙∆˚¬…æ"] {
                    var text = String(filler.unicodeScalars.prefix(offset).map(Character.init))
                    text.unicodeScalars.append(special)
                    text += filler
                    var json = JSONWriter()
                    json.string(text)
                    let written = String(decoding: json.bytes, as: UTF8.self)
                    #expect(!json.bytes.dropFirst().dropLast().contains { $0 < 0x20 }, "\(written)")
                    let decoded = try JSONDecoder().decode(String.self, from: Data(json.bytes))
                    #expect(decoded == text, "\(special.value) at \(offset): \(written)")
                }
            }
        }
    }
}
