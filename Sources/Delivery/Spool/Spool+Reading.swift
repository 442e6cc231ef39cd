import AgentSchema
import Foundation
import GRDB

/// What the spool holds: read on GRDB's reader queues, beside the writer (WAL).
extension Spool {
    /// The oldest payload waiting, if any.
    package func oldest() async throws(SpoolError) -> SpooledPayload? {
        try await read { db in
            guard let row = try Row.fetchOne(db.cachedStatement(sql: """
                SELECT id, batch_id, kind, instance, created_at, attempts, body FROM payloads ORDER BY id LIMIT 1
                """)) else { return nil }
            let body: Data = row["body"]
            return SpooledPayload(id: row["id"], batchID: row["batch_id"], kind: PayloadKind(rawValue: row["kind"]), instance: row["instance"],
                                  createdAt: row["created_at"], body: [UInt8](body), attempts: row["attempts"])
        }
    }

    /// Whether any payload waits (no body is read).
    package func isEmpty() async throws(SpoolError) -> Bool {
        try await read { db in try Bool.fetchOne(db, sql: "SELECT NOT EXISTS (SELECT 1 FROM payloads)") ?? true }
    }

    /// The checkpoint stored for a log source, if any.
    package func checkpoint(source: String) async throws(SpoolError) -> [UInt8]? {
        try await read { db in
            try Data.fetchOne(db, sql: "SELECT value FROM log_checkpoints WHERE source = ?", arguments: [source])
                .map { [UInt8]($0) }
        }
    }

    /// Depth, bytes, age and counters.
    package func status() async throws(SpoolError) -> SpoolStatus {
        let path = self.path
        return try await read { db in
            let fileBytes = Self.fileSize(path) + Self.fileSize(path + "-wal")
            // Cached statements: status is read at every snapshot and scrape, and preparing its three
            // statements anew cost more than running them.
            let row = try Row.fetchOne(db.cachedStatement(sql: """
                SELECT count(*) AS depth, coalesce(sum(size), 0) AS bytes, min(created_at) AS oldest FROM payloads
                """))!
            let counters = try Self.counters(db)
            let dead = try Int.fetchOne(db.cachedStatement(sql: "SELECT count(*) FROM dead_letters")) ?? 0
            return SpoolStatus(depth: row["depth"], payloadBytes: row["bytes"], fileBytes: fileBytes,
                               oldestCreatedAt: row["oldest"], evictedBatches: counters["evicted_batches", default: 0],
                               evictedBytes: counters["evicted_bytes", default: 0], deadLetters: dead,
                               evictedDeadLetters: counters["evicted_dead_letters", default: 0],
                               refusedBatches: counters["refused_batches", default: 0],
                               corruptFilesSetAside: counters["corrupt_files_set_aside", default: 0])
        }
    }

    /// Payloads evicted so far (one row read: cheap enough to call after every append).
    package func evictedBatches() async throws(SpoolError) -> Int {
        try await read { db in try Int.fetchOne(db, sql: "SELECT value FROM counters WHERE name = 'evicted_batches'") ?? 0 }
    }

    /// The batch ids of the waiting payloads, oldest first (for tests and `spool status --list`).
    package func batchIDs() async throws(SpoolError) -> [String] {
        try await read { db in try String.fetchAll(db, sql: "SELECT batch_id FROM payloads ORDER BY id") }
    }

    /// `PRAGMA integrity_check`: "ok" for a sound file.
    package func integrityCheck() async throws(SpoolError) -> String {
        try await read { db in try String.fetchAll(db, sql: "PRAGMA integrity_check").joined(separator: "; ") }
    }
}

extension Spool {
    /// Every waiting payload, oldest first (tests and tools; the transmitter reads one at a time).
    package func all() async throws(SpoolError) -> [SpooledPayload] {
        try await read { db in
            try Row.fetchAll(db, sql: "SELECT id, batch_id, kind, instance, created_at, attempts, body FROM payloads ORDER BY id")
                .map { row in
                    let body: Data = row["body"]
                    return SpooledPayload(id: row["id"], batchID: row["batch_id"], kind: PayloadKind(rawValue: row["kind"]), instance: row["instance"],
                                          createdAt: row["created_at"], body: [UInt8](body), attempts: row["attempts"])
                }
        }
    }
}
