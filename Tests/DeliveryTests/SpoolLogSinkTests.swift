import AgentSchema
@testable import Delivery
import Foundation
import LogPipeline
import TestSupport
import Testing

@Suite struct SpoolLogSinkTests {
    static func checkpoint(_ offset: Int64) -> LogCheckpoint {
        LogCheckpoint(path: "/var/log/postgresql/postgresql.log",
                      identity: LogFileIdentity(device: 1, inode: 2, headLength: 3, headHash: 4),
                      offset: offset, precedingHash: 5, precedingLength: 6, emittedOffsets: [offset + 10])
    }

    @Test func aBatchAndItsCheckpointLandTogetherAndTheCheckpointComesBack() async throws {
        let scratch = try ScratchDirectory()
        let spool = try Spool(path: scratch.file("spool.sqlite"), limits: .init(maxBytes: 10 << 20))
        let sink = SpoolLogSink(spool: spool, source: "main:/var/log/postgresql", project: "p",
                                agent: AgentInfo(version: "t", hostname: "h", instance: "main"), wallClock: { 42 })
        #expect(try await sink.lastCheckpoint() == nil)
        var event = LogEvent()
        event.message = "hello"
        event.pid = 7
        try await sink.commit([event], checkpoint: Self.checkpoint(100))
        // Lines that made no event still move the checkpoint, without a payload.
        try await sink.commit([], checkpoint: Self.checkpoint(200))
        #expect(try await sink.lastCheckpoint() == Self.checkpoint(200))
        let payloads = try await spool.all()
        #expect(payloads.count == 1)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(try Gzip.decompress(payloads[0].body))) as? [String: Any])
        #expect(object["kind"] as? String == "logs")
        #expect(object["schema_version"] as? Int == 1)
        #expect(object["batch_id"] as? String == payloads[0].batchID)
        #expect(object["timestamp"] as? Double == 42)
        #expect((object["agent"] as? [String: Any])?["instance"] as? String == "main")
        let events = try #require(object["events"] as? [[String: Any]])
        #expect(events.count == 1)
        #expect(events[0]["message"] as? String == "hello")
    }

    /// A batch that cannot fit is refused and counted, and its checkpoint still moves: the follower
    /// goes on instead of failing on the same batch after every restart.
    @Test func aBatchThatCannotFitMovesTheCheckpointAndIsCounted() async throws {
        let scratch = try ScratchDirectory()
        let spool = try Spool(path: scratch.file("spool.sqlite"), limits: .init(maxBytes: 64 << 10))
        let sink = SpoolLogSink(spool: spool, source: "main:/var/log/postgresql", project: "p",
                                agent: AgentInfo(version: "t", hostname: "h", instance: "main"))
        var generator = SeededGenerator(seed: 7)
        let events = (0..<40).map { _ in
            var event = LogEvent()
            event.message = (0..<200).map { _ in String(generator.next(), radix: 16) }.joined()
            return event
        }
        try await sink.commit(events, checkpoint: Self.checkpoint(300))
        #expect(try await sink.lastCheckpoint() == Self.checkpoint(300))
        let status = try await spool.status()
        #expect(status.refusedBatches == 1)
        #expect(status.depth == 0)
    }

    @Test func aCheckpointThatDoesNotDecodeComesBackAsUnreadable() async throws {
        let scratch = try ScratchDirectory()
        let spool = try Spool(path: scratch.file("spool.sqlite"), limits: .init(maxBytes: 10 << 20))
        let sink = SpoolLogSink(spool: spool, source: "main:/var/log/postgresql", project: "p",
                                agent: AgentInfo(version: "t", hostname: "h", instance: "main"))
        try await spool.storeCheckpoint(source: "main:/var/log/postgresql", value: Array("{not json".utf8))
        #expect(try await sink.lastCheckpoint() == .unreadable)
    }
}
