import AgentSchema
@testable import Delivery
import Foundation
import TestSupport
import Testing

/// The spool on real SQLite files in a scratch directory.
@Suite struct SpoolTests {
    static func json(_ index: Int, size: Int = 200) -> [UInt8] {
        // Incompressible enough that sizes mean something: a pseudo-random hex string.
        var generator = SeededGenerator(seed: UInt64(index))
        let text = (0..<size / 16).map { _ in String(generator.next(), radix: 16) }.joined()
        return Array("{\"n\":\(index),\"pad\":\"\(text)\"}".utf8)
    }

    @Test func keepsOrderAcknowledgesAndStoresCompressed() async throws {
        let scratch = try ScratchDirectory()
        let spool = try Spool(path: scratch.file("spool.sqlite"), limits: .init(maxBytes: 10 << 20), wallClock: { 1_000 })
        for index in 0..<5 {
            try await spool.append(kind: .snapshot, instance: "main", batchID: "b\(index)", json: Self.json(index))
        }
        #expect(try await spool.batchIDs() == ["b0", "b1", "b2", "b3", "b4"])
        let oldest = try #require(try await spool.oldest())
        #expect(oldest.batchID == "b0")
        #expect(try Gzip.decompress(oldest.body) == Self.json(0))
        try await spool.acknowledge(id: oldest.id)
        #expect(try await spool.oldest()?.batchID == "b1")
        let status = try await spool.status()
        #expect(status.depth == 4)
        #expect(status.oldestCreatedAt == 1_000)
        #expect(try await spool.integrityCheck() == "ok")
    }

    @Test func survivesReopeningWithEverythingInIt() async throws {
        let scratch = try ScratchDirectory()
        let path = scratch.file("spool.sqlite")
        do {
            let spool = try Spool(path: path, limits: .init(maxBytes: 10 << 20))
            try await spool.append(kind: .logs, instance: "main", batchID: "x", json: Self.json(1),
                             checkpoint: ("main:/var/log", Array("cp-1".utf8)))
        }
        let reopened = try Spool(path: path, limits: .init(maxBytes: 10 << 20))
        #expect(try await reopened.batchIDs() == ["x"])
        #expect(try await reopened.checkpoint(source: "main:/var/log") == Array("cp-1".utf8))
    }

    @Test func fillingPastTheCapEvictsExactlyTheOldestAndTheFileStopsGrowing() async throws {
        let scratch = try ScratchDirectory()
        let path = scratch.file("spool.sqlite")
        let cap = 2 << 20
        let spool = try Spool(path: path, limits: .init(maxBytes: cap))
        var fileSizes: [Int] = []
        for index in 0..<600 {
            try await spool.append(kind: .snapshot, instance: "main", batchID: "b\(index)", json: Self.json(index, size: 20_000))
            if index >= 300 { await fileSizes.append(try spool.status().fileBytes) }
        }
        let status = try await spool.status()
        let ids = try await spool.batchIDs()
        // What is left is a contiguous run of the newest payloads, the last one included.
        #expect(ids.last == "b599")
        let first = try #require(Int(ids.first!.dropFirst()))
        #expect(ids == (first..<600).map { "b\($0)" })
        #expect(status.evictedBatches == first, "every evicted payload counted once")
        #expect(status.depth + status.evictedBatches == 600)
        #expect(status.depth > 0)
        // The database itself stays within the cap plus one eviction step; the WAL adds at most 4 MiB.
        let database = try #require(FileManager.default.attributesOfItem(atPath: path)[.size] as? Int)
        #expect(database <= cap + cap / 5, "database file \(database) bytes for a cap of \(cap)")
        #expect(fileSizes.max()! <= cap + cap / 5 + (4 << 20) + 65_536)
        #expect(try await spool.integrityCheck() == "ok")
    }

