import Foundation
package import GRDB

/// Opens the agent's SQLite files, all the same way.
///
/// Every file is in WAL mode, so readers never wait for a writer's fsync; `synchronous` is FULL (a
/// commit survives a power loss) or NORMAL (it survives a process kill); the write-ahead log is
/// checkpointed and cut back once it reaches its limit (4 MiB unless the file has a smaller cap,
/// ``walLimit(forCap:)``); a locked file is retried for 5 s.
package enum SQLiteFile {
    /// How hard a commit waits for the disk.
    package enum Synchronous: String, Sendable {
        /// `synchronous = FULL`: a commit survives a power loss.
        case full = "FULL"
        /// `synchronous = NORMAL`: a commit survives a process kill; a power loss may undo the last ones.
        case normal = "NORMAL"
    }

    /// A pool (one writer, concurrent readers) on `path`, created if missing. GRDB runs every access on
    /// its own dispatch queues: callers that `await` it never block a thread of Swift's cooperative pool.
    ///
    /// - Parameter walLimitBytes: the write-ahead log's size that triggers a checkpoint and to which it
    ///   is cut back after one.
    package static func openPool(path: String, label: String, synchronous: Synchronous,
                                 walLimitBytes: Int = defaultWALLimit) throws -> DatabasePool {
        try DatabasePool(path: path, configuration: configuration(label: label, synchronous: synchronous, walLimitBytes: walLimitBytes))
    }

    /// The write-ahead log's limit when nothing smaller is asked for: 4 MiB.
    package static let defaultWALLimit = 4 << 20

    /// The write-ahead log's limit for a file capped at `cap` bytes: a quarter of the cap, between
    /// 64 KiB and 4 MiB, so that the log does not add more than a quarter to what the cap promises.
    package static func walLimit(forCap cap: Int) -> Int {
        min(defaultWALLimit, max(64 << 10, cap / 4))
    }

    /// A single connection on `path`, created if missing (WAL like the pool).
    package static func openQueue(path: String, label: String, synchronous: Synchronous) throws -> DatabaseQueue {
        var configuration = configuration(label: label, synchronous: synchronous, walLimitBytes: defaultWALLimit)
        configuration.prepareDatabase { db in try db.execute(sql: "PRAGMA journal_mode = WAL") }
        return try DatabaseQueue(path: path, configuration: configuration)
    }

    private static func configuration(label: String, synchronous: Synchronous, walLimitBytes: Int) -> Configuration {
        var configuration = Configuration()
        configuration.label = label
        configuration.busyMode = .timeout(5)
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = \(synchronous.rawValue)")
            try db.execute(sql: "PRAGMA journal_size_limit = \(walLimitBytes)")
            // Pages of the default 4 KiB size: checkpoint once the log holds about the limit.
            try db.execute(sql: "PRAGMA wal_autocheckpoint = \(max(16, walLimitBytes / 4096))")
        }
        return configuration
    }

    /// Opens `path` with `open`; when SQLite finds the file damaged (`SQLITE_CORRUPT`, `SQLITE_NOTADB`), moves it
    /// with its `-wal` and `-shm` to `<path>.corrupt-<now, epoch seconds>`, where it is kept for a look, and opens a
    /// fresh file in its place. The stores whose contents can be rebuilt (delta state) open their files this way.
    ///
    /// - Parameters:
    ///   - path: the database file.
    ///   - now: epoch seconds, for the name of the file set aside.
    ///   - open: opens (and sets up) the file at the path it is given.
    ///   - failure: the caller's error for a reason: ``describe(_:)`` of what `open` threw, or
    ///     `damaged and cannot be moved aside`.
    /// - Returns: what `open` returned, and where the damaged file went if one was moved aside.
    /// - Throws: `failure`'s error when the file cannot be opened, or is damaged and cannot be moved.
    package static func openMovingAsideDamaged<Opened, Failure: Error>(
        path: String, now: Double, open connect: (String) throws -> Opened, failure: (String) -> Failure
    ) throws(Failure) -> (connection: Opened, setAside: String?) {
        do {
            let connection = try connect(path)
            return (connection, nil)
        } catch let error as DatabaseError where [.SQLITE_CORRUPT, .SQLITE_NOTADB].contains(error.resultCode) {
            let moved = "\(path).corrupt-\(Int(now))"
            for suffix in ["-wal", "-shm"] { _ = rename(path + suffix, moved + suffix) }
            guard rename(path, moved) == 0 else { throw failure("damaged and cannot be moved aside") }
            do {
                let connection = try connect(path)
                return (connection, moved)
            } catch {
                throw failure(describe(error))
            }
        } catch {
            throw failure(describe(error))
        }
    }

    /// An SQLite error's code and message; never the statement or its arguments (payload text).
    package static func describe(_ error: any Error) -> String {
        if let error = error as? DatabaseError {
            return "SQLite error \(error.resultCode.rawValue): \(error.message ?? "unknown")"
        }
        return "\(type(of: error))"
    }
}
