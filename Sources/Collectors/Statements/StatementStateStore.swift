import AgentStorage
import Foundation
import GRDB

/// The statements collector's delta state on disk: one SQLite file per server in the state directory,
/// one row per `pg_stat_statements` entry (its key, its counters as a 160-byte blob, its fingerprint).
///
/// A save writes only what changed since the last one: the entries whose counters or fingerprint
/// moved, and the deletion of those gone, in one transaction. A server with 100,000 entries of which
/// 1,000 ran in the interval costs 1,000 row writes per cycle, not a rewrite of tens of megabytes (the
/// JSON file this replaces; BENCHMARKS.md, "Statement delta state"). A file SQLite finds damaged is
/// moved aside, kept, and the state starts afresh.
package final class StatementStateStore: Sendable {
    /// Why the store could not be used; names the file, never a counter or query.
    package struct StoreError: Error, Sendable, CustomStringConvertible {
        package var path: String
        package var reason: String
        package var description: String { "statement state \(path): \(reason)" }
    }

    /// The database file.
    package let path: String
    private let queue: DatabaseQueue

    /// Opens (or creates) the store; a damaged file is moved to `<path>.corrupt-<epoch seconds>` and
    /// named in `setAside`.
    package init(path: String, now: Double = Date().timeIntervalSince1970) throws(StoreError) {
        self.path = path
        let opened = try SQLiteFile.openMovingAsideDamaged(path: path, now: now, open: StatementStateStore.open,
                                                           failure: { StoreError(path: path, reason: $0) })
        queue = opened.connection
        setAside = opened.setAside
    }

    /// Where a damaged file was moved when the store was opened, if one was.
    package let setAside: String?

    private static func open(_ path: String) throws -> DatabaseQueue {
        let queue = try SQLiteFile.openQueue(path: path, label: "statement-state", synchronous: .full)
        try queue.write { db in
            try db.execute(sql: """
                CREATE TABLE IF NOT EXISTS meta (
                    id INTEGER PRIMARY KEY CHECK (id = 1),
                    server_identity TEXT NOT NULL, start_time REAL NOT NULL, stats_reset REAL, dealloc INTEGER,
                    sample_time REAL NOT NULL
                );
                CREATE TABLE IF NOT EXISTS entries (
                    userid INTEGER NOT NULL, dbid INTEGER NOT NULL, queryid INTEGER NOT NULL, toplevel INTEGER NOT NULL,
                    counters BLOB NOT NULL, fingerprint INTEGER,
                    PRIMARY KEY (userid, dbid, queryid, toplevel)
                ) WITHOUT ROWID;
                """)
        }
        return queue
    }

    /// The stored state, or nil when none was saved.
    package func load() throws(StoreError) -> StatementsState? {
        do {
            return try queue.read { db -> StatementsState? in
                guard let meta = try Row.fetchOne(db, sql: "SELECT * FROM meta WHERE id = 1") else { return nil }
                var entries: [StatementKey: StatementCounters] = [:]
                var fingerprints: [StatementKey: Int64] = [:]
                let cursor = try Row.fetchCursor(db, sql: "SELECT userid, dbid, queryid, toplevel, counters, fingerprint FROM entries")
                while let row = try cursor.next() {
                    let key = StatementKey(userid: row[0], dbid: row[1], queryid: row[2], toplevel: row[3])
                    let blob: Data = row[4]
                    guard let counters = StatementCounters(packed: blob) else { continue }
                    entries[key] = counters
                    if let fingerprint: Int64 = row[5] { fingerprints[key] = fingerprint }
                }
                return StatementsState(serverIdentity: meta["server_identity"], startTime: meta["start_time"],
                                       statsReset: meta["stats_reset"], dealloc: meta["dealloc"], sampleTime: meta["sample_time"],
                                       entries: entries, fingerprints: fingerprints)
            }
        } catch {
            throw StoreError(path: path, reason: SQLiteFile.describe(error))
        }
    }

    /// Stores `state`, writing only the entries that differ from `previous` (what the store holds; nil
    /// rewrites every entry). Returns the number of entry rows written or deleted.
    @discardableResult
    package func save(_ state: StatementsState, previous: StatementsState?) throws(StoreError) -> Int {
        do {
            return try queue.write { db -> Int in
                try db.execute(sql: """
                    INSERT INTO meta (id, server_identity, start_time, stats_reset, dealloc, sample_time) VALUES (1, ?, ?, ?, ?, ?)
                    ON CONFLICT (id) DO UPDATE SET server_identity = excluded.server_identity, start_time = excluded.start_time,
                        stats_reset = excluded.stats_reset, dealloc = excluded.dealloc, sample_time = excluded.sample_time
                    """, arguments: [state.serverIdentity, state.startTime, state.statsReset, state.dealloc, state.sampleTime])
                var written = 0
                if previous == nil { try db.execute(sql: "DELETE FROM entries") }
                let upsert = try db.cachedStatement(sql: """
                    INSERT INTO entries (userid, dbid, queryid, toplevel, counters, fingerprint) VALUES (?, ?, ?, ?, ?, ?)
                    ON CONFLICT (userid, dbid, queryid, toplevel) DO UPDATE SET counters = excluded.counters, fingerprint = excluded.fingerprint
                    """)
                for (key, counters) in state.entries {
                    let fingerprint = state.fingerprints[key]
                    if let previous, previous.entries[key] == counters, previous.fingerprints[key] == fingerprint { continue }
                    try upsert.execute(arguments: [key.userid, key.dbid, key.queryid, key.toplevel, counters.packed, fingerprint])
                    written += 1
                }
                if let previous {
                    let delete = try db.cachedStatement(sql: "DELETE FROM entries WHERE userid = ? AND dbid = ? AND queryid = ? AND toplevel = ?")
                    for key in previous.entries.keys where state.entries[key] == nil {
                        try delete.execute(arguments: [key.userid, key.dbid, key.queryid, key.toplevel])
                        written += 1
                    }
                }
                return written
            }
        } catch {
            throw StoreError(path: path, reason: SQLiteFile.describe(error))
        }
    }
}

extension StatementCounters {
    /// The counters as 160 bytes: the 15 integers, then the 5 reals, little-endian.
    var packed: Data {
        var data = Data(capacity: 160)
        for value in integers { withUnsafeBytes(of: value.littleEndian) { data.append(contentsOf: $0) } }
        for value in reals { withUnsafeBytes(of: value.bitPattern.littleEndian) { data.append(contentsOf: $0) } }
        return data
    }

    /// Counters from ``packed`` bytes; nil when the length is not 160.
    init?(packed data: Data) {
        guard data.count == 160 else { return nil }
        let words = data.withUnsafeBytes { raw in (0..<20).map { UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 8, as: UInt64.self)) } }
        self.init()
        integers = words[0..<15].map { Int64(bitPattern: $0) }
        reals = words[15..<20].map { Double(bitPattern: $0) }
    }
}
