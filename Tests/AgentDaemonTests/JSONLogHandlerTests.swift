@testable import AgentDaemon
import Foundation
import Logging
import Synchronization
import Testing

@Suite struct JSONLogHandlerTests {
    final class Lines: Sendable {
        let lines = Mutex<[String]>([])
        var all: [String] { lines.withLock { $0 } }
    }

    func logger(_ lines: Lines, control: LogLevelControl, label: String = "postgres-agent") -> Logger {
        Logger(label: label) { label in
            JSONLogHandler(label: label, control: control,
                           write: { bytes in lines.lines.withLock { $0.append(String(decoding: bytes, as: UTF8.self)) } },
                           wallClock: { 1_764_237_600.1239 })
        }
    }

    @Test func writesOneJSONObjectPerLineWithTheFieldsGraylogReads() throws {
        let lines = Lines()
        var logger = logger(lines, control: LogLevelControl(.info))
        logger[metadataKey: "instance"] = "main"
        logger.warning("spool near its cap", metadata: ["depth": "12", "message": "clash", "nested": ["a": ["1", "2"]]])
        let line = try #require(lines.all.first)
        #expect(line.hasSuffix("}\n"))
        #expect(line.filter { $0 == "\n" }.count == 1)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        #expect(object["timestamp"] as? String == "2025-11-27T10:00:00.123Z")
        #expect(object["level"] as? String == "warning")
        #expect(object["message"] as? String == "spool near its cap")
        #expect(object["logger"] as? String == "postgres-agent")
        #expect(object["instance"] as? String == "main")
        #expect(object["depth"] as? String == "12")
        #expect(object["meta_message"] as? String == "clash", "a colliding key is kept under meta_")
        #expect((object["nested"] as? [String: Any])?["a"] as? [String] == ["1", "2"])
    }

    @Test func theSharedLevelFiltersEveryLoggerAndCanChange() {
        let lines = Lines()
        let control = LogLevelControl(.warning)
        let first = logger(lines, control: control, label: "a")
        let second = logger(lines, control: control, label: "b")
        first.info("hidden")
        second.error("shown")
        control.current = .debug
        first.debug("shown after the reload")
        #expect(lines.all.count == 2)
        #expect(lines.all.last?.contains("shown after the reload") == true)
    }

    @Test func timestampsAreUTCWithMilliseconds() {
        #expect(JSONLogHandler.timestamp(0) == "1970-01-01T00:00:00.000Z")
        #expect(JSONLogHandler.timestamp(951_782_400.5) == "2000-02-29T00:00:00.500Z")
        #expect(JSONLogHandler.timestamp(-0.001) == "1969-12-31T23:59:59.999Z")
    }
}
