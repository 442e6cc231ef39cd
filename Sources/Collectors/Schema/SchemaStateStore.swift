import AgentStorage
package import Foundation
import GRDB

/// The schema collector's delta state on disk: one SQLite file per server in the state directory
/// (`<state_dir>/schema-<instance>.sqlite`), holding each database's committed visit (``SchemaVisitMeta``)
/// and the per-table and per-index counters it read, so the next visit can compute deltas.
///
/// A database may have 50,000 tables and 100,000 indexes, so nothing here holds all counters in memory: a
/// visit reads the previous counters one page of relations at a time (``counters(datname:kind:relids:)``, one
/// range read on the primary key) and stages the new ones page by page (``stage(visit:datname:kind:range:entries:)``).
/// The staged counters are put in force only when the snapshot that carries the visit's deltas has been
/// stored (``commit(visit:datname:meta:)``): a snapshot that is lost leaves the previous counters in place,
/// so the next visit's deltas cover its interval too. Staged rows of snapshots never stored are dropped by
/// ``discard(except:)``.
///
/// Counters are a blob of little-endian `Float64`, NaN for SQL NULL; their columns are the meta's
/// ``SchemaVisitMeta/tableColumns`` or ``SchemaVisitMeta/indexColumns``. A file SQLite finds damaged is
/// moved aside, kept, and the state starts afresh.
package final class SchemaStateStore: Sendable {
    /// Why the store could not be used; names the file, never a counter or a relation's name.
    package struct StoreError: Error, Sendable, CustomStringConvertible {
        /// The database file.
        package var path: String
        /// What went wrong.
        package var reason: String
        /// `schema state <path>: <reason>`.
        package var description: String { "schema state \(path): \(reason)" }
    }

    /// The database file.
    package let path: String
    /// Where a damaged file was moved when the store was opened, if one was.
    package let setAside: String?
    private let queue: DatabaseQueue

    /// Opens (or creates) the store; a damaged file is moved to `<path>.corrupt-<epoch seconds>` with its
    /// `-wal` and `-shm`, and named in ``setAside``.
    package init(path: String, now: Double = Date().timeIntervalSince1970) throws(StoreError) {
        self.path = path
        let opened = try SQLiteFile.openMovingAsideDamaged(path: path, now: now, open: SchemaStateStore.open,
                                                           failure: { StoreError(path: path, reason: $0) })
        queue = opened.connection
        setAside = opened.setAside
    }

    private static func open(_ path: String) throws -> DatabaseQueue {
        // NORMAL, not FULL: a commit survives a process kill, and only a power loss may undo the last one.
        // A lost commit costs one interval's deltas at most: the next visit then measures from the visit
        // before, over a longer interval that its `interval_seconds` shows. Not worth an fsync per commit.
        let queue = try SQLiteFile.openQueue(path: path, label: "schema-state", synchronous: .normal)
        try queue.write { db in
            try db.execute(sql: """
                CREATE TABLE IF NOT EXISTS visits (
                    datname TEXT NOT NULL PRIMARY KEY,
                    server_identity TEXT NOT NULL, start_time REAL NOT NULL, sample_time REAL NOT NULL,
                    table_columns TEXT NOT NULL, index_columns TEXT NOT NULL
                ) WITHOUT ROWID;
                CREATE TABLE IF NOT EXISTS counters (
                    datname TEXT NOT NULL, kind INTEGER NOT NULL, relid INTEGER NOT NULL, counters BLOB,
                    PRIMARY KEY (datname, kind, relid)
                ) WITHOUT ROWID;
                CREATE TABLE IF NOT EXISTS staged_pages (
                    visit TEXT NOT NULL, datname TEXT NOT NULL, kind INTEGER NOT NULL,
                    low INTEGER NOT NULL, high INTEGER NOT NULL,
                    PRIMARY KEY (visit, datname, kind, low, high)
                ) WITHOUT ROWID;
                CREATE TABLE IF NOT EXISTS staged_counters (
                    visit TEXT NOT NULL, datname TEXT NOT NULL, kind INTEGER NOT NULL, relid INTEGER NOT NULL,
                    counters BLOB,
                    PRIMARY KEY (visit, datname, kind, relid)
                ) WITHOUT ROWID;
                """)
        }
        return queue
    }

    /// The committed visit of `datname`, or nil when none was committed.
    package func meta(datname: String) throws(StoreError) -> SchemaVisitMeta? {
        do {
            return try queue.read { db -> SchemaVisitMeta? in
                guard let row = try Row.fetchOne(db, sql: Self.selectMeta, arguments: [datname]) else { return nil }
                return try Self.meta(from: row)
            }
        } catch {
            throw StoreError(path: path, reason: SQLiteFile.describe(error))
        }
    }

    /// The committed counters of `datname`'s relations of `kind` whose oid is within `relids`, by oid.
    package func counters(datname: String, kind: RelationKind,
                          relids: ClosedRange<Int64>) throws(StoreError) -> [Int64: [Double]] {
        do {
            return try queue.read { db -> [Int64: [Double]] in
                var found: [Int64: [Double]] = [:]
                let cursor = try Row.fetchCursor(db, sql: """
                    SELECT relid, counters FROM counters WHERE datname = ? AND kind = ? AND relid BETWEEN ? AND ?
                    """, arguments: [datname, kind.rawValue, relids.lowerBound, relids.upperBound])
                while let row = try cursor.next() {
                    let relid: Int64 = row[0]
                    // GRDB binds an empty blob as NULL: no counters.
                    let blob: Data? = row[1]
                    if let values = Self.unpack(blob ?? Data()) { found[relid] = values }
                }
                return found
            }
        } catch {
            throw StoreError(path: path, reason: SQLiteFile.describe(error))
        }
    }

    /// Stages one page of a visit: the counters of `datname`'s relations of `kind` read in `range` of oids.
    /// The relations in `range` that are not in `entries` are gone (dropped) once the visit is committed.
    /// Staging the same page again replaces it. One transaction.
    ///
    /// - Throws: ``StoreError`` when an entry's oid is outside `range`, or the file cannot be written.
    package func stage(visit: UUID, datname: String, kind: RelationKind, range: ClosedRange<Int64>,
                       entries: [(relid: Int64, counters: [Double])]) throws(StoreError) {
        guard entries.allSatisfy({ range.contains($0.relid) }) else {
            throw StoreError(path: path, reason: "a staged relation is outside its page's range")
        }
        let id = visit.uuidString
        do {
            try queue.write { db in
                try db.execute(sql: """
                    DELETE FROM staged_counters WHERE visit = ? AND datname = ? AND kind = ? AND relid BETWEEN ? AND ?
                    """, arguments: [id, datname, kind.rawValue, range.lowerBound, range.upperBound])
                try db.execute(sql: """
                    INSERT OR IGNORE INTO staged_pages (visit, datname, kind, low, high) VALUES (?, ?, ?, ?, ?)
                    """, arguments: [id, datname, kind.rawValue, range.lowerBound, range.upperBound])
                let insert = try db.cachedStatement(sql: """
                    INSERT OR REPLACE INTO staged_counters (visit, datname, kind, relid, counters) VALUES (?, ?, ?, ?, ?)
                    """)
                for entry in entries {
                    try insert.execute(arguments: [id, datname, kind.rawValue, entry.relid, Self.pack(entry.counters)])
                }
            }
        } catch {
            throw StoreError(path: path, reason: SQLiteFile.describe(error))
        }
    }

    /// Puts a visit of `datname` in force, once the snapshot that carries its deltas is stored. In one
    /// transaction: for every page staged, the committed counters of that kind within its range are replaced
    /// by the staged ones; `meta` becomes the committed visit; the visit's staged rows of `datname` are
    /// dropped. Relations outside every staged page keep their committed counters: a visit that ran out of
    /// time commits what it read.
    ///
    /// When the committed visit had other counter columns (the server was upgraded), another server or an
    /// earlier start of the server, every committed counter of `datname` is dropped first: the columns of the
    /// counters kept would not match `meta`, or they would be measured against a previous life of the server.
    package func commit(visit: UUID, datname: String, meta: SchemaVisitMeta) throws(StoreError) {
        let id = visit.uuidString
        do {
            try queue.write { db in
                if let row = try Row.fetchOne(db, sql: Self.selectMeta, arguments: [datname]) {
                    let committed = try Self.meta(from: row)
                    if committed.tableColumns != meta.tableColumns || committed.indexColumns != meta.indexColumns
                        || committed.serverIdentity != meta.serverIdentity || committed.startTime != meta.startTime {
                        try db.execute(sql: "DELETE FROM counters WHERE datname = ?", arguments: [datname])
                    }
                }
                let pages = try Row.fetchAll(db, sql: "SELECT kind, low, high FROM staged_pages WHERE visit = ? AND datname = ?",
                                             arguments: [id, datname])
                let clear = try db.cachedStatement(sql: "DELETE FROM counters WHERE datname = ? AND kind = ? AND relid BETWEEN ? AND ?")
                for page in pages {
                    let kind: Int = page[0]
                    let low: Int64 = page[1]
                    let high: Int64 = page[2]
                    try clear.execute(arguments: [datname, kind, low, high])
                }
                try db.execute(sql: """
                    INSERT OR REPLACE INTO counters (datname, kind, relid, counters)
                    SELECT datname, kind, relid, counters FROM staged_counters WHERE visit = ? AND datname = ?
                    """, arguments: [id, datname])
                let tableColumns = try Self.encode(columns: meta.tableColumns)
                let indexColumns = try Self.encode(columns: meta.indexColumns)
                try db.execute(sql: """
                    INSERT INTO visits (datname, server_identity, start_time, sample_time, table_columns, index_columns)
                    VALUES (?, ?, ?, ?, ?, ?)
                    ON CONFLICT (datname) DO UPDATE SET server_identity = excluded.server_identity,
                        start_time = excluded.start_time, sample_time = excluded.sample_time,
                        table_columns = excluded.table_columns, index_columns = excluded.index_columns
                    """, arguments: [datname, meta.serverIdentity, meta.startTime, meta.sampleTime, tableColumns, indexColumns])
                try db.execute(sql: "DELETE FROM staged_counters WHERE visit = ? AND datname = ?", arguments: [id, datname])
                try db.execute(sql: "DELETE FROM staged_pages WHERE visit = ? AND datname = ?", arguments: [id, datname])
            }
        } catch {
            throw StoreError(path: path, reason: SQLiteFile.describe(error))
        }
    }

    /// Drops the staged rows of every visit not in `keeping`: visits whose snapshot was never stored, and
    /// will not be.
    package func discard(except keeping: Set<UUID>) throws(StoreError) {
        let kept = Set(keeping.map(\.uuidString))
        do {
            try queue.write { db in
                let visits = try String.fetchAll(db, sql: """
                    SELECT DISTINCT visit FROM staged_pages UNION SELECT DISTINCT visit FROM staged_counters
                    """)
                for visit in visits where !kept.contains(visit) {
                    try db.execute(sql: "DELETE FROM staged_counters WHERE visit = ?", arguments: [visit])
                    try db.execute(sql: "DELETE FROM staged_pages WHERE visit = ?", arguments: [visit])
                }
            }
        } catch {
            throw StoreError(path: path, reason: SQLiteFile.describe(error))
        }
    }

    private static let selectMeta = """
        SELECT server_identity, start_time, sample_time, table_columns, index_columns FROM visits WHERE datname = ?
        """

    private static func meta(from row: Row) throws -> SchemaVisitMeta {
        let tableColumns = try decode(columns: row[3])
        let indexColumns = try decode(columns: row[4])
        return SchemaVisitMeta(serverIdentity: row[0], startTime: row[1], sampleTime: row[2],
                               tableColumns: tableColumns, indexColumns: indexColumns)
    }

    /// Column names as a JSON array.
    private static func encode(columns: [String]) throws -> String {
        String(decoding: try JSONEncoder().encode(columns), as: UTF8.self)
    }

    private static func decode(columns text: String) throws -> [String] {
        try JSONDecoder().decode([String].self, from: Data(text.utf8))
    }

    /// Counters as little-endian `Float64`, 8 bytes each; NaN stands for SQL NULL.
    static func pack(_ counters: [Double]) -> Data {
        var data = Data(capacity: counters.count * 8)
        for value in counters { withUnsafeBytes(of: value.bitPattern.littleEndian) { data.append(contentsOf: $0) } }
        return data
    }

    /// Counters from ``pack(_:)`` bytes; nil when the length is not a multiple of 8.
    static func unpack(_ data: Data) -> [Double]? {
        guard data.count % 8 == 0 else { return nil }
        return data.withUnsafeBytes { raw in
            (0..<(raw.count / 8)).map { Double(bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 8, as: UInt64.self))) }
        }
    }
}
