package import AgentSchema
import AgentStorage
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
/// **Never on the cooperative pool.** Every call runs on GRDB's own dispatch queues (one writer, readers
/// beside it in WAL mode), awaited; no SQLite call blocks a thread of Swift's cooperative pool. Only
/// ``init(path:limits:durability:wallClock:)`` opens the file synchronously, once, at start-up.
///
/// **Group commit.** Appends that arrive together from several producers commit in one transaction
/// (``SpoolAppendQueue``), so one fsync serves all of them; each still gets its own outcome.
///
/// **Durability.** Each append is committed before it returns. With `synchronous = FULL` (the default) a commit is
/// on disk when `append` returns: a process kill at any instant and a power loss lose nothing that was
/// appended. With ``Durability/normal`` a process kill still loses nothing, but a power loss may lose the
/// last commits (never the file's consistency).
///
/// **The cap.** Before an append, the space really used (the database's used pages, dead letters
/// included, plus the incoming payload) is checked against `maxBytes`; past it, the oldest dead letters
/// and then the oldest payloads are deleted, down to 98 % of the cap (`evictionHeadroom`), and their
/// count and bytes are added to persistent counters. Dead letters go first: the listener has refused
/// them already, and what is still deliverable is worth more. Freed pages are reused by later appends,
/// so the file stops growing; the write-ahead log is kept to a quarter of the cap (at most 4 MiB,
/// ``SQLiteFile/walLimit(forCap:)``). A payload larger than the whole cap is refused, never allowed to
/// empty the queue. When the filesystem's free space is under `minFreeDiskBytes`, an append must fit
/// into the file's free pages: the oldest rows are evicted to make room rather than growing the file.
/// An append that still cannot be made to fit is refused (``SpoolError/Code-swift.struct/full``) and
/// counted, never written past the cap; a refused log batch still stores its checkpoint, so the tailer
/// moves on instead of offering the same batch forever.
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
    package let limits: Limits
    let durability: Durability
    let pool: DatabasePool
    let wallClock: @Sendable () -> Double
    let appends = SpoolAppendQueue()
    /// Appends committed since the spool was opened, and the tasks waiting for the next one.
    private let appendSignal = SpoolAppendSignal()
    /// Eviction frees this share of the cap beyond what the incoming payload needs, so that a full spool
    /// does not run one eviction per append.
    static let evictionHeadroom = 0.02
    /// Bytes a row costs beyond its body (record header, columns, index entry), for the estimate.
    static let rowOverhead = 160
    /// zlib's level for payloads. Level 3 is the best of zlib's fast levels: on the agent's own log-event
    /// JSON in 1 MiB batches it compresses at 414 MB/s to 1/12.2 of the size, against 192 MB/s and 1/16.1 at
    /// zlib's default 6 (BENCHMARKS.md, footprint). At 25,000 log entries/s that is about 3.5 % of a core
    /// less for about a third more bytes sent and spooled: the agent shares its host with the database,
    /// and the network and the spool's cap have the room.
    static let compressionLevel: Int32 = 3

    /// Opens (or creates) the spool at `path`.
    package init(path: String, limits: Limits, durability: Durability = .full,
                 wallClock: @escaping @Sendable () -> Double = { Date().timeIntervalSince1970 }) throws(SpoolError) {
        self.path = path
        self.limits = limits
        self.durability = durability
        self.wallClock = wallClock
        do {
            let directory = (path as NSString).deletingLastPathComponent
            if !directory.isEmpty {
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true,
                                                        attributes: [.posixPermissions: 0o750])
            }
            pool = try SQLiteFile.openPool(path: path, label: "spool", synchronous: durability == .full ? .full : .normal,
                                           walLimitBytes: SQLiteFile.walLimit(forCap: limits.maxBytes))
            try pool.write { db in try Self.migrate(db) }
        } catch {
            if let error = error as? DatabaseError, [.SQLITE_CORRUPT, .SQLITE_NOTADB].contains(error.resultCode) {
                throw SpoolError(code: .corrupt, message: "the spool \(path) is damaged: \(SQLiteFile.describe(error))")
            }
            throw SpoolError(code: .open, message: "cannot open the spool \(path): \(SQLiteFile.describe(error))")
        }
    }

    /// Opens the spool at `path`; a file SQLite finds damaged (not a database, or corrupt) is moved
    /// aside with its write-ahead log, as `<path>.corrupt-<epoch seconds>` (kept for inspection), and a
    /// fresh spool is started in its place and counts it (`corrupt_files_set_aside`). Any other failure
    /// (permissions, a full disk) is thrown as it is: moving a sound file would lose its payloads.
    ///
    /// - Returns: the spool, and the path the damaged file was moved to, if one was.
    package static func openSettingAsideDamaged(path: String, limits: Limits, durability: Durability = .full,
                                                now: Double = Date().timeIntervalSince1970) throws(SpoolError)
        -> (spool: Spool, setAside: String?) {
        do {
            return (try Spool(path: path, limits: limits, durability: durability), nil)
        } catch where error.code == .corrupt {
            let aside = "\(path).corrupt-\(Int(now))"
            for suffix in ["-wal", "-shm"] where FileManager.default.fileExists(atPath: path + suffix) {
                _ = rename(path + suffix, aside + suffix)
            }
            guard rename(path, aside) == 0 else {
                throw SpoolError(code: .open, message: "the spool \(path) is damaged and cannot be moved aside (errno \(errno))")
            }
            let spool = try Spool(path: path, limits: limits, durability: durability)
            try? spool.pool.writeWithoutTransaction { db in try Self.add(db, "corrupt_files_set_aside", 1) }
            return (spool, aside)
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
            CREATE INDEX IF NOT EXISTS dead_letters_sizes ON dead_letters (id, size);
            CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
            CREATE TABLE IF NOT EXISTS log_checkpoints (source TEXT PRIMARY KEY, value BLOB NOT NULL);
            """)
    }

    // MARK: - Writing

    /// Compresses `json` and appends it (with `checkpoint`, when given, in the same transaction), evicting
    /// the oldest payloads first when the cap or the free-space floor requires it. Returns the row id once
    /// the transaction that stored it has committed.
    @discardableResult
    package func append(kind: PayloadKind, instance: String, batchID: String, json: [UInt8],
                        checkpoint: (source: String, value: [UInt8])? = nil) async throws(SpoolError) -> Int64 {
        let body: [UInt8]
        do { body = try Gzip.compress(json, level: Self.compressionLevel) } catch {
            throw SpoolError(code: .compression, message: "cannot compress a \(kind.rawValue) payload: \(error)")
        }
        guard body.count + Self.rowOverhead <= Int(Double(limits.maxBytes) * (1 - Self.evictionHeadroom)) else {
            try await write { db in try Self.refuse(db, checkpoint: checkpoint) }
            throw SpoolError(code: .payloadTooLarge,
                             message: "a \(kind.rawValue) payload of \(body.count) bytes compressed exceeds the spool cap")
        }
        let createdAt = wallClock()
        let result = await withCheckedContinuation { (continuation: CheckedContinuation<Result<Int64, SpoolError>, Never>) in
            let item = PendingAppend(kind: kind, instance: instance, batchID: batchID, body: body, checkpoint: checkpoint,
                                     createdAt: createdAt, continuation: continuation)
            if appends.enqueue(item) {
                pool.asyncWriteWithoutTransaction { db in self.storePending(db) }
            }
        }
        return try result.get()
    }

    /// One writer turn: stores every queued append in one transaction, each in a savepoint of its own so
    /// that one failure (a repeated batch_id) fails that append alone; resumes each producer after the
    /// commit, or with the transaction's failure.
    private func storePending(_ db: Database) {
        let batch = appends.takeAll()
        guard !batch.isEmpty else { return }
        let freeDisk = limits.minFreeDiskBytes > 0 ? Self.freeDiskBytes(near: path) : nil
        var outcomes: [Result<Int64, SpoolError>] = []
        outcomes.reserveCapacity(batch.count)
        do {
            try db.inTransaction {
                // Room for the whole group at once: one look at the page counts, at most one eviction.
                guard try self.makeRoom(db, incoming: batch.reduce(0) { $0 + $1.body.count + Self.rowOverhead }, freeDisk: freeDisk) else {
                    for item in batch {
                        try Self.refuse(db, checkpoint: item.checkpoint)
                        outcomes.append(.failure(SpoolError(
                            code: .full, message: "spool \(path): a \(item.kind.rawValue) payload of \(item.body.count) bytes does not fit "
                                + "the cap (\(limits.maxBytes) bytes) or the free-space floor (\(limits.minFreeDiskBytes) bytes)")))
                    }
                    return .commit
                }
                for item in batch {
                    do {
                        var id: Int64 = 0
                        try db.inSavepoint {
                            // A statement of its own per append: a cached one that failed (a repeated
                            // batch_id) would report that failure again at its next reset.
                            try db.execute(sql: Self.insertPayload, arguments: [item.batchID, item.kind.rawValue, item.instance, item.createdAt,
                                                           item.body.count, Data(item.body)])
                            id = db.lastInsertedRowID
                            if let checkpoint = item.checkpoint {
                                try Self.storeCheckpoint(db, source: checkpoint.source, value: checkpoint.value)
                            }
                            return .commit
                        }
                        outcomes.append(.success(id))
                    } catch {
                        outcomes.append(.failure(SpoolError(code: .io, message: "spool \(path): \(SQLiteFile.describe(error))")))
                    }
                }
                return .commit
            }
        } catch {
            let failure = SpoolError(code: .io, message: "spool \(path): \(SQLiteFile.describe(error))")
            for item in batch { item.continuation.resume(returning: .failure(failure)) }
            return
        }
        // After the commit, never before: a reader that saw the count unchanged since it found the
        // spool empty can trust that no payload came in since (``appendCount``).
        appendSignal.committed(batch.count)
        for (item, outcome) in zip(batch, outcomes) { item.continuation.resume(returning: outcome) }
    }

    /// How many appends this spool has committed since it was opened (refused ones included). It grows
    /// only after a commit, so a reader that took the count before it found the spool empty, and finds
    /// the same count later, knows no payload came in through this spool meanwhile: the transmitter
    /// waits for it to move (``waitForAppend(whileCountIs:)``) instead of querying an empty spool.
    package var appendCount: Int { appendSignal.count }

    /// Returns once ``appendCount`` is no longer `count` (at once if it already is not), or when the task
    /// is cancelled; `woken` runs on the committing task when an append wakes it.
    package func waitForAppend(whileCountIs count: Int, woken: @escaping @Sendable () -> Void = {}) async {
        await appendSignal.wait(whileCountIs: count, woken: woken)
    }

    /// Counts a refused payload and stores its checkpoint, if any, so that its source moves on.
    private static func refuse(_ db: Database, checkpoint: (source: String, value: [UInt8])?) throws {
        try add(db, "refused_batches", 1)
        if let checkpoint { try storeCheckpoint(db, source: checkpoint.source, value: checkpoint.value) }
    }

    private static let insertPayload =
        "INSERT INTO payloads (batch_id, kind, instance, created_at, size, body) VALUES (?, ?, ?, ?, ?, ?)"

    /// Stores a log source's checkpoint on its own (the tailer moved past lines that made no event).
    package func storeCheckpoint(source: String, value: [UInt8]) async throws(SpoolError) {
        try await write { db in try Self.storeCheckpoint(db, source: source, value: value) }
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
    package func acknowledge(id: Int64) async throws(SpoolError) {
        let durability = self.durability
        do {
            try await pool.writeWithoutTransaction { db in
                guard durability == .full else {
                    try db.execute(sql: "DELETE FROM payloads WHERE id = ?", arguments: [id])
                    return
                }
                try db.execute(sql: "PRAGMA synchronous = NORMAL")
                defer { try? db.execute(sql: "PRAGMA synchronous = FULL") }
                try db.execute(sql: "DELETE FROM payloads WHERE id = ?", arguments: [id])
            }
        } catch {
            throw SpoolError(code: .io, message: "spool \(path): \(SQLiteFile.describe(error))")
        }
    }

    /// Counts a failed send attempt of a payload.
    package func recordAttempt(id: Int64) async throws(SpoolError) {
        try await write { db in try db.execute(sql: "UPDATE payloads SET attempts = attempts + 1 WHERE id = ?", arguments: [id]) }
    }

    /// Moves a payload the listener refused for good (400, 413) to the dead letters, so it never blocks the
    /// queue; it stays there for inspection.
    package func moveToDeadLetters(id: Int64, status: Int, reason: String) async throws(SpoolError) {
        let now = wallClock()
        try await write { db in
            try db.execute(sql: """
                INSERT INTO dead_letters (id, batch_id, kind, instance, created_at, size, status, reason, moved_at, body)
                SELECT id, batch_id, kind, instance, created_at, size, ?, ?, ?, body FROM payloads WHERE id = ?
                """, arguments: [status, reason, now, id])
            try db.execute(sql: "DELETE FROM payloads WHERE id = ?", arguments: [id])
        }
    }

    // MARK: - Plumbing

    func write<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws(SpoolError) -> T {
        do { return try await pool.write(body) } catch {
            throw SpoolError(code: .io, message: "spool \(path): \(SQLiteFile.describe(error))")
        }
    }

    func read<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws(SpoolError) -> T {
        do { return try await pool.read(body) } catch {
            throw SpoolError(code: .io, message: "spool \(path): \(SQLiteFile.describe(error))")
        }
    }

    static func fileSize(_ path: String) -> Int {
        var info = stat()
        return stat(path, &info) == 0 ? Int(info.st_size) : 0
    }

    /// Free bytes for unprivileged users on the filesystem holding `path`.
    static func freeDiskBytes(near path: String) -> Int? {
        var info = statvfs()
        let directory = (path as NSString).deletingLastPathComponent
        guard statvfs(directory.isEmpty ? "." : directory, &info) == 0 else { return nil }
        return Int(info.f_bavail) * Int(info.f_frsize)
    }
}
