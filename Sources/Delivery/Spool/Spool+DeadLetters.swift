import GRDB

/// The dead letters: listed for inspection and put back in the queue on request
/// (`postgres-agent spool status --dead-letters`, `postgres-agent spool requeue`).
extension Spool {
    /// Every dead letter, oldest first, without bodies.
    package func deadLetters() async throws(SpoolError) -> [DeadLetter] {
        try await read { db in
            try Row.fetchAll(db, sql: """
                SELECT batch_id, kind, instance, created_at, size, status, reason, moved_at FROM dead_letters ORDER BY id
                """).map { row in
                DeadLetter(batchID: row["batch_id"], kind: row["kind"], instance: row["instance"], createdAt: row["created_at"],
                           size: row["size"], status: row["status"], reason: row["reason"], movedAt: row["moved_at"])
            }
        }
    }

    /// Puts dead letters back in the queue with their original place (they were spooled before anything
    /// that came later, so they go first) and no attempts counted; `batchIDs` nil requeues all of them.
    /// Returns the batch ids requeued; an id that is not a dead letter is left out of the result.
    ///
    /// Moving rows between tables inside one file changes nothing the cap counts.
    package func requeueDeadLetters(batchIDs: [String]?) async throws(SpoolError) -> [String] {
        try await write { db in
            let ids: [String]
            if let batchIDs {
                ids = try batchIDs.filter {
                    try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM dead_letters WHERE batch_id = ?)", arguments: [$0]) ?? false
                }
            } else {
                ids = try String.fetchAll(db, sql: "SELECT batch_id FROM dead_letters ORDER BY id")
            }
            for id in ids {
                // The same batch_id may have been spooled again meanwhile (it cannot today, but a
                // requeue must never fail on it): the waiting copy wins, the dead letter goes.
                try db.execute(sql: """
                    INSERT OR IGNORE INTO payloads (id, batch_id, kind, instance, created_at, size, attempts, body)
                    SELECT id, batch_id, kind, instance, created_at, size, 0, body FROM dead_letters WHERE batch_id = ?
                    """, arguments: [id])
                try db.execute(sql: "DELETE FROM dead_letters WHERE batch_id = ?", arguments: [id])
            }
            return ids
        }
    }
}
