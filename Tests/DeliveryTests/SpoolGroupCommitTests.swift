import AgentSchema
@testable import Delivery
import Foundation
import GRDB
import Synchronization
import TestSupport
import Testing

/// Appends that arrive together commit together: one transaction (one fsync) for all of them, each with
/// its own outcome.
@Suite struct SpoolGroupCommitTests {
    /// Holds the spool's single writer busy until `release()`, so that appends queue up behind it.
    final class WriterGate: Sendable {
        private let semaphore = DispatchSemaphore(value: 0)
        private let entered = Mutex(false)

        func hold(_ spool: Spool) async throws {
            try await spool.pool.writeWithoutTransaction { _ in
                self.entered.withLock { $0 = true }
                self.semaphore.wait()
            }
        }

        var isHeld: Bool { entered.withLock { $0 } }
        func release() { semaphore.signal() }
    }

    @Test func appendsQueuedBehindOneWriterTurnCommitInOneTransaction() async throws {
        let scratch = try ScratchDirectory()
        let spool = try Spool(path: scratch.file("spool.sqlite"), limits: .init(maxBytes: 10 << 20))
        let gate = WriterGate()
        try await withThrowingTaskGroup(of: Int64?.self) { group in
            group.addTask { try await gate.hold(spool); return nil }
            while !gate.isHeld { await Task.yield() }
            for index in 0..<8 {
                group.addTask {
                    try await spool.append(kind: .logs, instance: "main", batchID: "b\(index)", json: SpoolTests.json(index),
                                           checkpoint: ("main:\(index)", Array("cp-\(index)".utf8)))
                }
            }
            while spool.appends.count < 8 { await Task.yield() }
            gate.release()
            var ids: [Int64] = []
            for try await id in group { if let id { ids.append(id) } }
            #expect(Set(ids).count == 8)
        }
        #expect(spool.appends.transactions == 1)
        #expect(try await spool.status().depth == 8)
        for index in 0..<8 {
            #expect(try await spool.checkpoint(source: "main:\(index)") == Array("cp-\(index)".utf8))
        }
    }

    @Test func aFailingAppendInAGroupFailsAloneAndTheOthersAreStored() async throws {
        let scratch = try ScratchDirectory()
        let spool = try Spool(path: scratch.file("spool.sqlite"), limits: .init(maxBytes: 10 << 20))
        try await spool.append(kind: .snapshot, instance: "main", batchID: "taken", json: SpoolTests.json(0))
        let gate = WriterGate()
        let outcomes = try await withThrowingTaskGroup(of: (String, Bool)?.self) { group in
            group.addTask { try await gate.hold(spool); return nil }
            while !gate.isHeld { await Task.yield() }
            for batchID in ["a", "taken", "b"] {
                group.addTask {
                    do {
                        try await spool.append(kind: .snapshot, instance: "main", batchID: batchID, json: SpoolTests.json(1))
                        return (batchID, true)
                    } catch {
                        return (batchID, false)
                    }
                }
            }
            while spool.appends.count < 3 { await Task.yield() }
            gate.release()
            var outcomes: [String: Bool] = [:]
            for try await outcome in group { if let outcome { outcomes[outcome.0] = outcome.1 } }
            return outcomes
        }
        #expect(outcomes == ["a": true, "taken": false, "b": true])
        #expect(try await spool.batchIDs().sorted() == ["a", "b", "taken"])
        #expect(spool.appends.transactions == 2)
    }
}
