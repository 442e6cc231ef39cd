import AgentSchema
import Foundation
@testable import LogPipeline
import Testing

@Suite struct JSONLinesLogSinkTests {
    static func checkpoint(_ offset: Int64) -> LogCheckpoint {
        LogCheckpoint(path: "/x", identity: LogFileIdentity(device: 1, inode: 2, headLength: 3, headHash: 4),
                      offset: offset, precedingHash: 0, precedingLength: 0, emittedOffsets: [])
    }

    static func event(_ message: String) -> LogEvent {
        var event = LogEvent()
        event.message = message
        return event
    }

    @Test func reopeningCutsTheOutputBackToWhatTheCheckpointCovers() async throws {
        let logs = try LogDirectory()
        let output = logs.file("events.jsonl")
        let state = logs.file("state")
        do {
            let sink = try JSONLinesLogSink(outputPath: output, stateDirectory: state)
            #expect(await sink.lastCheckpoint() == nil)
            try await sink.commit([Self.event("a"), Self.event("b")], checkpoint: Self.checkpoint(10))
        }
        // A crash after the events were written but before the checkpoint was saved.
        logs.append(#"{"message":"c"}"# + "\n", to: "events.jsonl")
        let sink = try JSONLinesLogSink(outputPath: output, stateDirectory: state)
        #expect(await sink.lastCheckpoint()?.offset == 10)
        let lines = try String(contentsOfFile: output, encoding: .utf8).split(separator: "\n")
        #expect(lines == [#"{"message":"a"}"#, #"{"message":"b"}"#])
        try await sink.commit([Self.event("c")], checkpoint: Self.checkpoint(20))
        #expect(try String(contentsOfFile: output, encoding: .utf8).split(separator: "\n").count == 3)
    }

    @Test func anOutputWithoutItsCheckpointIsKeptAndAppendedTo() async throws {
        // The state directory was removed (or a new one given): the events already written must stay.
        let logs = try LogDirectory()
        let output = logs.file("events.jsonl")
        logs.append(#"{"message":"written before"}"# + "\n", to: "events.jsonl")
        let sink = try JSONLinesLogSink(outputPath: output, stateDirectory: logs.file("new-state"))
        #expect(await sink.lastCheckpoint() == nil)
        try await sink.commit([Self.event("after")], checkpoint: Self.checkpoint(10))
        let lines = try String(contentsOfFile: output, encoding: .utf8).split(separator: "\n")
        #expect(lines == [#"{"message":"written before"}"#, #"{"message":"after"}"#])
    }

    @Test func anOutputCutShorterThanItsCheckpointIsNotExtendedWithZeros() async throws {
        let logs = try LogDirectory()
        let output = logs.file("events.jsonl")
        let state = logs.file("state")
        do {
            let sink = try JSONLinesLogSink(outputPath: output, stateDirectory: state)
            try await sink.commit([Self.event("a"), Self.event("b")], checkpoint: Self.checkpoint(10))
        }
        #expect(truncate(output, 0) == 0)
        let sink = try JSONLinesLogSink(outputPath: output, stateDirectory: state)
        try await sink.commit([Self.event("c")], checkpoint: Self.checkpoint(20))
        let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: output)))
        #expect(!bytes.contains(0) && String(decoding: bytes, as: UTF8.self) == #"{"message":"c"}"# + "\n")
    }

    @Test func anUnwritableOutputIsAClearError() throws {
        #expect(throws: JSONLinesLogSink.SinkError.self) {
            _ = try JSONLinesLogSink(outputPath: "/nonexistent/dir/events.jsonl", stateDirectory: "/tmp")
        }
    }
}
