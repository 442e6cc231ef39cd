import Foundation
package import GRDB

/// Opens the agent's SQLite files, all the same way.
///
/// Every file is in WAL mode, so readers never wait for a writer's fsync; `synchronous` is FULL (a
/// commit survives a power loss) or NORMAL (it survives a process kill); the write-ahead log is cut back
/// to 4 MiB after each checkpoint; a locked file is retried for 5 s.
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
    package static func openPool(path: String, label: String, synchronous: Synchronous) throws -> DatabasePool {
        try DatabasePool(path: path, configuration: configuration(label: label, synchronous: synchronous))
    }

    /// A single connection on `path`, created if missing (WAL like the pool).
    package static func openQueue(path: String, label: String, synchronous: Synchronous) throws -> DatabaseQueue {
        var configuration = configuration(label: label, synchronous: synchronous)
        configuration.prepareDatabase { db in try db.execute(sql: "PRAGMA journal_mode = WAL") }
        return try DatabaseQueue(path: path, configuration: configuration)
    }

    private static func configuration(label: String, synchronous: Synchronous) -> Configuration {
        var configuration = Configuration()
        configuration.label = label
        configuration.busyMode = .timeout(5)
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = \(synchronous.rawValue)")
            try db.execute(sql: "PRAGMA journal_size_limit = 4194304")
        }
        return configuration
    }

    /// An SQLite error's code and message; never the statement or its arguments (payload text).
    package static func describe(_ error: any Error) -> String {
        if let error = error as? DatabaseError {
            return "SQLite error \(error.resultCode.rawValue): \(error.message ?? "unknown")"
        }
        return "\(type(of: error))"
    }
}
