import Foundation
@testable import Listener
import TestSupport
import Testing

@Suite struct BatchStoreTests {
    static func batch(_ id: String, kind: String = "logs") throws -> IngestBatch {
        let json = Array(#"{"schema_version":1,"kind":"\#(kind)","batch_id":"\#(id)","agent":{"instance":"main"}}"#.utf8)
        return try IngestBatch(body: json, contentEncoding: nil, contentType: nil, idempotencyKey: id)
    }

    @Test func storesEachBatchIDOnceAndCountsTheDuplicates() async throws {
        let scratch = try ScratchDirectory()
        let store = try BatchStore(path: scratch.file("store.sqlite"))
        #expect(try await store.store(Self.batch("a"), receivedAt: 10) == .stored(1))
        #expect(try await store.store(Self.batch("b", kind: "snapshot"), receivedAt: 11) == .stored(2))
        #expect(try await store.store(Self.batch("a"), receivedAt: 12) == .duplicate)
        #expect(try await store.store(Self.batch("a"), receivedAt: 13) == .duplicate)
        let counts = try store.counts()
        #expect(counts.batches == 2)
        #expect(counts.duplicates == 2)
        #expect(counts.bytes == (try Self.batch("a").gzipBody.count) + (try Self.batch("b", kind: "snapshot").gzipBody.count))
        let rows = try store.rows()
        #expect(rows.map(\.batchID) == ["a", "b"])
        #expect(rows.map(\.receivedAt) == [10, 11], "the first copy is the one kept")
        #expect(try store.rows(after: 1).map(\.batchID) == ["b"])
        #expect(String(decoding: rows[1].json, as: UTF8.self).contains(#""kind":"snapshot""#))
    }

    @Test func whatWasAcknowledgedIsThereAfterReopening() async throws {
        let scratch = try ScratchDirectory()
        do {
            let store = try BatchStore(path: scratch.file("store.sqlite"))
            _ = try await store.store(Self.batch("kept"), receivedAt: 1)
        }
        let reopened = try BatchStore(path: scratch.file("store.sqlite"))
        #expect(try reopened.rows().map(\.batchID) == ["kept"])
        #expect(try await reopened.store(Self.batch("kept"), receivedAt: 2) == .duplicate)
    }

    /// The permission bits of `path`, nil when it does not exist.
    static func mode(_ path: String) -> Int? {
        (try? FileManager.default.attributesOfItem(atPath: path))?[.posixPermissions] as? Int
    }

    @Test func aNewStoreAndItsLogFilesAreReadableByTheOwnerOnly() async throws {
        let scratch = try ScratchDirectory()
        let path = scratch.file("store.sqlite")
        // SQLite alone would create the file 0644 under the usual umask (022).
        let store = try BatchStore(path: path)
        _ = try await store.store(Self.batch("a"), receivedAt: 1)
        #expect(Self.mode(path) == 0o600)
        #expect(Self.mode(path + "-wal") == 0o600, "SQLite gives the log the main file's mode")
        #expect(Self.mode(path + "-shm") == 0o600)
    }

    @Test func anExistingStoreKeepsTheModeItsOperatorChose() throws {
        let scratch = try ScratchDirectory()
        let path = scratch.file("store.sqlite")
        #expect(FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o640]))
        _ = try BatchStore(path: path)
        #expect(Self.mode(path) == 0o640)
    }

    @Test func anUnopenableStoreIsASetupErrorNamingThePath() throws {
        let scratch = try ScratchDirectory()
        let path = scratch.file("missing-dir/store.sqlite")
        #expect { try BatchStore(path: path) } throws: { ($0 as? ListenerError)?.code == .setup && "\($0)".contains(path) }
    }
}
