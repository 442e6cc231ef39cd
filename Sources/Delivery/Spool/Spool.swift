import AgentSchema
import Foundation
import GRDB

/// The durable, ordered queue between the collectors and the transmitter: SQLite in WAL mode, in the
/// state directory.
///
/// Every payload is written here, gzip-compressed, before any send is tried, and leaves only when the
/// listener acknowledged it. A log batch and its tailer checkpoint commit in the same transaction
/// (``append(kind:instance:batchID:json:checkpoint:)``), so after a crash the tailer resumes exactly
/// where the spool ends.
///
/// **Durability.** Each append is one transaction. With `synchronous = FULL` (the default) a commit is
/// on disk when `append` returns: a process kill at any instant and a power loss lose nothing that was
/// appended. With ``Durability/normal`` a process kill still loses nothing, but a power loss may lose the
/// last commits (never the file's consistency).
///
/// **The cap.** Before an append, the space really used (the database's used pages plus the incoming
/// payload) is checked against `maxBytes`; past it, the oldest payloads are deleted in one statement, down
/// to 90 % of the cap, and their count and bytes are added to persistent counters. Freed pages are reused
/// by later appends, so the file stops growing; the write-ahead log is truncated back to 4 MiB after each
/// checkpoint. A payload larger than the whole cap is refused, never allowed to empty the queue. When the
/// filesystem's free space is under `minFreeDiskBytes`, an append must fit into the file's free pages:
/// the oldest payloads are evicted to make room rather than growing the file.
package final class Spool: Sendable {
    /// How hard a commit waits for the disk.
    package enum Durability: String, Sendable {
        /// `synchronous = FULL`: a commit survives a power loss.
        case full
        /// `synchronous = NORMAL`: a commit survives a process kill; a power loss may undo the last ones.
        case normal
    }

    /// The size limits.
    package struct Limits: Sendable {
        /// The cap on the database's used space, bytes.
        package var maxBytes: Int
        /// Free space to leave on the filesystem, bytes (0: no check).
        package var minFreeDiskBytes: Int

        package init(maxBytes: Int, minFreeDiskBytes: Int = 0) {
            self.maxBytes = maxBytes
            self.minFreeDiskBytes = minFreeDiskBytes
        }
    }

    /// The database file.
    package let path: String
    private let limits: Limits
    private let durability: Durability
    private let queue: DatabaseQueue
    private let wallClock: @Sendable () -> Double
    /// Eviction frees this share of the cap beyond what the incoming payload needs, so that a full spool
    /// does not run one eviction per append.
    private static let evictionHeadroom = 0.02
    /// Bytes a row costs beyond its body (record header, columns, index entry), for the estimate.
    private static let rowOverhead = 160

    /// Opens (or creates) the spool at `path`.
    package init(path: String, limits: Limits, durability: Durability = .full,
                 wallClock: @escaping @Sendable () -> Double = { Date().timeIntervalSince1970 }) throws(SpoolError) {
        self.path = path
        self.limits = limits
        self.durability = durability
        self.wallClock = wallClock
        var configuration = Configuration()
        configuration.label = "spool"
        configuration.busyMode = .timeout(5)
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA journal_mode = WAL")
            try db.execute(sql: "PRAGMA synchronous = \(durability == .full ? "FULL" : "NORMAL")")
            try db.execute(sql: "PRAGMA journal_size_limit = 4194304")
        }
        do {
            let directory = (path as NSString).deletingLastPathComponent
            if !directory.isEmpty {
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true,
                                                        attributes: [.posixPermissions: 0o750])
            }
            queue = try DatabaseQueue(path: path, configuration: configuration)
            try queue.write { db in try Self.migrate(db) }
        } catch {
            throw SpoolError(code: .open, message: "cannot open the spool \(path): \(Self.describe(error))")
        }
    }

    private static func migrate(_ db: Database) throws {
        try db.execute(sql: """
            CREATE TABLE IF NOT EXISTS payloads (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                batch_id TEXT NOT NULL UNIQUE,
                kind TEXT NOT NULL,
                instance TEXT NOT NULL,
                created_at REAL NOT NULL,
                size INTEGER NOT NULL,
                attempts INTEGER NOT NULL DEFAULT 0,
                body BLOB NOT NULL
            );
            -- Eviction and status read only ids and sizes: this covering index spares them the bodies.
            CREATE INDEX IF NOT EXISTS payloads_sizes ON payloads (id, size);
            CREATE TABLE IF NOT EXISTS dead_letters (
                id INTEGER PRIMARY KEY,
                batch_id TEXT NOT NULL,
                kind TEXT NOT NULL,
                instance TEXT NOT NULL,
                created_at REAL NOT NULL,
                size INTEGER NOT NULL,
                status INTEGER NOT NULL,
                reason TEXT NOT NULL,
                moved_at REAL NOT NULL,
                body BLOB NOT NULL
            );
            CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
            CREATE TABLE IF NOT EXISTS log_checkpoints (source TEXT PRIMARY KEY, value BLOB NOT NULL);
            """)
    }

    // MARK: - Writing

    /// Compresses `json` and appends it (with `checkpoint`, when given, in the same transaction), evicting
    /// the oldest payloads first when the cap or the free-space floor requires it. Returns the row id.
    @discardableResult
    package func append(kind: String, instance: String, batchID: String, json: [UInt8],
                        checkpoint: (source: String, value: [UInt8])? = nil) throws(SpoolError) -> Int64 {
        let body: [UInt8]
        do { body = try Gzip.compress(json) } catch {
            throw SpoolError(code: .compression, message: "cannot compress a \(kind) payload: \(error)")
        }
        let incoming = body.count + Self.rowOverhead
        guard incoming <= Int(Double(limits.maxBytes) * (1 - Self.evictionHeadroom)) else {
            throw SpoolError(code: .payloadTooLarge,
                             message: "a \(kind) payload of \(body.count) bytes compressed exceeds the spool cap")
        }
        let now = wallClock()
        let freeDisk = limits.minFreeDiskBytes > 0 ? Self.freeDiskBytes(near: path) : nil
        return try write { db in
            try self.makeRoom(db, incoming: incoming, freeDisk: freeDisk)
            try db.execute(sql: """
                INSERT INTO payloads (batch_id, kind, instance, created_at, size, body) VALUES (?, ?, ?, ?, ?, ?)
                """, arguments: [batchID, kind, instance, now, body.count, Data(body)])
            let id = db.lastInsertedRowID
            if let checkpoint {
                try Self.storeCheckpoint(db, source: checkpoint.source, value: checkpoint.value)
            }
            return id
        }
    }

    /// Stores a log source's checkpoint on its own (the tailer moved past lines that made no event).
    package func storeCheckpoint(source: String, value: [UInt8]) throws(SpoolError) {
        try write { db in try Self.storeCheckpoint(db, source: source, value: value) }
    }

    private static func storeCheckpoint(_ db: Database, source: String, value: [UInt8]) throws {
        try db.execute(sql: "INSERT INTO log_checkpoints (source, value) VALUES (?, ?) "
                           + "ON CONFLICT (source) DO UPDATE SET value = excluded.value",
                       arguments: [source, Data(value)])
    }

    /// Deletes an acknowledged payload.
    ///
    /// The delete is committed without waiting for the disk (`synchronous = NORMAL` for this one
    /// transaction): a process kill still cannot undo it, and a power loss that did would only make the
    /// payload be sent again, which the listener recognises by its batch_id. Appends keep their
    /// configured durability.
    package func acknowledge(id: Int64) throws(SpoolError) {
        do {
            try queue.inDatabase { db in
                guard durability == .full else {
                    try db.execute(sql: "DELETE FROM payloads WHERE id = ?", arguments: [id])
                    return
                }
                try db.execute(sql: "PRAGMA synchronous = NORMAL")
                defer { try? db.execute(sql: "PRAGMA synchronous = FULL") }
                try db.execute(sql: "DELETE FROM payloads WHERE id = ?", arguments: [id])
            }
        } catch {
            throw SpoolError(code: .io, message: "spool \(path): \(Self.describe(error))")
        }
    }

    /// Counts a failed send attempt of a payload.
    package func recordAttempt(id: Int64) throws(SpoolError) {
        try write { db in try db.execute(sql: "UPDATE payloads SET attempts = attempts + 1 WHERE id = ?", arguments: [id]) }
    }

    /// Moves a payload the listener refused for good (400, 413) to the dead letters, so it never blocks the
    /// queue; it stays there for inspection.
    package func moveToDeadLetters(id: Int64, status: Int, reason: String) throws(SpoolError) {
        let now = wallClock()
        try write { db in
            try db.execute(sql: """
                INSERT INTO dead_letters (id, batch_id, kind, instance, created_at, size, status, reason, moved_at, body)
                SELECT id, batch_id, kind, instance, created_at, size, ?, ?, ?, body FROM payloads WHERE id = ?
                """, arguments: [status, reason, now, id])
            try db.execute(sql: "DELETE FROM payloads WHERE id = ?", arguments: [id])
        }
    }

    // MARK: - Reading

    /// The oldest payload waiting, if any.
    package func oldest() throws(SpoolError) -> SpooledPayload? {
        try read { db in
            guard let row = try Row.fetchOne(db, sql: """
                SELECT id, batch_id, kind, instance, created_at, attempts, body FROM payloads ORDER BY id LIMIT 1
                """) else { return nil }
            let body: Data = row["body"]
            return SpooledPayload(id: row["id"], batchID: row["batch_id"], kind: row["kind"], instance: row["instance"],
                                  createdAt: row["created_at"], body: [UInt8](body), attempts: row["attempts"])
        }
    }

    /// Whether any payload waits (no body is read).
    package func isEmpty() throws(SpoolError) -> Bool {
        try read { db in try Bool.fetchOne(db, sql: "SELECT NOT EXISTS (SELECT 1 FROM payloads)") ?? true }
    }

    /// The checkpoint stored for a log source, if any.
    package func checkpoint(source: String) throws(SpoolError) -> [UInt8]? {
        try read { db in
            try Data.fetchOne(db, sql: "SELECT value FROM log_checkpoints WHERE source = ?", arguments: [source])
                .map { [UInt8]($0) }
        }
    }

    /// Depth, bytes, age and counters.
    package func status() throws(SpoolError) -> SpoolStatus {
        let fileBytes = Self.fileSize(path) + Self.fileSize(path + "-wal")
        return try read { db in
            let row = try Row.fetchOne(db, sql: """
                SELECT count(*) AS depth, coalesce(sum(size), 0) AS bytes, min(created_at) AS oldest FROM payloads
                """)!
            let counters = try Self.counters(db)
            let dead = try Int.fetchOne(db, sql: "SELECT count(*) FROM dead_letters") ?? 0
            return SpoolStatus(depth: row["depth"], payloadBytes: row["bytes"], fileBytes: fileBytes,
                               oldestCreatedAt: row["oldest"], evictedBatches: counters["evicted_batches", default: 0],
                               evictedBytes: counters["evicted_bytes", default: 0], deadLetters: dead)
        }
    }

    /// Payloads evicted so far (one row read: cheap enough to call after every append).
    package func evictedBatches() throws(SpoolError) -> Int {
        try read { db in try Int.fetchOne(db, sql: "SELECT value FROM counters WHERE name = 'evicted_batches'") ?? 0 }
    }

    /// The batch ids of the waiting payloads, oldest first (for tests and `spool status --list`).
    package func batchIDs() throws(SpoolError) -> [String] {
        try read { db in try String.fetchAll(db, sql: "SELECT batch_id FROM payloads ORDER BY id") }
    }

    /// `PRAGMA integrity_check`: "ok" for a sound file.
    package func integrityCheck() throws(SpoolError) -> String {
        try read { db in try String.fetchAll(db, sql: "PRAGMA integrity_check").joined(separator: "; ") }
    }

    // MARK: - The cap

    /// Deletes the oldest payloads when the incoming one would take the used space past the cap, or (with
    /// too little free disk) past the file's current size.
    private func makeRoom(_ db: Database, incoming: Int, freeDisk: Int?) throws {
        let pageSize = try Int.fetchOne(db, sql: "PRAGMA page_size") ?? 4096
        let pages = try Int.fetchOne(db, sql: "PRAGMA page_count") ?? 0
        let freePages = try Int.fetchOne(db, sql: "PRAGMA freelist_count") ?? 0
        let used = (pages - freePages) * pageSize
        var excess = used + incoming - limits.maxBytes
        if let freeDisk, freeDisk - incoming < limits.minFreeDiskBytes {
            // The file must not grow: the payload has to fit into pages freed by eviction.
            excess = max(excess, incoming - freePages * pageSize)
        }
        guard excess > 0 else { return }
        let target = excess + Int(Double(limits.maxBytes) * Self.evictionHeadroom)
        // Walk the oldest rows (ids and sizes only, from the covering index) until their sizes reach the
        // target; everything up to that row goes, in one statement. Never the whole queue: the headroom
        // is far below the cap, and a payload larger than the cap was refused before.
        var running = 0
        var last: Int64?
        let cursor = try Row.fetchCursor(db, sql: "SELECT id, size FROM payloads ORDER BY id")
        while let row = try cursor.next() {
            last = row["id"]
            running += (row["size"] as Int) + Self.rowOverhead
            if running >= target { break }
        }
        guard let last else { return }
        let evicted = try Row.fetchOne(db, sql: "SELECT count(*) AS n, coalesce(sum(size), 0) AS bytes FROM payloads WHERE id <= ?",
                                       arguments: [last])!
        try db.execute(sql: "DELETE FROM payloads WHERE id <= ?", arguments: [last])
        try Self.add(db, "evicted_batches", evicted["n"])
        try Self.add(db, "evicted_bytes", evicted["bytes"])
    }

    private static func add(_ db: Database, _ name: String, _ amount: Int) throws {
        try db.execute(sql: "INSERT INTO counters (name, value) VALUES (?, ?) "
                           + "ON CONFLICT (name) DO UPDATE SET value = value + excluded.value",
                       arguments: [name, amount])
    }

    private static func counters(_ db: Database) throws -> [String: Int] {
        var result: [String: Int] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT name, value FROM counters") {
            result[row["name"]] = row["value"]
        }
        return result
    }

    // MARK: - Plumbing

    private func write<T>(_ body: (Database) throws -> T) throws(SpoolError) -> T {
        do { return try queue.write(body) } catch {
            throw SpoolError(code: .io, message: "spool \(path): \(Self.describe(error))")
        }
    }

    private func read<T>(_ body: (Database) throws -> T) throws(SpoolError) -> T {
        do { return try queue.read(body) } catch {
            throw SpoolError(code: .io, message: "spool \(path): \(Self.describe(error))")
        }
    }

    /// SQLite's message without the SQL or its arguments (which could carry payload text).
    private static func describe(_ error: any Error) -> String {
        if let error = error as? DatabaseError {
            return "SQLite error \(error.resultCode.rawValue): \(error.message ?? "unknown")"
        }
        return "\(type(of: error))"
    }

    private static func fileSize(_ path: String) -> Int {
        var info = stat()
        return stat(path, &info) == 0 ? Int(info.st_size) : 0
    }

    /// Free bytes for unprivileged users on the filesystem holding `path`.
    private static func freeDiskBytes(near path: String) -> Int? {
        var info = statvfs()
        let directory = (path as NSString).deletingLastPathComponent
        guard statvfs(directory.isEmpty ? "." : directory, &info) == 0 else { return nil }
        return Int(info.f_bavail) * Int(info.f_frsize)
    }
}

extension Spool {
    /// Every waiting payload, oldest first (tests and tools; the transmitter reads one at a time).
    package func all() throws(SpoolError) -> [SpooledPayload] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT id, batch_id, kind, instance, created_at, attempts, body FROM payloads ORDER BY id")
                .map { row in
                    let body: Data = row["body"]
                    return SpooledPayload(id: row["id"], batchID: row["batch_id"], kind: row["kind"], instance: row["instance"],
                                          createdAt: row["created_at"], body: [UInt8](body), attempts: row["attempts"])
                }
        }
    }
}
