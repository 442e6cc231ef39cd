import AgentSchema
import AgentStorage
import Foundation
import GRDB

/// Where the listener keeps what it accepted: a SQLite file (WAL, `synchronous = FULL`), one row per
/// `batch_id`. A batch is acknowledged only after its row is committed, so a 2xx means it is on disk.
/// A new file is created mode 0600 (payloads carry query texts and log lines), and SQLite gives its
/// `-wal` and `-shm` files the same mode.
///
/// A second copy of a `batch_id` (the agent resending after a lost answer) is not stored again; it is
/// counted in `counters`, so operators and tests can see how often the agent resent.
package final class BatchStore: Sendable {
    /// What ``store(_:receivedAt:)`` did.
    package enum Outcome: Equatable, Sendable {
        /// A new batch, stored at this arrival sequence number.
        case stored(Int64)
        /// A batch_id seen before: nothing was stored.
        case duplicate
    }

    /// One stored batch, for readers (the demo's summary, tests).
    package struct Row: Sendable {
        /// Arrival order.
        package var sequence: Int64
        package var batchID: String
        package var kind: String
        package var instance: String?
        package var project: String?
        package var timestamp: Double?
        /// Wall-clock seconds when it was committed.
        package var receivedAt: Double
        /// The JSON document.
        package var json: [UInt8]
    }

    /// Totals.
    package struct Counts: Equatable, Sendable {
        /// Batches stored.
        package var batches: Int
        /// Requests that carried a batch_id already stored.
        package var duplicates: Int
        /// Compressed bytes stored.
        package var bytes: Int
    }

    /// The database file.
    package let path: String
    private let queue: DatabaseQueue

    /// - Parameter powerSafe: `synchronous = FULL` (a 2xx survives a power loss); false uses NORMAL (a
    ///   2xx survives a crash of the listener, not a power loss of its host).
    package init(path: String, powerSafe: Bool = true) throws(ListenerError) {
        self.path = path
        try Self.createPrivately(path)
        do {
            queue = try SQLiteFile.openQueue(path: path, label: "listener-store", synchronous: powerSafe ? .full : .normal)
            try queue.write { db in
                try db.execute(sql: """
                    CREATE TABLE IF NOT EXISTS batches (
                        sequence INTEGER PRIMARY KEY,
                        batch_id TEXT NOT NULL UNIQUE,
                        kind TEXT NOT NULL,
                        instance TEXT,
                        project TEXT,
                        timestamp REAL,
                        received_at REAL NOT NULL,
                        size INTEGER NOT NULL,
                        json_size INTEGER NOT NULL,
                        body BLOB NOT NULL
                    );
                    CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
                    """)
            }
        } catch {
            throw ListenerError(.setup, "cannot open the store \(path): \(Self.describe(error))")
        }
    }

    /// Stores a batch unless its batch_id is already there; commits before returning. The write runs on
    /// the store's own queue, never on the caller's thread.
    package func store(_ batch: IngestBatch, receivedAt: Double) async throws(ListenerError) -> Outcome {
        do {
            return try await queue.write { db in
                try db.execute(sql: """
                    INSERT INTO batches (batch_id, kind, instance, project, timestamp, received_at, size, json_size, body)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (batch_id) DO NOTHING
                    """, arguments: [batch.batchID, batch.kind, batch.instance, batch.project, batch.timestamp,
                                     receivedAt, batch.gzipBody.count, batch.jsonSize, Data(batch.gzipBody)])
                if db.changesCount == 1 { return .stored(db.lastInsertedRowID) }
                try db.execute(sql: """
                    INSERT INTO counters (name, value) VALUES ('duplicates', 1)
                    ON CONFLICT (name) DO UPDATE SET value = value + 1
                    """)
                return .duplicate
            }
        } catch {
            throw ListenerError(.store, "cannot store a batch in \(path): \(Self.describe(error))")
        }
    }

    /// Creates the file, empty and mode 0600, when it does not exist yet, before SQLite opens it: SQLite
    /// would create it 0644 (less the umask), readable by every local user. An existing file keeps its
    /// mode (the operator may have chosen a group).
    private static func createPrivately(_ path: String) throws(ListenerError) {
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw ListenerError(.setup, "cannot create the store \(path): \(String(cString: strerror(errno)))")
        }
        close(descriptor)
    }

    /// Whether the store answers a read, for `GET /healthz` without a key: one row read at most,
    /// whatever the size of the store.
    package func probe() async throws(ListenerError) {
        do {
            _ = try await queue.read { db in try Int.fetchOne(db, sql: "SELECT 1 FROM batches LIMIT 1") }
        } catch {
            throw ListenerError(.store, "cannot read \(path): \(Self.describe(error))")
        }
    }

    /// The totals so far.
    package func counts() throws(ListenerError) -> Counts {
        do {
            return try queue.read { db in try Self.counts(db) }
        } catch {
            throw ListenerError(.store, "cannot read \(path): \(Self.describe(error))")
        }
    }

    /// The totals so far, read without blocking the caller's thread.
    package func countsAsync() async throws(ListenerError) -> Counts {
        do {
            return try await queue.read { db in try Self.counts(db) }
        } catch {
            throw ListenerError(.store, "cannot read \(path): \(Self.describe(error))")
        }
    }

    private static func counts(_ db: Database) throws -> Counts {
        let row = try GRDB.Row.fetchOne(db, sql: "SELECT count(*) AS n, coalesce(sum(size), 0) AS bytes FROM batches")
        let duplicates = try Int.fetchOne(db, sql: "SELECT value FROM counters WHERE name = 'duplicates'") ?? 0
        return Counts(batches: row?["n"] ?? 0, duplicates: duplicates, bytes: row?["bytes"] ?? 0)
    }

    /// Stored batches in arrival order, after `sequence`, at most `limit`, inflated.
    package func rows(after sequence: Int64 = 0, limit: Int = 1_000) throws(ListenerError) -> [Row] {
        do {
            return try queue.read { db in
                try GRDB.Row.fetchAll(db, sql: """
                    SELECT sequence, batch_id, kind, instance, project, timestamp, received_at, body
                    FROM batches WHERE sequence > ? ORDER BY sequence LIMIT ?
                    """, arguments: [sequence, limit]).map { row in
                    let body: Data = row["body"]
                    return Row(sequence: row["sequence"], batchID: row["batch_id"], kind: row["kind"],
                               instance: row["instance"], project: row["project"], timestamp: row["timestamp"],
                               receivedAt: row["received_at"], json: try Gzip.decompress(Array(body), limit: 1 << 30))
                }
            }
        } catch {
            throw ListenerError(.store, "cannot read \(path): \(Self.describe(error))")
        }
    }

    private static func describe(_ error: any Error) -> String { SQLiteFile.describe(error) }
}