    @Test func aPayloadLargerThanTheCapIsRefusedAndTheQueueKept() async throws {
        let scratch = try ScratchDirectory()
        let spool = try Spool(path: scratch.file("spool.sqlite"), limits: .init(maxBytes: 64 << 10))
        try await spool.append(kind: .snapshot, instance: "main", batchID: "small", json: Self.json(1))
        await #expect(throws: SpoolError.self) {
            try await spool.append(kind: .snapshot, instance: "main", batchID: "huge", json: Self.json(2, size: 200_000))
        }
        #expect(try await spool.batchIDs() == ["small"])
    }

    @Test func deadLettersLeaveTheQueueAndAreCounted() async throws {
        let scratch = try ScratchDirectory()
        let spool = try Spool(path: scratch.file("spool.sqlite"), limits: .init(maxBytes: 10 << 20))
        try await spool.append(kind: .logs, instance: "main", batchID: "bad", json: Self.json(1))
        try await spool.append(kind: .logs, instance: "main", batchID: "good", json: Self.json(2))
        let bad = try #require(try await spool.oldest())
        try await spool.recordAttempt(id: bad.id)
        try await spool.moveToDeadLetters(id: bad.id, status: 413, reason: "payload too large")
        #expect(try await spool.oldest()?.batchID == "good")
        #expect(try await spool.status().deadLetters == 1)
    }

    @Test func aDuplicateBatchIDIsAnErrorNotASecondCopy() async throws {
        let scratch = try ScratchDirectory()
        let spool = try Spool(path: scratch.file("spool.sqlite"), limits: .init(maxBytes: 10 << 20))
        try await spool.append(kind: .logs, instance: "main", batchID: "same", json: Self.json(1))
        await #expect(throws: SpoolError.self) { try await spool.append(kind: .logs, instance: "main", batchID: "same", json: Self.json(2)) }
        #expect(try await spool.status().depth == 1)
    }

    /// A damaged spool must not stop the agent at every start: it is moved aside (kept) and counted.
    @Test func aDamagedSpoolIsMovedAsideKeptAndCounted() async throws {
        let scratch = try ScratchDirectory()
        let path = scratch.file("spool.sqlite")
        let garbage = Data((0..<8_192).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 3) })
        try garbage.write(to: URL(fileURLWithPath: path))
        #expect(throws: SpoolError.self) { _ = try Spool(path: path, limits: .init(maxBytes: 1 << 20)) }
        let opened = try Spool.openSettingAsideDamaged(path: path, limits: .init(maxBytes: 1 << 20), now: 1_800_000_000)
        #expect(opened.setAside == path + ".corrupt-1800000000")
        #expect(FileManager.default.contents(atPath: path + ".corrupt-1800000000") == garbage, "kept as it was")
        try await opened.spool.append(kind: .logs, instance: "main", batchID: "after", json: Self.json(1))
        let status = try await opened.spool.status()
        #expect(status.corruptFilesSetAside == 1)
        #expect(status.depth == 1)
        // A sound spool is opened as it is.
        let again = try Spool.openSettingAsideDamaged(path: path, limits: .init(maxBytes: 1 << 20))
        #expect(again.setAside == nil)
        #expect(try await again.spool.batchIDs() == ["after"])
    }

    @Test func anUnopenableSpoolIsAClearError() {
        #expect(throws: SpoolError.self) { _ = try Spool(path: "/dev/null/spool.sqlite", limits: .init(maxBytes: 1 << 20)) }
    }

    /// Dead letters live inside the cap: once they fill it, the oldest of them go (counted as such),
    /// the live payloads stay, and the file does not grow past the cap.
    @Test func deadLettersAreEvictedInsideTheCapBeforeLivePayloads() async throws {
        let scratch = try ScratchDirectory()
        let path = scratch.file("spool.sqlite")
        let cap = 512 << 10
        let spool = try Spool(path: path, limits: .init(maxBytes: cap))
        // 60 refused payloads of about 20 KB: more than twice the cap, were they kept.
        for index in 0..<60 {
            try await spool.append(kind: .logs, instance: "main", batchID: "dead\(index)", json: Self.json(index, size: 40_000))
            let head = try #require(try await spool.oldest())
            try await spool.moveToDeadLetters(id: head.id, status: 413, reason: "HTTP 413")
        }
        for index in 0..<10 {
            try await spool.append(kind: .logs, instance: "main", batchID: "live\(index)", json: Self.json(1_000 + index, size: 40_000))
        }
        let status = try await spool.status()
        #expect(status.depth == 10, "no live payload was evicted to make room for dead letters")
        #expect(status.evictedBatches == 0)
        #expect(status.evictedDeadLetters > 0)
        #expect(status.deadLetters + status.evictedDeadLetters == 60)
        let letters = try await spool.deadLetters()
        #expect(letters.last?.batchID == "dead59", "the newest dead letters are the ones kept")
        let database = try #require(FileManager.default.attributesOfItem(atPath: path)[.size] as? Int)
        #expect(database <= cap + cap / 10, "database file \(database) bytes for a cap of \(cap)")
        #expect(try await spool.integrityCheck() == "ok")
    }

    /// Below the free-space floor an append must fit into pages eviction frees; when nothing can be
    /// freed it is refused and counted, its checkpoint kept, and the file does not grow.
    @Test func anAppendThatCannotBeMadeToFitIsRefusedNotGrown() async throws {
        let scratch = try ScratchDirectory()
        let path = scratch.file("spool.sqlite")
        // A floor no filesystem meets: the file may never grow.
        let spool = try Spool(path: path, limits: .init(maxBytes: 10 << 20, minFreeDiskBytes: Int.max / 2))
        let before = try #require(FileManager.default.attributesOfItem(atPath: path)[.size] as? Int)
        await #expect(throws: SpoolError.self) {
            try await spool.append(kind: .logs, instance: "main", batchID: "x", json: Self.json(1, size: 40_000),
                                   checkpoint: ("main:/log", Array("cp-9".utf8)))
        }
        do {
            try await spool.append(kind: .logs, instance: "main", batchID: "y", json: Self.json(2, size: 40_000))
        } catch {
            #expect(error.code == .full)
        }
        let status = try await spool.status()
        #expect(status.refusedBatches == 2)
        #expect(status.depth == 0)
        #expect(try await spool.checkpoint(source: "main:/log") == Array("cp-9".utf8))
        let after = try #require(FileManager.default.attributesOfItem(atPath: path)[.size] as? Int)
        #expect(after <= before + 8_192, "the file grew from \(before) to \(after) bytes")
    }

    @Test func requeuedDeadLettersGoBackInTheirOriginalPlace() async throws {
        let scratch = try ScratchDirectory()
        let spool = try Spool(path: scratch.file("spool.sqlite"), limits: .init(maxBytes: 10 << 20))
        for index in 0..<4 {
            try await spool.append(kind: .snapshot, instance: "main", batchID: "b\(index)", json: Self.json(index))
        }
        for _ in 0..<2 {
            let head = try #require(try await spool.oldest())
            try await spool.recordAttempt(id: head.id)
            try await spool.moveToDeadLetters(id: head.id, status: 400, reason: "invalid_payload: test")
        }
        #expect(try await spool.batchIDs() == ["b2", "b3"])
        #expect(try await spool.deadLetters().map(\.batchID) == ["b0", "b1"])
        #expect(try await spool.requeueDeadLetters(batchIDs: ["b1", "nope"]) == ["b1"])
        #expect(try await spool.batchIDs() == ["b1", "b2", "b3"])
        #expect(try await spool.oldest()?.attempts == 0)
        #expect(try await spool.requeueDeadLetters(batchIDs: nil) == ["b0"])
        #expect(try await spool.batchIDs() == ["b0", "b1", "b2", "b3"])
        #expect(try await spool.status().deadLetters == 0)
        #expect(try Gzip.decompress(try #require(try await spool.oldest()).body) == Self.json(0))
    }
}
