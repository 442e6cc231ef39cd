import GRDB

/// The cap: room is made before each append, oldest payloads first.
extension Spool {
    /// Deletes the oldest payloads when the incoming one would take the used space past the cap, or (with
    /// too little free disk) past the file's current size.
    func makeRoom(_ db: Database, incoming: Int, freeDisk: Int?) throws {
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

    static func add(_ db: Database, _ name: String, _ amount: Int) throws {
        try db.execute(sql: "INSERT INTO counters (name, value) VALUES (?, ?) "
                           + "ON CONFLICT (name) DO UPDATE SET value = value + excluded.value",
                       arguments: [name, amount])
    }

    static func counters(_ db: Database) throws -> [String: Int] {
        var result: [String: Int] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT name, value FROM counters") {
            result[row["name"]] = row["value"]
        }
        return result
    }
}
