import GRDB

/// The cap: room is made before each append, oldest dead letters first, then oldest payloads.
extension Spool {
    /// Deletes the oldest dead letters, then the oldest payloads, when the incoming bytes would take the
    /// used space past the cap, or (with too little free disk) past the file's current size. Returns
    /// whether the incoming bytes fit afterwards; false means they must be refused.
    func makeRoom(_ db: Database, incoming: Int, freeDisk: Int?) throws -> Bool {
        var excess = try self.excess(db, incoming: incoming, freeDisk: freeDisk)
        guard excess > 0 else { return true }
        var target = excess + Int(Double(limits.maxBytes) * Self.evictionHeadroom)
        target -= try evictOldest(db, table: "dead_letters", target: target,
                                  counters: ("evicted_dead_letters", "evicted_dead_letter_bytes"))
        if target > 0 {
            _ = try evictOldest(db, table: "payloads", target: target, counters: ("evicted_batches", "evicted_bytes"))
        }
        excess = try self.excess(db, incoming: incoming, freeDisk: freeDisk)
        return excess <= 0
    }

    /// Bytes over the cap (or, under the free-space floor, over the file's free pages) once `incoming`
    /// is written; zero or less when it fits.
    private func excess(_ db: Database, incoming: Int, freeDisk: Int?) throws -> Int {
        let pageSize = try Int.fetchOne(db, sql: "PRAGMA page_size") ?? 4096
        let pages = try Int.fetchOne(db, sql: "PRAGMA page_count") ?? 0
        let freePages = try Int.fetchOne(db, sql: "PRAGMA freelist_count") ?? 0
        let used = (pages - freePages) * pageSize
        var excess = used + incoming - limits.maxBytes
        if let freeDisk, freeDisk - incoming < limits.minFreeDiskBytes {
            // The file must not grow: the payload has to fit into pages freed by eviction.
            excess = max(excess, incoming - freePages * pageSize)
        }
        return excess
    }

    /// Deletes the oldest rows of `table` whose sizes add up to `target`, in one statement, and counts
    /// them; returns the bytes they took (row overhead included).
    ///
    /// Walks ids and sizes only, from the covering index. Never the whole queue for an ordinary append:
    /// the headroom is far below the cap, and a payload larger than the cap was refused before.
    private func evictOldest(_ db: Database, table: String, target: Int, counters: (rows: String, bytes: String)) throws -> Int {
        var running = 0
        var last: Int64?
        let cursor = try Row.fetchCursor(db, sql: "SELECT id, size FROM \(table) ORDER BY id")
        while let row = try cursor.next() {
            last = row["id"]
            running += (row["size"] as Int) + Self.rowOverhead
            if running >= target { break }
        }
        guard let last else { return 0 }
        let evicted = try Row.fetchOne(db, sql: "SELECT count(*) AS n, coalesce(sum(size), 0) AS bytes FROM \(table) WHERE id <= ?",
                                       arguments: [last])!
        try db.execute(sql: "DELETE FROM \(table) WHERE id <= ?", arguments: [last])
        try Self.add(db, counters.rows, evicted["n"])
        try Self.add(db, counters.bytes, evicted["bytes"])
        return running
    }

    static func add(_ db: Database, _ name: String, _ amount: Int) throws {
        try db.execute(sql: "INSERT INTO counters (name, value) VALUES (?, ?) "
                           + "ON CONFLICT (name) DO UPDATE SET value = value + excluded.value",
                       arguments: [name, amount])
    }

    static func counters(_ db: Database) throws -> [String: Int] {
        var result: [String: Int] = [:]
        for row in try Row.fetchAll(db.cachedStatement(sql: "SELECT name, value FROM counters")) {
            result[row["name"]] = row["value"]
        }
        return result
    }
}
